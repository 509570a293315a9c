"""Access tokens: JWTs (RFC 9068, `typ: at+jwt`) signed with the site key (`kid` in the
header), recorded by `jti` so that revocation takes effect at once.

A token's `aud` lists the resources it was issued for: the base URL of each of the site's
APIs (and the issuer, for UserInfo). The bearer check of each API verifies that its own
URL is among them, so a token minted for one resource server is refused by another."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from emr_api.codegen.apis import APIS, Api
from emr_api.db.models import OAuthAccessToken, User, utcnow
from emr_api.identity import Identity, Role
from emr_api.sites import Site
from emr_api.sites.keys import SIGNING_ALG

ACCESS_TOKEN_TYP = "at+jwt"


def audience_of(site: Site, api: Api) -> str:
    """The URL that names an API of this site as a token audience."""
    return site.issuer if api.prefix == "oauth2" else site.url(api.base_path(site.name))


def audiences(site: Site) -> list[str]:
    return [audience_of(site, api) for api in APIS]


def issue_access_token(session: Session, site: Site, *, client_id: str, identity: Identity,
                       scope: str, refresh_token_id: str | None = None) -> tuple[str, int]:
    """Sign a new access token and record it; returns (token, lifetime in seconds)."""
    lifetime = site.int_global("access_token_lifetime")
    now = int(time.time())
    jti = secrets.token_hex(20)
    claims = {
        "iss": site.issuer,
        "aud": audiences(site),
        "client_id": client_id,
        "sub": identity.subject or client_id,
        "jti": jti,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "scope": scope,
        "role": identity.role.value,
    }
    if identity.patient_uuid:
        claims["patient"] = identity.patient_uuid
    key = site.keys.signing_key
    token = jwt.encode({"alg": SIGNING_ALG, "kid": key.kid, "typ": ACCESS_TOKEN_TYP}, claims, key)
    session.add(OAuthAccessToken(
        jti=jti, client_id=client_id,
        user_uuid=identity.user_uuid if identity.role is not Role.PATIENT else None,
        patient_uuid=identity.patient_uuid, scope=scope,
        expires_at=datetime.fromtimestamp(now + lifetime, timezone.utc).replace(tzinfo=None),
        refresh_token_id=refresh_token_id,
    ))
    return token, lifetime


class InvalidToken(Exception):
    pass


# Tokens already verified, by (issuer, audience, token): the RSA check is the costliest
# step of a request, and a client sends the same token many times. A hit counts only while
# the token is unexpired and the key that verified it is still the site's key for its kid;
# revocation is not cached (token_standing reads it on every request).
_VERIFIED: dict[tuple, tuple[dict, str, object]] = {}
_VERIFIED_MAX = 4096
LEEWAY_SECONDS = 30


def verify_signature(site: Site, token: str, audience: str | None = None) -> dict:
    """Signature, issuer, time claims and (when given) audience of an access token; raises
    InvalidToken. The claims returned are shared: read them, never change them. Cheap
    enough for the event loop: no I/O unless the kid is new here."""
    seen = (site.issuer, audience, token)
    hit = _VERIFIED.get(seen)
    if hit is not None:
        claims, kid, key = hit
        if claims["exp"] + LEEWAY_SECONDS >= time.time() and site.keys.public_key(kid) is key:
            return claims
        _VERIFIED.pop(seen, None)  # verified again below, which says what is wrong
    claims, kid, key = _verify(site, token, audience)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()  # a plain bound: the live tokens come back on their next use
    _VERIFIED[seen] = (claims, kid, key)
    return claims


def _verify(site: Site, token: str, audience: str | None) -> tuple[dict, str, object]:
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
    expected = {
        "iss": {"essential": True, "value": site.issuer},
        "exp": {"essential": True},
        "jti": {"essential": True},
    }
    if audience is not None:
        expected["aud"] = {"essential": True, "value": audience}
    try:
        claims = jwt.decode(token, key, algorithms=[SIGNING_ALG]).claims
        JWTClaimsRegistry(leeway=LEEWAY_SECONDS, **expected).validate(claims)
    except (JoseError, ValueError) as exc:
        raise InvalidToken(str(exc) or "invalid token") from exc
    return claims, kid, key


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
