"""Tickets: how the validated authorization request travels through the login and consent
forms with no server memory between pages.

A ticket is a short-lived JWT signed with the site key (header typ `emr-authz+jwt`,
audience `<issuer>/authorize`), so any server process can continue a flow another began.
The login ticket names the request; the consent ticket adds who signed in and what may be
offered. A ticket cannot be forged or altered, and it is the only authority the POSTs
accept: there is no session cookie for a cross-site form to ride on, and a consent ticket
is only obtained by submitting the password. A consent ticket yields at most one code (its
`jti` is unique among codes), and a code injected into another browser's flow is useless
without that flow's PKCE verifier."""

from __future__ import annotations

import secrets
import time

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry

from emr_api.sites import Site
from emr_api.sites.keys import SIGNING_ALG

LOGIN_TICKET_SECONDS = 600
CONSENT_TICKET_SECONDS = 300
TICKET_TYP = "emr-authz+jwt"

class BadTicket(Exception):
    pass


def _ticket_audience(site: Site) -> str:
    return f"{site.issuer}/authorize"


def sign_ticket(site: Site, stage: str, lifetime: int, **claims) -> str:
    now = int(time.time())
    key = site.keys.signing_key
    body = {"iss": site.issuer, "aud": _ticket_audience(site), "iat": now,
            "exp": now + lifetime, "jti": secrets.token_hex(16), "stg": stage, **claims}
    return jwt.encode({"alg": SIGNING_ALG, "kid": key.kid, "typ": TICKET_TYP}, body, key)


def read_ticket(site: Site, ticket: str | None, stage: str) -> dict:
    if not ticket:
        raise BadTicket("missing")
    try:
        header = jws.extract_compact(ticket.encode()).protected
        key = site.keys.public_key(header.get("kid") or "")
        if header.get("typ") != TICKET_TYP or header.get("alg") != SIGNING_ALG or key is None:
            raise BadTicket("not a ticket of this site")
        claims = jwt.decode(ticket, key, algorithms=[SIGNING_ALG]).claims
        JWTClaimsRegistry(
            iss={"essential": True, "value": site.issuer},
            aud={"essential": True, "value": _ticket_audience(site)},
            exp={"essential": True},
            stg={"essential": True, "value": stage},
            jti={"essential": True},
        ).validate(claims)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise BadTicket(str(exc)) from None
    if not isinstance(claims.get("req"), dict) or not isinstance(claims.get("ru"), str):
        raise BadTicket("incomplete")
    return claims
