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


async def token_info(token: str, required_scopes=None, request=None) -> dict:
    info = request_context.current()
    claims = bearer.verify(info.site, info.api, token)
    granted = frozenset(scopes.split(claims.get("scope")))
    info.claims = claims  # before the checks: a refused request is audited with it
    bearer.check_role(info.api, claims)
    bearer.check_scopes(granted, info.api, required_scopes or [])
    return {"sub": claims.get("sub"), "scope": sorted(granted)}


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
