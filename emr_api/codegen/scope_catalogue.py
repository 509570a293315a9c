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
    by_resource: dict[tuple[str, str], set[str]] = {}
    for op in operations():
        for s in op.scopes:
            parsed = scopes.parse(s)
            if parsed:
                by_resource.setdefault((parsed[0], parsed[1]), set()).update(parsed[2])
    out = list(scopes.PLAIN_SCOPES)
    for (ctx, res), letters in sorted(by_resource.items()):
        forms = []
        if letters & set("rs"):
            forms.append("read")
        if letters & set("cud"):
            forms.append("write")
        v2 = "".join(c for c in "cruds" if c in letters)
        forms += [v2] + [c for c in v2 if len(v2) > 1]
        if "r" in letters and "s" in letters:
            forms.append("rs")
        if {"c", "u"} <= letters:
            forms.append("cu" + ("d" if "d" in letters else ""))
        for form in dict.fromkeys(forms):
            out.append(f"{ctx}/{res}.{form}")
    return tuple(dict.fromkeys(out))


def is_known(scope: str) -> bool:
    """Whether a requested scope names something this server offers."""
    return scopes.is_known(scope, resources())
