"""The one place a bearer token becomes a caller.

Connexion calls `token_info` for every operation whose YAML security requirement names
the `oauth` scheme, with the operation's required scopes. It verifies the token
(signature, issuer, expiry on the event loop; revocation and the user's standing in one
indexed query off the loop), then the API-level scope, the operation's scopes and the
operation's `x-acl`, and records the caller for the handler and the audit log."""

from __future__ import annotations

import anyio.to_thread

from emr_api.server import acl, context, scopes
from emr_api.server.context import Caller
from emr_api.server.errors import Forbidden, Unauthenticated
from emr_api.server.tokens import InvalidToken, token_standing, verify_signature

# operationId -> (section, subsection), filled from the YAML's `x-acl` when the app loads.
OPERATION_ACL: dict[str, tuple[str, str]] = {}


def register_spec(spec: dict) -> None:
    for path_item in spec.get("paths", {}).values():
        for op in path_item.values():
            if isinstance(op, dict) and op.get("x-acl") and op.get("operationId"):
                section, subsection = op["x-acl"]
                OPERATION_ACL[op["operationId"]] = (section, subsection)


def _lookup(site, jti: str):
    with site.db.read_connection() as conn:
        return token_standing(conn, jti)


async def token_info(token: str, required_scopes=None, request=None) -> dict:
    info = context.request_info()
    site = info.site
    try:
        claims = verify_signature(site, token)
    except InvalidToken as exc:
        raise Unauthenticated(f"Invalid access token: {exc}") from None
    row = await anyio.to_thread.run_sync(_lookup, site, claims["jti"])
    if row is None:
        raise Unauthenticated("The access token is expired, revoked or unknown")
    has_user = row.acl_group is not None

    granted = frozenset(scopes.split(row.scope))
    caller = Caller(
        role=claims.get("role", "users"),
        client_id=row.client_id,
        scopes=granted,
        jti=row.jti,
        user_uuid=row.user_uuid if has_user else None,
        acl_group=row.acl_group,
        patient_uuid=row.patient_uuid,
    )
    info.caller = caller

    api_scope = scopes.API_SCOPES.get(info.api)
    if api_scope and api_scope not in granted:
        raise Forbidden(f"The access token lacks the '{api_scope}' scope this API requires")
    missing = [s for s in (required_scopes or []) if not scopes.satisfies(granted, s)]
    if missing:
        raise Forbidden(f"The access token lacks the scope(s): {' '.join(missing)}")

    operation_id = _operation_id(request)
    needed = OPERATION_ACL.get(operation_id or "")
    if needed and caller.role == "users" and not acl.allows(caller.acl_group, *needed):
        raise Forbidden(f"The user is not allowed '{needed[0]}/{needed[1]}'")
    return {"sub": claims.get("sub"), "scope": sorted(granted), "caller": caller}


def scopes_hold(required_scopes, token_scopes) -> bool:
    """Connexion's scope hook: v1/v2 equivalence instead of exact string matching.
    `token_info` has already enforced the same rule (so its 403 names the scope)."""
    return scopes.all_satisfied(token_scopes, required_scopes or [])


def _operation_id(request) -> str | None:
    if request is None:
        return None
    routing = request.scope.get("extensions", {}).get("connexion_routing", {})
    return routing.get("operation_id")


def current_caller() -> Caller:
    caller = context.caller()
    if caller is None:
        raise Unauthenticated("Authentication required")
    return caller
