"""The scope catalogue, derived from the operations: every resource scope an operation
requires, in each form a client may ask for it (v1 read/write, v2 letters), plus the plain
scopes. It is `scopes_supported` in discovery, and what registration accepts."""

from __future__ import annotations

from functools import lru_cache

from emr_api import scopes
from emr_api.codegen.operations import operations


@lru_cache(maxsize=1)
def resources() -> frozenset[str]:
    """The resource names scopes may mention."""
    return frozenset(parsed[1] for op in operations() for s in op.scopes
                     if (parsed := scopes.parse(s)))


@lru_cache(maxsize=1)
def catalogue() -> tuple[str, ...]:
    """scopes_supported: plain scopes, then per context/resource the v1 and v2 forms."""
    named = [s for op in operations() for s in op.scopes]
    return tuple(dict.fromkeys([*scopes.PLAIN_SCOPES, *scopes.expand(named)]))


def is_known(scope: str) -> bool:
    """Whether a requested scope names something this server offers."""
    return scopes.is_known(scope, resources())
