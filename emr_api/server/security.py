"""The bearer check Connexion calls for every operation whose YAML security requirement
names the `oauth` scheme (`x-tokenInfoFunc`), with the operation's required scopes.

Signature, issuer, expiry and audience are checked on the event loop; revocation and the
user's standing in one indexed query off it; then the API scope, the operation's scopes and
its `x-acl` (from the one operations list). The caller's Access goes into the request
context for the handler and the audit row."""

from __future__ import annotations

import anyio
import anyio.to_thread

from emr_api import request_context, scopes
from emr_api.auth import bearer
from emr_api.codegen import operations


async def token_info(token: str, required_scopes=None, request=None) -> dict:
    info = request_context.current()
    claims = bearer.verify(info.site, info.api, token)
    with anyio.fail_after((info.site.db.timeout or 30) + 1):  # a stalled database: 503
        access = await anyio.to_thread.run_sync(bearer.standing, info.site, claims,
                                                abandon_on_cancel=True)
    info.access = access
    operation = operations.by_id().get(_operation_id(request) or "")
    bearer.check(access, info.api, required_scopes or [], operation.acl if operation else None)
    return {"sub": claims.get("sub"), "scope": sorted(access.scopes), "access": access}


def scopes_hold(required_scopes, token_scopes) -> bool:
    """Connexion's scope hook: v1/v2 equivalence instead of exact string matching.
    `token_info` has already enforced the same rule (so its 403 names the scope)."""
    return scopes.all_satisfied(token_scopes, required_scopes or [])


def _operation_id(request) -> str | None:
    if request is None:
        return None
    routing = request.scope.get("extensions", {}).get("connexion_routing", {})
    return routing.get("operation_id")
