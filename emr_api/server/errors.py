"""The project's typed errors, and the one place that turns any error into the error
shape of the API it happened in: the envelope (Standard and portal APIs), an
OperationOutcome (FHIR), or RFC 6749 error JSON (OAuth2). Never a stack trace."""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache

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

from emr_api.server import specs

log = logging.getLogger("emr_api.errors")


class ApiError(Exception):
    status = 500
    oauth_error = "server_error"

    def __init__(self, message: str = "", *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(ApiError):
    """Bad input, with the exact fields named: {field: [messages]}."""

    status = 400
    oauth_error = "invalid_request"

    def __init__(self, fields: dict[str, list[str]], message: str = "Validation failed"):
        super().__init__(message, fields=fields)


class NotFound(ApiError):
    status = 404
    oauth_error = "invalid_request"


class Unauthenticated(ApiError):
    status = 401
    oauth_error = "invalid_token"


class Forbidden(ApiError):
    status = 403
    oauth_error = "insufficient_scope"


class Conflict(ApiError):
    status = 409
    oauth_error = "invalid_request"


def api_of(path: str) -> str:
    """Which API a (root-relative) request path belongs to: api, portal, fhir or oauth2."""
    parts = path.lstrip("/").split("/")
    if parts and parts[0] == "oauth2":
        return "oauth2"
    if len(parts) >= 3 and parts[0] == "apis":
        return {"fhir": "fhir", "portal": "portal"}.get(parts[2], "api")
    return "api"


def envelope(data=None, *, validation=None, internal=None, links=None) -> dict:
    body = {
        "validationErrors": validation if validation is not None else [],
        "internalErrors": internal if internal is not None else [],
        "data": data if data is not None else [],
    }
    if links is not None:
        body["links"] = links
    return body


def error_body(api: str, status: int, message: str, fields: dict | None = None,
               oauth_error: str | None = None) -> tuple[dict, str]:
    """The error document and its media type for an API."""
    if api == "oauth2":
        return ({"error": oauth_error or _oauth_error_for(status),
                 "error_description": message}, "application/json")
    if api == "fhir":
        issues = [{"severity": "error", "code": _fhir_code(status), "diagnostics": message}]
        for field, messages in (fields or {}).items():
            for m in messages:
                issues.append({"severity": "error", "code": "invalid",
                               "diagnostics": m, "expression": [field]})
        return ({"resourceType": "OperationOutcome", "issue": issues},
                "application/fhir+json")
    if status == 400 or status == 422:
        validation = fields or {"request": [message]}
        return envelope(None, validation=validation, internal=[]), "application/json"
    return envelope(None, validation=[], internal=[message]), "application/json"


def _oauth_error_for(status: int) -> str:
    return {400: "invalid_request", 401: "invalid_client", 403: "access_denied",
            404: "invalid_request", 405: "invalid_request", 415: "invalid_request"}.get(
        status, "server_error")


def _fhir_code(status: int) -> str:
    return {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
            405: "not-supported", 409: "conflict", 415: "not-supported"}.get(status, "exception")


def _status_and_message(exc: Exception) -> tuple[int, str, dict | None, str | None]:
    if isinstance(exc, ApiError):
        return exc.status, exc.message, exc.fields, exc.oauth_error
    if isinstance(exc, OAuthScopeProblem):
        return 403, "The access token lacks a scope this operation requires", None, "insufficient_scope"
    if isinstance(exc, (OAuthProblem, OAuthResponseProblem, Unauthorized)):
        return 401, exc.detail or "Authentication required", None, "invalid_token"
    if isinstance(exc, ExtraParameterProblem):
        return 400, exc.detail, None, "invalid_request"
    if isinstance(exc, BadRequestProblem):
        return 400, exc.detail or "Bad request", _fields_from_detail(exc.detail), "invalid_request"
    if isinstance(exc, (ProblemException, ClientProblem)):
        return exc.status, exc.detail or exc.title or "Error", None, None
    if isinstance(exc, HTTPException):
        return exc.status_code, exc.detail or "Error", None, None
    if isinstance(exc, UnicodeDecodeError):
        return 400, "The request body is not valid UTF-8", None, "invalid_request"
    return 500, "Internal server error", None, "server_error"


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


def to_response(request, exc: Exception) -> ConnexionResponse:
    path = request.scope.get("emr_path") or request.url.path
    api = api_of(path)
    status, message, fields, oauth_error = _status_and_message(exc)
    if (api == "oauth2" and status == 400 and oauth_error == "invalid_request"
            and path.rstrip("/").endswith("/registration")):
        # RFC 7591 section 3.2.2: registration's own error codes, also when the schema
        # (not the registration endpoint) caught the problem.
        named = " ".join(fields or {}) + " " + message
        oauth_error = ("invalid_redirect_uri" if "redirect_uri" in named
                       else "invalid_client_metadata")
    if (api == "oauth2" and status == 400 and path.rstrip("/").endswith("/token")
            and fields and "grant_type" in fields and "required" not in message):
        # RFC 6749 section 5.2: a grant type this server does not offer.
        oauth_error = "unsupported_grant_type"
    if status >= 500:
        log.error("unhandled error on %s %s", request.method, path, exc_info=exc)
    body, media_type = error_body(api, status, message, fields, oauth_error)
    headers = {}
    # A protected resource (the APIs, and UserInfo, OIDC Core 5.3.3) challenges per RFC 6750.
    bearer_protected = api != "oauth2" or path.rstrip("/").endswith("/userinfo")
    if status == 401 and bearer_protected:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if request.headers.get(
            "Authorization") else "Bearer"
    if status == 403 and bearer_protected:
        headers["WWW-Authenticate"] = 'Bearer error="insufficient_scope"'
    if api == "oauth2":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if status == 405:  # RFC 9110: a 405 lists the methods the resource has
        headers["Allow"] = ", ".join(_allowed_methods(path))
    return ConnexionResponse(status_code=status, body=json.dumps(body).encode(),
                             content_type=media_type, headers=headers)


@lru_cache(maxsize=1)
def _route_methods() -> list[tuple[re.Pattern, list[str]]]:
    """Each served path (the spec's server url + path) as a pattern, with its methods."""
    routes = []
    for spec in specs.all_specs():
        server = (spec.get("servers") or [{"url": ""}])[0]["url"].rstrip("/")
        for path, item in spec.get("paths", {}).items():
            methods = [m.upper() for m in item if m in _HTTP_METHODS]
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(server + path))
            routes.append((re.compile(pattern + "/?"), methods))
    return routes


_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _allowed_methods(path: str) -> list[str]:
    methods: list[str] = []
    for pattern, route_methods in _route_methods():
        if pattern.fullmatch(path):
            methods += [m for m in route_methods if m not in methods]
    return methods


def register(app) -> None:
    for status in (400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 500):
        app.add_error_handler(status, to_response)
    for exc in (ApiError, ProblemException, HTTPException, UnicodeDecodeError, Exception):
        app.add_error_handler(exc, to_response)
