"""Tokens a client presents back to the server (RFC 7662 introspection, RFC 7009
revocation, the refresh grant), as Authlib asks about them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.auth.tokens import InvalidToken, live_token_row, verify_signature
from emr_api.db.models import OAuthAccessToken, OAuthRefreshToken, utcnow
from emr_api.oauth2 import call
from emr_api.oauth2.storage import sha256
from emr_api.sites import Site


class RefreshCredential:
    def __init__(self, row: OAuthRefreshToken):
        self.row = row

    def check_client(self, client):
        return self.row.client_id == client.get_client_id()

    def get_scope(self):
        return self.row.scope

    def get_expires_in(self):
        return int((self.row.expires_at - utcnow()).total_seconds())

    def is_expired(self):
        return self.row.expires_at <= utcnow()

    def is_revoked(self):
        return self.row.revoked


class AccessCredential:
    """An access token found for introspection or revocation."""

    def __init__(self, row, claims):
        self.row = row
        self.claims = claims

    def check_client(self, client):
        return self.row.client_id == client.get_client_id()


def find_presented_token(site: Site, session: Session, token: str, hint: str | None):
    """An access token (a JWT of this site) or a refresh token, whoever it was issued to."""
    if hint != "refresh_token" and token.count(".") == 2:
        try:
            claims = verify_signature(site, token)
        except InvalidToken:
            claims = None
        if claims is not None:
            found = live_token_row(session, claims["jti"])
            row = found[0] if found else session.get(OAuthAccessToken, claims["jti"])
            if row is not None:
                return AccessCredential(row, claims)
    row = session.execute(
        select(OAuthRefreshToken).where(OAuthRefreshToken.token_hash == sha256(token))
    ).scalar_one_or_none()
    return RefreshCredential(row) if row is not None else None


def presented_token_of(endpoint, request, client):
    """The token in the request if it was issued to this client (shared with RFC 7009)."""
    endpoint.check_params(request, client)
    current = call.current()
    current.client_id = client.get_client_id()  # authenticated: the audit row names it
    token = find_presented_token(current.site, current.session, request.form.get("token") or "",
                                 request.form.get("token_type_hint"))
    if token is not None and token.check_client(client):
        return token
    return None
