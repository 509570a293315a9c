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
# Scopes that are not resource scopes, as OpenEMR publishes them.
PLAIN_SCOPES = (
    "openid", "fhirUser", "online_access", "offline_access", "launch", "launch/patient",
    "api:oemr", "api:fhir", "api:port", "email", "profile",
)
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


def is_known(scope: str, resources: set[str]) -> bool:
    """Whether a requested scope names something this server offers."""
    if scope in PLAIN_SCOPES:
        return True
    parsed = parse(scope)
    return parsed is not None and (parsed[1] == "*" or parsed[1] in resources)


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
