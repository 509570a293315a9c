"""Where the authorization server keeps what it issues: refresh tokens (stored as their
SHA-256 only), and revocation of access tokens, refresh families and a subject's tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from emr_api.db.models import OAuthAccessToken, OAuthRefreshToken, utcnow
from emr_api.identity import Identity
from emr_api.sites import Site


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret(nbytes: int = 48) -> str:
    return secrets.token_urlsafe(nbytes)


def issue_refresh_token(session: Session, site: Site, *, client_id: str, identity: Identity,
                        scope: str, family_id: str | None = None) -> tuple[str, str]:
    """A new refresh token; returns (token, its row id)."""
    token = new_secret()
    row_id = secrets.token_hex(16)
    session.add(OAuthRefreshToken(
        id=row_id, token_hash=sha256(token), client_id=client_id,
        user_uuid=identity.user_uuid, patient_uuid=identity.patient_uuid,
        user_role=identity.role.value, scope=scope,
        expires_at=utcnow() + timedelta(seconds=site.int_global("refresh_token_lifetime")),
        family_id=family_id or row_id,
    ))
    return token, row_id


def revoke_access_token(session: Session, jti: str) -> None:
    session.execute(update(OAuthAccessToken).where(OAuthAccessToken.jti == jti)
                    .values(revoked=True))


def revoke_refresh_family(session: Session, family_id: str) -> None:
    """Kill a refresh token family and every access token minted from it."""
    # Lock the family's rows in one order first: concurrent reuses of one token each
    # revoke the family, and locking in arbitrary order deadlocks them on PostgreSQL.
    session.execute(select(OAuthRefreshToken.id).where(OAuthRefreshToken.family_id == family_id)
                    .order_by(OAuthRefreshToken.id).with_for_update()).all()
    # One statement each, the family read inside the UPDATE: a token a concurrent
    # request just committed to the family is caught too (no stale snapshot of ids).
    session.execute(update(OAuthRefreshToken).where(OAuthRefreshToken.family_id == family_id)
                    .values(revoked=True).execution_options(synchronize_session=False))
    family = select(OAuthRefreshToken.id).where(OAuthRefreshToken.family_id == family_id)
    session.execute(update(OAuthAccessToken)
                    .where(OAuthAccessToken.refresh_token_id.in_(family.scalar_subquery()))
                    .values(revoked=True).execution_options(synchronize_session=False))


def revoke_subject_tokens(session: Session, *, client_id: str, subject: str) -> None:
    """Revoke every access and refresh token this client holds for this user or patient."""
    session.execute(
        update(OAuthAccessToken)
        .where(OAuthAccessToken.client_id == client_id,
               or_(OAuthAccessToken.user_uuid == subject, OAuthAccessToken.patient_uuid == subject))
        .values(revoked=True).execution_options(synchronize_session=False))
    session.execute(
        update(OAuthRefreshToken)
        .where(OAuthRefreshToken.client_id == client_id, OAuthRefreshToken.user_uuid == subject)
        .values(revoked=True).execution_options(synchronize_session=False))
