"""Inputs generated data rarely reaches, for every operation of the Standard API
(read from the YAML, so new resources are covered as they are added):

- a request body that is not UTF-8, or JSON that is not an object: a 400 envelope, never
  a 500 (Connexion raises inside on undecodable bodies);
- a date the schema's pattern lets through but the calendar does not (`2023-02-30`,
  `2000-13-45`), in a body field or a query parameter: a 400 naming that field (the
  Draft-4 validation does not enforce `format: date`)."""

from __future__ import annotations

import pytest

from emr_api.codegen import loader, operations
from tests.contract.conftest import API_BASE

SPEC = loader.read_only("standard/openapi.yaml")
DATE_SCHEMAS = {"#/components/schemas/Date", "#/components/schemas/DateTime"}
IMPOSSIBLE_DATES = ["2023-02-30", "2000-13-45", "1999-04-31"]
# The only values a field of this shape can be wrong in that the pattern does not see.
IMPOSSIBLE_DATETIMES = ["2023-02-30", "2023-02-30 10:00:00", "1999-04-31 23:59"]


def resolve(schema: dict) -> dict:
    return loader.resolve(SPEC, schema)


def properties(schema: dict) -> dict:
    """A body schema's properties, through $ref and allOf."""
    schema = resolve(schema)
    props = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        props.update(properties(part))
    return props


def is_date(schema: dict) -> str | None:
    """'date' or 'datetime' when the (unresolved) property schema is one of the spec's
    date shapes."""
    ref = schema.get("$ref")
    if ref in DATE_SCHEMAS:
        return "datetime" if ref.endswith("DateTime") else "date"
    fmt = resolve(schema).get("format")
    return {"date": "date", "date-time": "datetime"}.get(fmt)


OPERATIONS = operations.of_api("standard")
BODY_OPERATIONS = [(op.path, op.method, op) for op in OPERATIONS if op.body_schema is not None]
UPDATE_DATE_FIELDS = [
    (op.path, op.method, field, kind)
    for op in OPERATIONS if op.method in ("put", "patch") and op.body_schema is not None
    for field, schema in properties(op.body_schema).items()
    if (kind := is_date(schema))
]
QUERY_DATE_PARAMETERS = [
    (op.path, param["name"], kind)
    for op in OPERATIONS if op.method == "get"
    for param in op.parameters
    if param.get("in") == "query" and (kind := is_date(param.get("schema", {})))
]


def real_url(contract, path: str) -> str:
    """The operation's URL with real ids in its path parameters."""
    if "{" in path:
        choices = contract.ids_for(path)
        assert choices, f"no real record found for {path}"
        path = path.format(**choices[0])
    return API_BASE + path


def assert_bad_request(r, field: str | None = None):
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) >= {"validationErrors", "internalErrors", "data"}
    assert body["validationErrors"], body
    if field is not None:
        assert field in body["validationErrors"], body


def test_the_spec_has_what_these_tests_read():
    assert BODY_OPERATIONS and UPDATE_DATE_FIELDS and QUERY_DATE_PARAMETERS


@pytest.mark.parametrize(("path", "method", "op"), BODY_OPERATIONS,
                         ids=[f"{m.upper()} {p}" for p, m, _ in BODY_OPERATIONS])
@pytest.mark.parametrize("payload", [b'{"fname": "\xff\xfe\xfd"}', b"\xc3\x28", b"\x80"],
                         ids=["bad-utf8-in-string", "bad-utf8-sequence", "lone-continuation"])
def test_body_that_is_not_utf8_is_a_400(contract, path, method, op, payload):
    r = contract.client.request(method.upper(), real_url(contract, path), content=payload,
                                headers={**contract.auth, "Content-Type": "application/json"})
    assert_bad_request(r)


@pytest.mark.parametrize(("path", "method", "op"), BODY_OPERATIONS,
                         ids=[f"{m.upper()} {p}" for p, m, _ in BODY_OPERATIONS])
@pytest.mark.parametrize("payload", [b"[]", b'"text"', b"null", b"42", b"{", b""])
def test_body_that_is_not_a_json_object_is_a_400(contract, path, method, op, payload):
    r = contract.client.request(method.upper(), real_url(contract, path), content=payload,
                                headers={**contract.auth, "Content-Type": "application/json"})
    if payload == b"" and not SPEC["paths"][path][method]["requestBody"].get("required"):
        # An empty body is no body, which this operation allows (a background run).
        assert r.status_code < 500, r.text
        return
    assert_bad_request(r)


@pytest.mark.parametrize(("path", "method", "field", "kind"), UPDATE_DATE_FIELDS,
                         ids=[f"{m.upper()} {p} {f}" for p, m, f, _ in UPDATE_DATE_FIELDS])
def test_impossible_date_in_body_is_a_400_naming_the_field(contract, path, method, field, kind):
    for value in IMPOSSIBLE_DATES if kind == "date" else IMPOSSIBLE_DATETIMES:
        r = contract.client.request(method.upper(), real_url(contract, path),
                                    json={field: value}, headers=contract.auth)
        assert_bad_request(r, field)


@pytest.mark.parametrize(("path", "name", "kind"), QUERY_DATE_PARAMETERS,
                         ids=[f"GET {p}?{n}" for p, n, _ in QUERY_DATE_PARAMETERS])
def test_impossible_date_in_query_is_a_400_naming_the_parameter(contract, path, name, kind):
    for value in IMPOSSIBLE_DATES if kind == "date" else IMPOSSIBLE_DATETIMES:
        r = contract.client.get(real_url(contract, path), params={name: value},
                                headers=contract.auth)
        assert_bad_request(r, name)
