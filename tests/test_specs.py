"""The YAML documents are valid, every operation has its handler, and every Standard API
operation names its scopes and its ACL (the open ones are listed on purpose)."""

import pytest
from openapi_spec_validator import validate

from emr_api.codegen import apis, checks, loader, operations

SERVED = [api.name for api in apis.SERVED]


@pytest.mark.parametrize("name", SERVED)
def test_spec_is_valid_openapi(name):
    validate(loader.bundled(apis.BY_NAME[name].spec))


@pytest.mark.parametrize("name", SERVED)
def test_every_operation_has_a_handler(name):
    assert checks.missing_handlers(operations.of_api(name)) == []


def test_every_standard_operation_needs_a_scope_and_an_acl():
    assert checks.unguarded_operations(operations.of_api("standard"), require_acl=True) == []


def test_open_operations_are_the_listed_ones():
    open_ops = {op.operation_id for op in operations.of_api("standard") if not op.protected}
    assert open_ops == checks.OPEN_OPERATIONS


def test_protected_operations_run_where_their_token_is_admitted():
    """A token's standing (revocation, the user's state, the ACL) is read in the thread
    hop the resolver gives sync handlers; an async handler would skip it (and refuse)."""
    import inspect

    async_protected = [op.operation_id for op in operations.operations() if op.protected
                       and inspect.iscoroutinefunction(checks.handler_of(op.operation_id))]
    assert async_protected == []
