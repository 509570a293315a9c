"""OAuth2 / OIDC handlers: translate the HTTP request (from the request context) into
Authlib's request objects, run it through the authorization server inside the site's one
write transaction, and hand back its answer."""

from __future__ import annotations

from emr_api import request_context
from emr_api.oauth2 import call
from emr_api.oauth2.requests import BodyJsonRequest, FormRequest


def request_uri() -> str:
    """The request's URI as Authlib sees it. Authlib refuses non-https URIs; transport
    security is the deployment's (TLS here, or a TLS-terminating proxy with --http), so
    the URI is named by the issuer."""
    info = request_context.current()
    return info.site.issuer + info.site_path


def run(fn, form: dict | None = None, json_body: dict | None = None):
    info = request_context.current()
    if json_body is not None:
        request = BodyJsonRequest(info.method, request_uri(), info.headers, json_body)
    else:
        request = FormRequest(info.method, request_uri(), info.headers, form or {},
                              dict(info.query_items))
    with info.site.db.write() as session:
        (status, body, headers), done = call.run(info.site, session, fn, request)
    info.audit.client_id = done.client_id
    return body, status, headers
