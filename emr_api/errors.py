"""The project's typed errors. Services and the authorization server raise them; each API
renders them in its own error shape (handlers/<api>/errors.py), chosen by the server in one
place. They carry no HTTP framework and no protocol's error codes: only a status, a message
and the fields at fault."""

from __future__ import annotations


class ApiError(Exception):
    status = 500
    retry_after: int | None = None

    def __init__(self, message: str = "", *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def problem(self, bearer_error: str | None = None) -> "Problem":
        return Problem(self.status, self.message, self.fields, bearer_error, self.retry_after)


class ValidationFailed(ApiError):
    """Bad input, with the exact fields named: {field: [messages]}."""

    status = 400

    def __init__(self, fields: dict[str, list[str]], message: str = "Validation failed"):
        super().__init__(message, fields=fields)


class NotFound(ApiError):
    status = 404


class Unauthenticated(ApiError):
    """No usable credentials (RFC 6750 `invalid_token`)."""

    status = 401


class Forbidden(ApiError):
    """Authenticated, but not allowed (a scope or an ACL is missing)."""

    status = 403


class Conflict(ApiError):
    status = 409


class Gone(ApiError):
    """It existed and was deleted."""

    status = 410


class PreconditionFailed(ApiError):
    """The request's condition (If-Match, a conditional create) does not hold."""

    status = 412


class PayloadTooLarge(ApiError):
    status = 413


# Seconds a client is asked to wait (Retry-After) when the database cannot answer now.
RETRY_AFTER_SECONDS = 2


class Problem:
    """Any failure, as every API's error renderer receives it: the status, a message, the
    fields at fault, for a bearer-token failure the RFC 6750 error code, and for a
    passing one the seconds after which to try again."""

    __slots__ = ("status", "message", "fields", "bearer_error", "retry_after")

    def __init__(self, status: int, message: str, fields: dict | None = None,
                 bearer_error: str | None = None, retry_after: int | None = None):
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.bearer_error = bearer_error
        self.retry_after = retry_after
