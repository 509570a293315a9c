"""OAuth2's error shape (RFC 6749 section 5.2): `{"error", "error_description"}` (the site
edge marks it, as every answer, not to be cached). The code is the bearer error when there is one, the endpoint's own code when its
schema refused the request (chosen by operation below), else the status's usual code."""

from __future__ import annotations

from emr_api.errors import Problem

_BY_STATUS = {400: "invalid_request", 401: "invalid_client", 403: "access_denied",
              404: "invalid_request", 405: "invalid_request", 415: "invalid_request"}


def _registration(problem: Problem) -> str:
    """RFC 7591 section 3.2.2: registration's own codes, also when the schema (not the
    registration endpoint) caught the problem."""
    named = " ".join(problem.fields) + " " + problem.message
    return "invalid_redirect_uri" if "redirect_uri" in named else "invalid_client_metadata"


def _token(problem: Problem) -> str:
    """RFC 6749 section 5.2: a grant type this server does not offer."""
    if "grant_type" in problem.fields and "required" not in problem.message:
        return "unsupported_grant_type"
    return "invalid_request"


# How each operation names a request its schema refused (a 400 without a bearer error).
SCHEMA_ERRORS = {
    "emr_api.handlers.oauth2.endpoints.register": _registration,
    "emr_api.handlers.oauth2.endpoints.token": _token,
}


def _code_for(status: int) -> str:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status < 500:
        return "invalid_request"
    return "temporarily_unavailable" if status == 503 else "server_error"


def render(problem: Problem, operation_id: str | None) -> tuple[dict, str, dict]:
    code = problem.bearer_error or _code_for(problem.status)
    if problem.status == 400 and problem.bearer_error is None and operation_id in SCHEMA_ERRORS:
        code = SCHEMA_ERRORS[operation_id](problem)
    return {"error": code, "error_description": problem.message}, "application/json", {}
