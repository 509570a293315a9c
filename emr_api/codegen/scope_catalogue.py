"""The scope catalogue, derived from the YAML: every resource scope an operation requires,
in each form a client may ask for it (v1 read/write, v2 letters), plus the plain scopes."""

from __future__ import annotations

from emr_api.server import scopes


def required_scopes(spec: dict) -> set[str]:
    found: set[str] = set()
    for path_item in spec.get("paths", {}).values():
        for op in path_item.values():
            if not isinstance(op, dict):
                continue
            for requirement in op.get("security", []):
                for needed in requirement.values():
                    found.update(needed)
    return found


def resources(specs: list[dict]) -> set[str]:
    out = set()
    for spec in specs:
        for s in required_scopes(spec):
            parsed = scopes.parse(s)
            if parsed:
                out.add(parsed[1])
    return out


def catalogue(specs: list[dict]) -> list[str]:
    """scopes_supported: plain scopes, then per context/resource the v1 and v2 forms."""
    by_resource: dict[tuple[str, str], set[str]] = {}
    for spec in specs:
        for s in required_scopes(spec):
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
    return list(dict.fromkeys(out))
