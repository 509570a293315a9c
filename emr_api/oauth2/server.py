"""The authorization server: Authlib's protocol core with our storage. Every grant and
endpoint it offers is in the two lists below, and nowhere else."""

from __future__ import annotations

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749.errors import InvalidRequestError

from emr_api import scopes as scope_rules
from emr_api.auth.tokens import issue_access_token
from emr_api.oauth2 import call
from emr_api.oauth2.clients import find_client
from emr_api.oauth2.grant_code import CodeGrant
from emr_api.oauth2.grant_password import PasswordGrant
from emr_api.oauth2.grant_refresh import RefreshGrant
from emr_api.oauth2.oidc import EndSession, OpenIDCodeFlow, id_token_claims, sign_id_token
from emr_api.oauth2.rfc7009 import Revocation
from emr_api.oauth2.rfc7591 import Registration
from emr_api.oauth2.rfc7636 import S256Challenge
from emr_api.oauth2.rfc7662 import Introspection
from emr_api.oauth2.storage import issue_refresh_token
from emr_api.sites import Site

# (grant, its extensions): the token endpoint's grant types and the authorization endpoint's
# response type.
GRANTS = [
    (CodeGrant, lambda: [S256Challenge(required=True), OpenIDCodeFlow()]),
    (PasswordGrant, lambda: []),
    (RefreshGrant, lambda: []),
]
# The other endpoints, by their Authlib ENDPOINT_NAME.
ENDPOINTS = [Registration, Introspection, Revocation, EndSession]


def grant_types_supported(site: Site) -> list[str]:
    password = ["password"] if site.flag("oauth_password_grant") else []
    return ["authorization_code", *password, "refresh_token"]


def presented_methods(request) -> list[str]:
    """The client authentication methods a request carries (RFC 6749 §2.3, RFC 7523)."""
    authorization = request.headers.get("Authorization") or ""
    form = request.form or {}
    found = []
    if authorization[:6].lower() == "basic ":
        found.append("client_secret_basic")
    if "client_secret" in form:
        found.append("client_secret_post")
    if "client_assertion" in form or "client_assertion_type" in form:
        found.append("private_key_jwt")
    return found


class EmrAuthorizationServer(AuthorizationServer):
    def __init__(self):
        super().__init__()
        for grant, extensions in GRANTS:
            self.register_grant(grant, extensions())
        for endpoint in ENDPOINTS:
            self.register_endpoint(endpoint)

    def query_client(self, client_id):
        return find_client(call.current().session, client_id)

    def authenticate_client(self, request, methods, endpoint="token"):
        # RFC 6749 §2.3: one authentication method per request. Authlib would take the first
        # that succeeds, so a wrong secret beside a right one would pass unremarked.
        if len(presented_methods(request)) > 1:
            raise InvalidRequestError("The client authenticated in more than one way; "
                                      "use exactly one")
        return super().authenticate_client(request, methods, endpoint)

    def save_token(self, token, request):
        pass  # tokens are recorded as they are generated, in generate_token

    def generate_token(self, grant_type, client, user=None, scope=None, expires_in=None,
                       include_refresh_token=True):
        current = call.current()
        site, session = current.site, current.session
        granted = scope_rules.split(scope)
        refresh_token = refresh_id = None
        if include_refresh_token and "offline_access" in granted:
            refresh_token, refresh_id = issue_refresh_token(
                session, site, client_id=client.get_client_id(), identity=user, scope=scope,
                family_id=current.family_id)
        access_token, lifetime = issue_access_token(
            session, site, client_id=client.get_client_id(), identity=user, scope=scope,
            refresh_token_id=refresh_id)
        token = {"token_type": "Bearer", "access_token": access_token,
                 "expires_in": lifetime, "scope": scope}
        if refresh_token:
            token["refresh_token"] = refresh_token
        if "openid" in granted:
            token["id_token"] = sign_id_token(
                site, id_token_claims(site, user, client.get_client_id(), lifetime))
        return token

    def create_oauth2_request(self, request):
        return request

    def create_json_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        return status, body, dict(headers)

    def send_signal(self, name, *args, **kwargs):
        if name == "after_authenticate_client":  # the audit row names the client
            call.current().client_id = kwargs["client"].get_client_id()


SERVER = EmrAuthorizationServer()
