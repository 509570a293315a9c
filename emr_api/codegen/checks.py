"""Checks derived from the YAML that the app's start-up would otherwise find late or
never: every operationId resolves to a handler, and no operation is left without a
scope unless it says it is open on purpose."""

from __future__ import annotations

import importlib

# Operations that are open by design (OpenEMR serves them without a token).
OPEN_OPERATIONS = {
    "emr_api.handlers.standard.meta.get_version",
    "emr_api.handlers.standard.meta.get_product",
}
METHODS = {"get", "put", "post", "delete", "patch"}


def operations(spec: dict):
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def missing_handlers(spec: dict) -> list[str]:
    missing = []
    for _path, _method, op in operations(spec):
        module_name, _, func = op["operationId"].rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            missing.append(op["operationId"])
            continue
        if not callable(getattr(module, func, None)):
            missing.append(op["operationId"])
    return missing


def unguarded_operations(spec: dict, *, require_acl: bool) -> list[str]:
    """Operations of a resource API that lack a scope requirement (or an ACL)."""
    problems = []
    for path, method, op in operations(spec):
        if op["operationId"] in OPEN_OPERATIONS:
            continue
        requirements = op.get("security", spec.get("security"))
        if not requirements or not any(any(r.values()) for r in requirements):
            problems.append(f"{method.upper()} {path}: no scope")
        if require_acl and not op.get("x-acl"):
            problems.append(f"{method.upper()} {path}: no x-acl")
    return problems
