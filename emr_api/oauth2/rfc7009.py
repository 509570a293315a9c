"""Token revocation (RFC 7009): a client revokes a token issued to it; a refresh token takes
its whole family and their access tokens with it."""

from __future__ import annotations

from authlib.oauth2.rfc7009 import RevocationEndpoint

from emr_api.oauth2 import call
from emr_api.oauth2.credentials import AccessCredential, presented_token_of
from emr_api.oauth2.storage import revoke_access_token, revoke_refresh_family


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string, token_type_hint):
        return None  # unused: authenticate_token below finds the token

    def authenticate_token(self, request, client):
        return presented_token_of(self, request, client)

    def revoke_token(self, token, request):
        session = call.current().session
        if isinstance(token, AccessCredential):
            revoke_access_token(session, token.row.jti)
        else:
            revoke_refresh_family(session, token.row.family_id)
