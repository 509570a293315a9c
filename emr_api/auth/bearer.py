"""From a verified token to the caller's Access, and the checks every protected operation
makes: the API's own scope, the operation's scopes (v1 and v2 forms alike), its ACL."""

from __future__ import annotations

from sqlalchemy import Connection

from emr_api import scopes
from emr_api.auth import acl
from emr_api.auth.tokens import InvalidToken, audience_of, token_standing, verify_signature
from emr_api.codegen.apis import Api
from emr_api.errors import Forbidden, Unauthenticated
from emr_api.identity import Access, Identity, Role
from emr_api.sites import Site


def verify(site: Site, api: Api, token: str) -> dict:
    """The token's claims if it is a valid access token of this site for this API."""
    try:
        return verify_signature(site, token, audience_of(site, api))
    except InvalidToken as exc:
        raise Unauthenticated(f"Invalid access token: {exc}") from None


def standing(conn: Connection, claims: dict) -> Access:
    """The caller behind verified claims, from the token's row (revocation, the user's
    standing and ACL group), read in the request's transaction. Blocking."""
    row = token_standing(conn, claims["jti"])
    if row is None:
        raise Unauthenticated("The access token is expired, revoked or unknown")
    try:
        role = Role(claims.get("role", Role.USER.value))
    except ValueError:
        raise Unauthenticated("The access token names no known role") from None
    user_uuid = row.user_uuid if row.acl_group is not None else None
    if role is Role.PATIENT:
        user_uuid = row.patient_uuid
    identity = Identity(role=role, user_uuid=user_uuid, patient_uuid=row.patient_uuid)
    return Access(identity=identity, client_id=row.client_id,
                  scopes=frozenset(scopes.split(row.scope)), acl_group=row.acl_group,
                  jti=row.jti)


def scope_context(claims: dict) -> str:
    """The context a token's resource scopes are in: `patient` for a patient's token,
    `user` for a staff user's."""
    return "patient" if claims.get("role") == Role.PATIENT.value else "user"


def check_role(api: Api, claims: dict) -> None:
    """Raise Forbidden when the API answers patients only and the token is not one's."""
    if api.patient_only and claims.get("role") != Role.PATIENT.value:
        raise Forbidden(f"The {api.name} API answers patients' own tokens only")


def check_scopes(granted: frozenset[str], api: Api, required) -> None:
    """Raise Forbidden unless the granted scopes hold the API's scope and the operation's."""
    if api.scope and api.scope not in granted:
        raise Forbidden(f"The access token lacks the '{api.scope}' scope this API requires")
    missing = [s for s in required if not scopes.satisfies(granted, s)]
    if missing:
        raise Forbidden(f"The access token lacks the scope(s): {' '.join(missing)}")


def check_acl(access: Access, needed_acl: tuple[str, str] | None) -> None:
    """Raise Forbidden unless a staff user's group holds the operation's ACL."""
    if needed_acl and access.role is Role.USER and not acl.allows(access.acl_group, *needed_acl):
        raise Forbidden(f"The user is not allowed '{needed_acl[0]}/{needed_acl[1]}'")
