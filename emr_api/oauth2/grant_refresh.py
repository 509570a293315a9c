"""The refresh grant (RFC 6749 section 6) with rotation: every use returns a new refresh
token and retires the old one; a retired token used again means it leaked, so its whole
family and their access tokens die (RFC 9700 section 4.14.2)."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError
from sqlalchemy import select, update

from emr_api.db.models import OAuthRefreshToken, utcnow
from emr_api.identity import Identity
from emr_api.oauth2 import call
from emr_api.oauth2.credentials import RefreshCredential
from emr_api.oauth2.storage import revoke_refresh_family, sha256
from emr_api.oauth2.subjects import still_valid


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        session = call.current().session
        # Locked from the first read: concurrent exchanges of one token queue here, so
        # each sees the last one's outcome and none holds other family rows while waiting
        # (which deadlocked PostgreSQL when several losers revoked the family at once).
        row = session.execute(
            select(OAuthRefreshToken)
            .where(OAuthRefreshToken.token_hash == sha256(refresh_token))
            .with_for_update()
        ).scalar_one_or_none()
        if row is None or row.revoked or row.expires_at <= utcnow():
            return None
        if row.used_at is not None:
            revoke_refresh_family(session, row.family_id)
            session.flush()
            return None
        return RefreshCredential(row)

    def authenticate_user(self, refresh_token):
        row = refresh_token.row
        identity = Identity(role=row.user_role, user_uuid=row.user_uuid,
                            patient_uuid=row.patient_uuid)
        return identity if still_valid(call.current().session, identity) else None

    def issue_token(self, user, refresh_token):
        call.current().family_id = refresh_token.row.family_id
        return super().issue_token(user, refresh_token)

    def revoke_old_credential(self, refresh_token):
        """Retire the token with one conditional UPDATE, so that of concurrent uses only
        one wins (the row lock makes the others see it used); a loser is a reuse."""
        row = refresh_token.row
        session = call.current().session
        claimed = session.execute(
            update(OAuthRefreshToken)
            .where(OAuthRefreshToken.id == row.id, OAuthRefreshToken.used_at.is_(None),
                   OAuthRefreshToken.revoked.is_(False))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            revoke_refresh_family(session, row.family_id)
            raise InvalidGrantError("The refresh token has already been used")

    def create_token_response(self):
        # The old token is retired before the new one is written, in one transaction.
        refresh_token = self.request.refresh_token
        user = self.authenticate_user(refresh_token)
        if not user:
            raise InvalidGrantError("The user of this refresh token is no longer active")
        self.revoke_old_credential(refresh_token)
        self.request.user = user
        token = self.issue_token(user, refresh_token)
        return 200, token, self.TOKEN_RESPONSE_HEADER
