"""The bearer check, in two halves so a request makes one thread-pool hop:

- `token_info`, which Connexion calls on the event loop for every operation whose YAML
  security requirement names the `oauth` scheme: the token's signature, issuer, expiry and
  audience, then the API's scope and the operation's (from the signed claims). No I/O.
- `admit`, run in the handler's own hop and transaction just before it: the token's
  standing in the database (revoked? the user still active?) and the operation's `x-acl`. The caller's
  Access goes into the request context for the handler and the audit row.

Nothing reaches a handler without both: the resolver runs `admit` for every operation, and
`request_context.RequestInfo.caller` refuses a token whose standing was not read."""

from __future__ import annotations

import inspect

from emr_api import request_context, scopes
from emr_api.auth import bearer
from emr_api.codegen import operations


async def token_info(token: str, required_scopes=None, request=None) -> dict:
    info = request_context.current()
    claims = bearer.verify(info.site, info.api, token)
    granted = frozenset(scopes.split(claims.get("scope")))
    info.claims = claims  # before the checks: a refused request is audited with it
    bearer.check_role(info.api, claims)
    required = _in_callers_context(request, claims) or required_scopes or []
    bearer.check_scopes(granted, info.api, required)
    return {"sub": claims.get("sub"), "scope": sorted(granted)}


def _in_callers_context(request, claims: dict) -> tuple[str, ...] | None:
    """Of an operation's alternative requirements (FHIR's `user/` and `patient/` forms),
    the one in the token's own context. Connexion tries each alternative in turn; checking
    this one every time answers a refusal with the scope the caller could have held."""
    routing = (request.scope.get("extensions") or {}).get("connexion_routing", {}) \
        if request is not None else {}
    found = operations.by_id().get(routing.get("operation_id"))
    if found is None or len(found.requirements) < 2:
        return None
    context = bearer.scope_context(claims)
    for requirement in found.requirements:
        if any((parsed := scopes.parse(s)) and parsed[0] == context for s in requirement):
            return requirement
    return None


def admit(acl: tuple[str, str] | None) -> None:
    """The caller's standing and ACL, for a request that presented a token (blocking)."""
    info = request_context.current_or_none()
    if info is None or info.claims is None or info.access is not None:
        return
    access = bearer.standing(info.session.connection(), info.claims)
    info.access = access
    bearer.check_acl(access, acl)


def scopes_hold(required_scopes, token_scopes) -> bool:
    """Connexion's scope hook: v1/v2 equivalence instead of exact string matching.
    `token_info` has already enforced the same rule (so its 403 names the scope)."""
    return scopes.all_satisfied(token_scopes, required_scopes or [])


# Connexion inspects these on every request; a signature set once is read at once.
token_info.__signature__ = inspect.signature(token_info)
scopes_hold.__signature__ = inspect.signature(scopes_hold)
