"""Token introspection (RFC 7662): a confidential client asks about a token issued to it."""

from __future__ import annotations

from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from emr_api.auth.tokens import live_token_row
from emr_api.db.models import utcnow
from emr_api.oauth2 import call
from emr_api.oauth2.credentials import AccessCredential, presented_token_of


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        return None  # unused: authenticate_token below finds the token

    def authenticate_token(self, request, client):
        return presented_token_of(self, request, client)

    def create_introspection_payload(self, token):
        if token is None:
            return {"active": False}
        current = call.current()
        if isinstance(token, AccessCredential):
            row = token.row
            if live_token_row(current.session, row.jti) is None:
                return {"active": False}
            c = token.claims
            return {"active": True, "token_type": "Bearer", "scope": row.scope,
                    "client_id": row.client_id, "sub": c.get("sub"), "aud": c.get("aud"),
                    "iss": c.get("iss"), "exp": c.get("exp"), "iat": c.get("iat"),
                    "jti": row.jti}
        row = token.row
        if row.revoked or row.used_at is not None or row.expires_at <= utcnow():
            return {"active": False}
        return {"active": True, "token_type": "refresh_token", "scope": row.scope,
                "client_id": row.client_id, "sub": row.user_uuid,
                "exp": int(row.expires_at.timestamp()), "iss": current.site.issuer}

    def check_permission(self, token, client, request):
        return token.check_client(client)

    def introspect_token(self, token):
        return self.create_introspection_payload(token)
