"""OAuth2 / OIDC handlers: translate the HTTP request for Authlib's core, run it inside
the site's one write transaction, and hand back its answer."""

from connexion import request

from emr_api.server import context, oauth


def run(call, form: dict | None = None, json_body: dict | None = None):
    site = context.site()
    # Authlib refuses non-https URIs; transport security is the deployment's (TLS here,
    # or a TLS-terminating proxy with --http), so the request URI is named by the issuer.
    uri = site.issuer + request.url.path.removeprefix(request.scope.get("root_path", ""))
    if json_body is not None:
        req = oauth.BodyJsonRequest(request.method, uri, request.headers, json_body)
    else:
        req = oauth.FormRequest(request.method, uri, request.headers, form or {},
                                dict(request.query_params))
    with site.db.write() as session:
        status, body, headers = oauth.run(site, session, call, req)
    if isinstance(body, dict) and "client_id" in body and "error" not in body:
        context.request_info().extra["client_id"] = body["client_id"]
    return body, status, headers
