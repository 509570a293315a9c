"""OAuth2 / OIDC handlers: translate the HTTP request (from the request context) into
Authlib's request objects, run it through the authorization server inside the site's one
write transaction, and hand back its answer."""

from __future__ import annotations

from emr_api import request_context
from emr_api.errors import ValidationFailed
from emr_api.oauth2 import call
from emr_api.oauth2.requests import BodyJsonRequest, FormRequest


def request_uri() -> str:
    """The request's URI as Authlib sees it. Authlib refuses non-https URIs; transport
    security is the deployment's (TLS here, or a TLS-terminating proxy with --http), so
    the URI is named by the issuer."""
    info = request_context.current()
    return info.site.issuer + info.site_path


def _nul_in(value, path: str = "request") -> str | None:
    """The first field holding U+0000, which no database here can store or look up."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        name = key if isinstance(key, str) else path
        if isinstance(key, str) and "\x00" in key:
            return path
        if (found := _nul_in(item, name)) is not None:
            return found
    return None


def refuse_nul(*parts) -> None:
    """400 naming the field when the request's query or body holds U+0000 (no database
    here can store or look it up: PostgreSQL refuses it outright)."""
    field = _nul_in([dict(request_context.current().query_items), *parts])
    if field is not None:
        raise ValidationFailed({field: [f"{field} must not contain NUL (U+0000) characters"]})


def run(fn, form: dict | None = None, json_body: dict | None = None):
    info = request_context.current()
    refuse_nul(form, json_body)
    if json_body is not None:
        request = BodyJsonRequest(info.method, request_uri(), info.headers, json_body)
    else:
        request = FormRequest(info.method, request_uri(), info.headers, form or {},
                              dict(info.query_items))
    with info.site.db.write() as session:
        (status, body, headers), done = call.run(info.site, session, fn, request)
    info.audit.client_id = done.client_id
    return body, status, headers
