"""The one place any error becomes an answer: the exception is read into a `Problem`,
and the API the request belongs to renders it in its own shape (handlers/<api>/errors.py,
named by the API table). Never a stack trace."""

from __future__ import annotations

import json
import logging

from connexion.exceptions import (
    BadRequestProblem,
    ClientProblem,
    ExtraParameterProblem,
    OAuthProblem,
    OAuthResponseProblem,
    OAuthScopeProblem,
    ProblemException,
    Unauthorized,
)
from connexion.lifecycle import ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from emr_api import request_context
from emr_api.codegen import apis, operations
from emr_api.codegen.apis import Api
from emr_api.db.engine import is_unavailable
from emr_api.errors import RETRY_AFTER_SECONDS, ApiError, Forbidden, Problem, Unauthenticated
from emr_api.handlers.fhir import errors as fhir_errors
from emr_api.handlers.oauth2 import errors as oauth2_errors
from emr_api.handlers.standard import errors as standard_errors

log = logging.getLogger("emr_api.errors")

RENDERERS = {
    "envelope": standard_errors.render,
    "operation_outcome": fhir_errors.render,
    "oauth2": oauth2_errors.render,
}


def problem_of(exc: Exception) -> Problem:
    if isinstance(exc, ApiError):
        bearer = ("invalid_token" if isinstance(exc, Unauthenticated)
                  else "insufficient_scope" if isinstance(exc, Forbidden) else None)
        return exc.problem(bearer)
    if is_unavailable(exc):  # nothing was written: the transaction did not commit
        return Problem(503, "The database is not answering now; try again shortly",
                       retry_after=RETRY_AFTER_SECONDS)
    if isinstance(exc, TimeoutError):
        return Problem(503, "The database did not answer in time; try again shortly",
                       retry_after=RETRY_AFTER_SECONDS)
    if isinstance(exc, MultiPartException):
        return Problem(400, f"The form cannot be read: {exc.message}")
    if isinstance(exc, OAuthScopeProblem):
        return Problem(403, "The access token lacks a scope this operation requires",
                       bearer_error="insufficient_scope")
    if isinstance(exc, (OAuthProblem, OAuthResponseProblem, Unauthorized)):
        return Problem(401, exc.detail or "Authentication required", bearer_error="invalid_token")
    if isinstance(exc, ExtraParameterProblem):
        return Problem(400, exc.detail)
    if isinstance(exc, BadRequestProblem):
        return Problem(400, exc.detail or "Bad request", _fields_from_detail(exc.detail))
    if isinstance(exc, (ProblemException, ClientProblem)):
        return Problem(exc.status, exc.detail or exc.title or "Error")
    if isinstance(exc, HTTPException):
        return Problem(exc.status_code, exc.detail or "Error")
    if isinstance(exc, UnicodeDecodeError):
        return Problem(400, "The request body is not valid UTF-8")
    return Problem(500, "Internal server error")


def _fields_from_detail(detail: str | None) -> dict | None:
    """Connexion says e.g. "'fname' is a required property" or "... - 'DOB'": name the field."""
    if not detail:
        return None
    field = "request"
    if detail.endswith("'") and " - '" in detail:
        field = detail.rsplit(" - '", 1)[1].rstrip("'")
    elif "' is a required property" in detail:
        field = detail.split("'")[1]
    return {field: [detail]}


def render(api: Api, problem: Problem, *, operation_id: str | None = None,
           authorization_sent: bool = False, site_path: str | None = None
           ) -> tuple[bytes, str, dict]:
    """The answer's body, media type and headers, in the API's shape."""
    body, media_type, headers = RENDERERS[api.errors](problem, operation_id)
    operation = operations.by_id().get(operation_id or "")
    # A protected resource (every API operation that takes a bearer token, UserInfo
    # included) challenges per RFC 6750.
    protected = operation.protected if operation else api.prefix == "apis"
    if protected and problem.status == 401:
        headers["WWW-Authenticate"] = ('Bearer error="invalid_token"' if authorization_sent
                                       else "Bearer")
    if protected and problem.status == 403:
        headers["WWW-Authenticate"] = 'Bearer error="insufficient_scope"'
    if problem.status == 405 and site_path is not None:  # RFC 9110: the methods it has
        headers["Allow"] = ", ".join(operations.allowed_methods(api, site_path))
    if problem.retry_after is not None:
        headers["Retry-After"] = str(problem.retry_after)
    return json.dumps(body).encode(), media_type, headers


def to_response(request, exc: Exception) -> ConnexionResponse:
    info = request_context.current_or_none()
    api = info.api if info else apis.guess(request.url.path)
    problem = problem_of(exc)
    if problem.status >= 500:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    routing = request.scope.get("extensions", {}).get("connexion_routing", {})
    body, media_type, headers = render(
        api, problem, operation_id=routing.get("operation_id"),
        authorization_sent=bool(request.headers.get("Authorization")),
        site_path=info.site_path if info else None)
    return ConnexionResponse(status_code=problem.status, body=body, content_type=media_type,
                             headers=headers)


def register(app) -> None:
    for status in (400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 500):
        app.add_error_handler(status, to_response)
    for exc in (ApiError, ProblemException, HTTPException, UnicodeDecodeError, Exception):
        app.add_error_handler(exc, to_response)
