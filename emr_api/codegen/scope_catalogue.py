"""The scope catalogue, derived from the operations: every resource scope an operation
requires, in each form a client may ask for it (v1 read/write, v2 letters), plus the plain
scopes. It is `scopes_supported` in discovery, and what registration accepts."""

from __future__ import annotations

from functools import lru_cache

from emr_api import scopes
from emr_api.codegen.operations import operations


@lru_cache(maxsize=1)
def catalogue() -> tuple[str, ...]:
    """scopes_supported: plain scopes, then per context/resource the v1 and v2 forms."""
    named = [s for op in operations() for s in op.scopes]
    return tuple(dict.fromkeys([*scopes.PLAIN_SCOPES, *scopes.expand(named)]))


@lru_cache(maxsize=1)
def _supported() -> frozenset[str]:
    return frozenset(catalogue())


@lru_cache(maxsize=1)
def _offered() -> dict[tuple[str, str], frozenset[str]]:
    """The permission letters operations require, per (context, resource)."""
    offered: dict[tuple[str, str], set[str]] = {}
    for op in operations():
        for s in op.scopes:
            if parsed := scopes.parse(s):
                offered.setdefault(parsed[:2], set()).update(parsed[2])
    return {key: frozenset(letters) for key, letters in offered.items()}


def clamp(scope: str) -> str | None:
    """The scope as this server can grant it: itself when `scopes_supported` lists it; a
    v2 resource scope narrowed to the letters its resource offers (RFC 7591 §3.2.1 lets
    registration answer less than was asked); None when nothing of it is offered, as for a
    wildcard such as `system/*.cruds`."""
    if scope in _supported():
        return scope
    parsed = scopes.parse(scope)
    if parsed is None or "$export" in parsed[2]:
        return None
    context, resource, letters = parsed
    kept = "".join(c for c in "cruds" if c in letters & _offered().get((context, resource),
                                                                      frozenset()))
    return f"{context}/{resource}.{kept}" if kept else None


def is_known(scope: str) -> bool:
    """Whether any of a scope is something this server offers."""
    return clamp(scope) is not None
