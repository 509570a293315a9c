"""Each resource's service spec agrees with its YAML, both ways: a search parameter, sort
field, writable field or required field declared in one and not the other fails here (a
parameter the YAML declares and Python forgot would otherwise answer an unfiltered list)."""

from __future__ import annotations

import importlib

import pytest

from emr_api.codegen import checks, loader, operations
from emr_api.handlers.standard.resource import ResourceOperations

DOC = loader.read_only("standard/openapi.yaml")
PAGING = {"_limit", "_offset", "_sort"}


def spec_of(op):
    handler = checks.handler_of(op.operation_id)
    bound = getattr(handler, "__self__", None)
    if isinstance(bound, ResourceOperations):
        return bound.spec
    return getattr(importlib.import_module(handler.__module__), "RESOURCE", None)


def body_fields(schema) -> tuple[set, set]:
    """(properties, required) of a body schema, through $ref and allOf."""
    schema = loader.resolve(DOC, schema)
    props, required = set(schema.get("properties", {})), set(schema.get("required", []))
    for part in schema.get("allOf", []):
        more_props, more_required = body_fields(part)
        props |= more_props
        required |= more_required
    return props, required


RESOURCE_OPS = [op for op in operations.of_api("standard") if spec_of(op) is not None]
SEARCHES = [op for op in RESOURCE_OPS if op.method == "get" and op.parameter("_sort")]
# A POST on a resource that takes no fields is an action on it (run a background
# service), not a create.
CREATES = [op for op in RESOURCE_OPS if op.method == "post" and spec_of(op).writable]
UPDATES = [op for op in RESOURCE_OPS if op.method == "put"]


def ids(ops):
    return [f"{op.method.upper()} {op.path}" for op in ops]


def test_every_resource_operation_is_bound_to_a_spec():
    assert SEARCHES and CREATES and UPDATES
    unbound = [op.operation_id for op in operations.of_api("standard")
               if op.operation_id not in checks.OPEN_OPERATIONS and spec_of(op) is None]
    assert unbound == []


@pytest.mark.parametrize("op", SEARCHES, ids=ids(SEARCHES))
def test_search_parameters_agree(op):
    spec = spec_of(op)
    declared = set(op.query_names()) - PAGING
    assert declared - set(spec.search) == set(), "declared in the YAML, not handled"
    assert set(spec.search) - declared == set(), "handled, not declared in the YAML"


@pytest.mark.parametrize("op", SEARCHES, ids=ids(SEARCHES))
def test_sort_fields_agree(op):
    assert tuple(op.parameter("_sort")["x-sort"]) == spec_of(op).sort


@pytest.mark.parametrize("op", CREATES, ids=ids(CREATES))
def test_create_fields_agree(op):
    spec = spec_of(op)
    props, required = body_fields(op.body_schema)
    assert props == set(spec.writable)
    assert required == set(spec.required)


@pytest.mark.parametrize("op", UPDATES, ids=ids(UPDATES))
def test_update_fields_agree(op):
    props, _ = body_fields(op.body_schema)
    assert props == set(spec_of(op).writable)
