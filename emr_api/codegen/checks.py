"""Checks derived from the YAML that the app's start-up would otherwise find late or
never: every operationId resolves to a handler, and no operation of a resource API is left
without a scope unless it says it is open on purpose."""

from __future__ import annotations

import importlib

from emr_api.codegen.operations import Operation

# Operations that are open by design (OpenEMR serves them without a token).
OPEN_OPERATIONS = {
    "emr_api.handlers.standard.meta.get_version",
    "emr_api.handlers.standard.meta.get_product",
}


def handler_of(operation_id: str):
    """The function an operationId names, or None."""
    module_name, _, func = operation_id.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    found = getattr(module, func, None)
    return found if callable(found) else None


def missing_handlers(ops: list[Operation]) -> list[str]:
    return [op.operation_id for op in ops if handler_of(op.operation_id) is None]


def unguarded_operations(ops: list[Operation], *, require_acl: bool) -> list[str]:
    """Operations of a resource API that lack a scope requirement (or an ACL)."""
    problems = []
    for op in ops:
        if op.operation_id in OPEN_OPERATIONS:
            continue
        if not op.protected or not op.scopes:
            problems.append(f"{op.method.upper()} {op.path}: no scope")
        if require_acl and not op.acl:
            problems.append(f"{op.method.upper()} {op.path}: no x-acl")
    return problems
