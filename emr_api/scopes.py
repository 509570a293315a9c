"""OpenEMR / SMART scope grammar: plain string rules, no I/O, shared by the scope
catalogue (codegen), the bearer check (auth) and the authorization server (oauth2).

Resource scopes are `<context>/<resource>.<permissions>` where context is user, patient
or system; permissions are v1 `read` / `write` or a v2 ordered subset of `cruds`.
`.read` is the same grant as `.rs` and `.write` the same as `.cud`. An operation states
what it needs in the YAML as one v2 letter (`user/patient.r` to read one, `.s` to search,
`.c` create, `.u` update, `.d` delete), so every equivalent form satisfies it."""

from __future__ import annotations

import re
from functools import lru_cache

CONTEXTS = ("user", "patient", "system")
# Scopes that are not resource scopes, as OpenEMR publishes them, in plain words.
PLAIN_SCOPES = {
    "openid": "Confirm who you are to the app",
    "fhirUser": "Tell the app which user or patient record is yours",
    "online_access": "Stay connected while you are using the app",
    "offline_access": "Stay connected when you are not using the app, until you sign out",
    "launch": "Start from within the health record",
    "launch/patient": "Ask which patient to work with when it starts",
    "api:oemr": "Use the standard API",
    "api:fhir": "Use the FHIR API",
    "api:port": "Use the patient portal API",
    "email": "See your email address",
    "profile": "See your name",
}
V1 = {"read": frozenset("rs"), "write": frozenset("cud")}
_RESOURCE_SCOPE = re.compile(
    r"^(user|patient|system)/([A-Za-z][A-Za-z0-9_-]*|\*)\.(read|write|c?r?u?d?s?|\$export)$"
)


@lru_cache(maxsize=4096)
def parse(scope: str) -> tuple[str, str, frozenset[str]] | None:
    """(context, resource, permission letters) for a resource scope, else None."""
    m = _RESOURCE_SCOPE.fullmatch(scope)
    if not m or m.group(3) == "":
        return None
    ctx, resource, perms = m.groups()
    if perms == "$export":
        return ctx, resource, frozenset({"$export"})
    return ctx, resource, V1.get(perms, frozenset(perms))


def split(scope: str | None) -> list[str]:
    return [s for s in (scope or "").split() if s]


def satisfies(granted: frozenset[str] | set[str], required: str) -> bool:
    """Whether the granted scopes include what one required scope asks for."""
    if required in granted:
        return True
    need = parse(required)
    if need is None:
        return False
    ctx, resource, letters = need
    for scope in granted:
        have = parse(scope)
        if have and have[0] == ctx and have[1] in (resource, "*") and letters <= have[2]:
            return True
    return False


def all_satisfied(granted, required) -> bool:
    granted = frozenset(granted)
    return all(satisfies(granted, r) for r in required)


def covered(granted, scope: str) -> bool:
    """Whether a requested scope asks for nothing beyond the granted ones, in any form:
    a client registered with `user/patient.read` may ask for `user/patient.rs` or `.r`."""
    granted = frozenset(granted)
    if scope in granted:
        return True
    parsed = parse(scope)
    if parsed is None:
        return False
    ctx, resource, letters = parsed
    return all(satisfies(granted, f"{ctx}/{resource}.{letter}") for letter in letters)


def expand(named) -> list[str]:
    """The resource scopes among `named` (what operations require, as single v2 letters),
    in every form a client may ask for them, per context and resource."""
    by_resource: dict[tuple[str, str], set[str]] = {}
    for scope in named:
        parsed = parse(scope)
        if parsed:
            by_resource.setdefault((parsed[0], parsed[1]), set()).update(parsed[2])
    return [f"{ctx}/{res}.{form}" for (ctx, res), letters in sorted(by_resource.items())
            for form in forms(letters)]


def forms(letters) -> list[str]:
    """Every permission suffix a client may ask for to cover some of these letters: v1
    `read` / `write`, the v2 string, each letter alone, and the usual v2 groupings."""
    forms = []
    if set(letters) & set("rs"):
        forms.append("read")
    if set(letters) & set("cud"):
        forms.append("write")
    v2 = "".join(c for c in "cruds" if c in letters)
    forms += [v2] + [c for c in v2 if len(v2) > 1]
    if "r" in letters and "s" in letters:
        forms.append("rs")
    if {"c", "u"} <= set(letters):
        forms.append("cu" + ("d" if "d" in letters else ""))
    return list(dict.fromkeys(forms))


_VERBS = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}
_WHOSE = {"user": "that you can see", "patient": "about you", "system": "in the whole system"}


def describe(scope: str) -> str:
    """A scope in plain words: on the consent page, and in the documents' scope lists."""
    if scope in PLAIN_SCOPES:
        return PLAIN_SCOPES[scope]
    parsed = parse(scope)
    if parsed is None:
        return scope
    context, resource, letters = parsed
    what = "all records" if resource == "*" else f"{resource.replace('_', ' ')} records"
    if "$export" in letters:
        return f"Export {what} {_WHOSE[context]} in bulk"
    verbs = [_VERBS[c] for c in "cruds" if c in letters]
    said = verbs[0] if len(verbs) == 1 else ", ".join(verbs[:-1]) + " and " + verbs[-1]
    return f"{said.capitalize()} {what} {_WHOSE[context]}"
