"""The FHIR types served, found from the FHIR document: each type's operations name its
handler module, and the module's PROVIDER is the type. Includes look a type up here, and
ask whether the caller may see it at all (its scope and ACL, as its own search would)."""

from __future__ import annotations

import importlib
from functools import lru_cache

from emr_api import scopes
from emr_api.auth import acl
from emr_api.codegen import operations
from emr_api.handlers.fhir.provider import Provider
from emr_api.identity import Access


@lru_cache(maxsize=1)
def _by_type() -> dict[str, tuple[Provider, tuple[str, str] | None]]:
    found = {}
    for op in operations.of_api("fhir"):
        module_name, _, function = op.operation_id.rpartition(".")
        module = importlib.import_module(module_name)
        provider = getattr(module, "PROVIDER", None)
        if provider is not None and function == "search":
            found[provider.type] = (provider, op.acl)
    return found


def provider(type_: str) -> Provider | None:
    found = _by_type().get(type_)
    return found[0] if found else None


def may_search(caller: Access, type_: str) -> bool:
    """Whether the caller's token and role would be let into this type's search."""
    found = _by_type().get(type_)
    if found is None:
        return False
    context = "patient" if caller.patient_uuid else "user"
    if not scopes.satisfies(caller.scopes, f"{context}/{type_}.s"):
        return False
    needed = found[1]
    return context == "patient" or needed is None or acl.allows(caller.acl_group, *needed)
