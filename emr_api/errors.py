"""The project's typed errors. Services and the authorization server raise them; each API
renders them in its own error shape (handlers/<api>/errors.py), chosen by the server in one
place. They carry no HTTP framework and no protocol's error codes: only a status, a message
and the fields at fault."""

from __future__ import annotations


class ApiError(Exception):
    status = 500

    def __init__(self, message: str = "", *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


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


class Problem:
    """Any failure, as every API's error renderer receives it: the status, a message, the
    fields at fault, and (for a bearer-token failure) the RFC 6750 error code."""

    __slots__ = ("status", "message", "fields", "bearer_error")

    def __init__(self, status: int, message: str, fields: dict | None = None,
                 bearer_error: str | None = None):
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.bearer_error = bearer_error
