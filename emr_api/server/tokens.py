"""Access tokens: JWTs signed with the site key (`kid` in the header), recorded by `jti`
so that revocation takes effect at once. Refresh tokens are random strings stored only
as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from emr_api.db.models import OAuthAccessToken, OAuthRefreshToken, User, utcnow
from emr_api.server.keys import SIGNING_ALG
from emr_api.server.sites import Site


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret(nbytes: int = 48) -> str:
    return secrets.token_urlsafe(nbytes)


@dataclass(frozen=True)
class Subject:
    role: str  # "users", "patient", "system"
    user_uuid: str | None = None  # users: the user; patient: the patient
    patient_uuid: str | None = None  # patient context, when there is one


def issue_access_token(session: Session, site: Site, *, client_id: str, subject: Subject,
                       scope: str, refresh_token_id: str | None = None) -> tuple[str, int]:
    lifetime = site.int_global("access_token_lifetime")
    now = int(time.time())
    jti = secrets.token_hex(20)
    claims = {
        "iss": site.issuer,
        "aud": client_id,
        "sub": subject.user_uuid or client_id,
        "jti": jti,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "scope": scope,
        "role": subject.role,
    }
    if subject.patient_uuid:
        claims["patient"] = subject.patient_uuid
    key = site.keys.signing_key
    token = jwt.encode({"alg": SIGNING_ALG, "kid": key.kid, "typ": "at+jwt"}, claims, key)
    session.add(OAuthAccessToken(
        jti=jti, client_id=client_id,
        user_uuid=subject.user_uuid if subject.role != "patient" else None,
        patient_uuid=subject.patient_uuid, scope=scope,
        expires_at=datetime.fromtimestamp(now + lifetime, timezone.utc).replace(tzinfo=None),
        refresh_token_id=refresh_token_id,
    ))
    return token, lifetime


def issue_refresh_token(session: Session, site: Site, *, client_id: str, subject: Subject,
                        scope: str, family_id: str | None = None) -> tuple[str, str]:
    """A new refresh token; returns (token, its row id)."""
    token = new_secret()
    row_id = secrets.token_hex(16)
    session.add(OAuthRefreshToken(
        id=row_id, token_hash=sha256(token), client_id=client_id,
        user_uuid=subject.user_uuid, patient_uuid=subject.patient_uuid,
        user_role=subject.role, scope=scope,
        expires_at=utcnow() + timedelta(seconds=site.int_global("refresh_token_lifetime")),
        family_id=family_id or row_id,
    ))
    return token, row_id


def sign_id_token(site: Site, claims: dict) -> str:
    key = site.keys.signing_key
    return jwt.encode({"alg": SIGNING_ALG, "kid": key.kid, "typ": "JWT"}, claims, key)


class InvalidToken(Exception):
    pass


def verify_signature(site: Site, token: str) -> dict:
    """Signature, issuer and time claims of an access token; raises InvalidToken.
    Cheap enough for the event loop: no I/O unless the kid is new to this process."""
    try:
        header = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError, UnicodeError) as exc:
        raise InvalidToken("malformed token") from exc
    kid = header.get("kid")
    if header.get("alg") != SIGNING_ALG or not isinstance(kid, str):
        raise InvalidToken("unexpected token header")
    key = site.keys.public_key(kid)
    if key is None:
        raise InvalidToken("unknown signing key")
    try:
        claims = jwt.decode(token, key, algorithms=[SIGNING_ALG]).claims
        JWTClaimsRegistry(
            iss={"essential": True, "value": site.issuer},
            exp={"essential": True},
            jti={"essential": True},
            leeway=30,
        ).validate(claims)
    except (JoseError, ValueError) as exc:
        raise InvalidToken(str(exc) or "invalid token") from exc
    return claims


def _live(revoked, expires_at, user_active) -> bool:
    """A token counts while it is not revoked, not expired, and its user (if any) is active."""
    return not revoked and expires_at > utcnow() and (user_active is None or bool(user_active))


def live_token_row(session: Session, jti: str) -> tuple[OAuthAccessToken, User | None] | None:
    """The token's row (and its user) if it is neither revoked nor expired."""
    row = session.execute(
        select(OAuthAccessToken, User)
        .outerjoin(User, User.uuid == OAuthAccessToken.user_uuid)
        .where(OAuthAccessToken.jti == jti)
    ).first()
    if row is None:
        return None
    token, user = row
    if not _live(token.revoked, token.expires_at, user.active if user else None):
        return None
    return token, user


_STANDING = (
    select(OAuthAccessToken.jti, OAuthAccessToken.client_id, OAuthAccessToken.scope,
           OAuthAccessToken.user_uuid, OAuthAccessToken.patient_uuid,
           OAuthAccessToken.revoked, OAuthAccessToken.expires_at,
           User.acl_group, User.active)
    .outerjoin(User, User.uuid == OAuthAccessToken.user_uuid)
    .where(OAuthAccessToken.jti == bindparam("jti"))
)


def token_standing(conn: Connection, jti: str):
    """The live token's facts for the API's security check, as one Core row (this runs
    on every API request: no ORM objects), or None."""
    row = conn.execute(_STANDING, {"jti": jti}).first()
    if row is None or not _live(row.revoked, row.expires_at, row.active):
        return None
    return row


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
