"""The YAML documents are valid, every operation has its handler, and every Standard API
operation names its scopes and its ACL (the open ones are listed on purpose)."""

import pytest
from openapi_spec_validator import validate

from emr_api.codegen import checks
from emr_api.server import specs

NAMES = [name for name, _ in specs.APIS]


@pytest.mark.parametrize("name", NAMES)
def test_spec_is_valid_openapi(name):
    validate(specs.load(name))


@pytest.mark.parametrize("name", NAMES)
def test_every_operation_has_a_handler(name):
    assert checks.missing_handlers(specs.load(name)) == []


def test_every_standard_operation_needs_a_scope_and_an_acl():
    assert checks.unguarded_operations(specs.load("standard.yaml"), require_acl=True) == []


def test_open_operations_are_the_listed_ones():
    spec = specs.load("standard.yaml")
    open_ops = {op["operationId"] for _, _, op in checks.operations(spec) if op.get("security") == []}
    assert open_ops == checks.OPEN_OPERATIONS
