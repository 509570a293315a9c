"""/insurance_company and /insurance_type (OpenEMR's insurance companies, with their
address, and its insurance types): add, list, read and update companies by their integer
id; OpenEMR's rules (name required, lengths, a real insurance type); OpenEMR's answers
(`{iid}`, the type map); scopes and the acct/bill ACL (the front office lacks it)."""

from __future__ import annotations

import pytest

from emr_api.codegen import operations
from tests.conftest import bearer, password_token, register_client
from tests.standard.answers import invalid, not_found

API = "/apis/default/api"
COMPANIES = f"{API}/insurance_company"


def company_body(**overrides) -> dict:
    """OpenEMR's documented example, with overrides; `...` leaves a field out."""
    body = {"name": "Cool Insurance Company", "attn": None, "cms_id": None,
            "ins_type_code": "2", "x12_receiver_id": None, "x12_default_partner_id": None,
            "alt_cms_id": "", "line1": "123 Cool Lane", "line2": "Suite 123",
            "city": "Cooltown", "state": "CA", "zip": "12245", "country": "USA"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def create(client, headers, **overrides) -> dict:
    r = client.post(COMPANIES, json=company_body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def read(client, headers, iid) -> dict:
    r = client.get(f"{COMPANIES}/{iid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_openemrs_example_creates_a_company_with_its_address(client, admin):
    made = create(client, admin)
    assert set(made) == {"iid", "uuid"} and isinstance(made["iid"], int)
    data = read(client, admin, made["iid"])
    assert (data["id"], data["uuid"]) == (made["iid"], made["uuid"])
    assert data["name"] == "Cool Insurance Company" and data["ins_type_code"] == 2
    assert (data["line1"], data["line2"], data["city"], data["state"], data["zip"],
            data["country"]) == ("123 Cool Lane", "Suite 123", "Cooltown", "CA", "12245", "USA")
    assert data["attn"] is None and data["alt_cms_id"] == "" and data["inactive"] == 0
    assert len(data["date_created"]) == 19
    assert read(client, admin, str(made["iid"])) == data


def test_only_the_name_is_required(client, admin):
    made = create(client, admin, **{k: ... for k in company_body() if k != "name"})
    data = read(client, admin, made["iid"])
    assert data["city"] is None and data["ins_type_code"] is None
    invalid(client.post(COMPANIES, json=company_body(name=...), headers=admin), "name")


@pytest.mark.parametrize("field, value", [
    ("name", "x"),
    ("name", None),
    ("name", "x" * 256),
    ("attn", "x"),
    ("cms_id", "x" * 16),
    ("alt_cms_id", "x"),
    ("ins_type_code", "abc"),
    ("ins_type_code", 27),
    ("ins_type_code", 0),
    ("x12_receiver_id", "x" * 26),
    ("x12_default_partner_id", "x"),
    ("line1", "x"),
    ("state", "x" * 36),
    ("zip", "12345678901"),
    ("city", "Cool\x00town"),
])
def test_invalid_values_are_400_naming_the_field(client, admin, field, value):
    before = client.get(COMPANIES, params={"_limit": 200}, headers=admin).json()["data"]
    invalid(client.post(COMPANIES, json=company_body(**{field: value}), headers=admin), field)
    assert client.get(COMPANIES, params={"_limit": 200}, headers=admin).json()["data"] == before


def test_the_list_filters_sorts_and_pages(client, admin):
    a = create(client, admin, name="Zenith Filter Health", cms_id="Z1001", ins_type_code=17,
               city="Portland", state="OR", zip="97201")
    b = create(client, admin, name="zenith filter dental", cms_id="Z1002", ins_type_code=6,
               city="Austin", state="TX", zip="73301")
    found = client.get(COMPANIES, params={"name": "ZENITH FILTER"}, headers=admin).json()
    assert [c["id"] for c in found["data"]] == [a["iid"], b["iid"]]
    by = {"cms_id": "Z1002", "ins_type_code": 6, "state": "TX", "city": "aus", "zip": "733"}
    for key, value in by.items():
        found = client.get(COMPANIES, params={"name": "Zenith Filter", key: value},
                           headers=admin).json()["data"]
        assert [c["id"] for c in found] == [b["iid"]], key
    page = client.get(COMPANIES, params={"name": "zenith", "_sort": "-id", "_limit": 1},
                      headers=admin).json()
    assert [c["id"] for c in page["data"]] == [b["iid"]] and page["links"]["next"]
    invalid(client.get(COMPANIES, params={"_sort": "attn"}, headers=admin), "_sort")
    invalid(client.get(COMPANIES, params={"ins_type_code": "x"}, headers=admin), "ins_type_code")


def test_update_changes_only_the_fields_sent_and_answers_the_iid(client, admin):
    made = create(client, admin, name="Partial Update Health")
    r = client.put(f"{COMPANIES}/{made['iid']}",
                   json={"attn": "Claims Dept", "cms_id": "60054", "line2": None,
                         "ins_type_code": 3, "id": 1, "uuid": "x"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"iid": made["iid"]}
    data = read(client, admin, made["iid"])
    assert (data["attn"], data["cms_id"], data["line2"], data["ins_type_code"]) == \
        ("Claims Dept", "60054", None, 3)
    assert (data["name"], data["city"], data["uuid"]) == \
        ("Partial Update Health", "Cooltown", made["uuid"])


@pytest.mark.parametrize("change, field", [
    ({"name": None}, "name"),
    ({"name": ""}, "name"),
    ({"ins_type_code": 99}, "ins_type_code"),
    ({"zip": "x"}, "zip"),
])
def test_a_refused_update_changes_nothing(client, admin, change, field):
    made = create(client, admin, name="Refused Update Health")
    before = read(client, admin, made["iid"])
    invalid(client.put(f"{COMPANIES}/{made['iid']}", json=change, headers=admin), field)
    assert read(client, admin, made["iid"]) == before


def test_unknown_and_malformed_ids(client, admin):
    not_found(client.get(f"{COMPANIES}/2147483647", headers=admin), "iid")
    not_found(client.put(f"{COMPANIES}/2147483647", json={"attn": "xy"}, headers=admin), "iid")
    invalid(client.get(f"{COMPANIES}/abc", headers=admin), "iid")
    invalid(client.get(f"{COMPANIES}/0", headers=admin), "iid")


def test_the_insurance_types_are_openemrs_map(client, admin):
    r = client.get(f"{API}/insurance_type", headers=admin)
    assert r.status_code == 200, r.text
    types = r.json()["data"]
    assert list(types) == [str(i) for i in range(1, 27)]
    assert (types["1"], types["2"], types["17"], types["26"]) == (
        "Other HCFA", "Medicare Part B", "Commercial Insurance Co.", "Mutually Defined")


def test_every_operation_needs_acct_bill(client, admin, front_office):
    ours = [op for op in operations.of_api("standard")
            if op.operation_id.startswith("emr_api.handlers.standard.insurance_company.")]
    assert len(ours) == 5 and {tuple(op.acl) for op in ours} == {("acct", "bill")}
    made = create(client, admin, name="Front Office Cannot")
    one = f"{COMPANIES}/{made['iid']}"
    responses = [client.get(COMPANIES, headers=front_office),
                 client.post(COMPANIES, json=company_body(), headers=front_office),
                 client.get(one, headers=front_office),
                 client.put(one, json={"name": "Tampered"}, headers=front_office),
                 client.get(f"{API}/insurance_type", headers=front_office)]
    assert [r.status_code for r in responses] == [403] * 5
    assert all("acct/bill" in r.json()["internalErrors"][0] for r in responses)
    assert read(client, admin, made["iid"])["name"] == "Front Office Cannot"


def test_each_operation_needs_its_scope(client, app_client, admin):
    made = create(client, admin, name="Scoped Health")
    one = f"{COMPANIES}/{made['iid']}"
    reader = bearer(password_token(client, app_client,
                                   scope="api:oemr user/insurance_company.read"))
    assert client.get(COMPANIES, headers=reader).status_code == 200
    assert client.get(one, headers=reader).status_code == 200
    assert client.post(COMPANIES, json=company_body(), headers=reader).status_code == 403
    assert client.put(one, json={"attn": "xy"}, headers=reader).status_code == 403
    assert client.get(f"{API}/insurance_type", headers=reader).status_code == 403
    v2 = register_client(client, scope="api:oemr user/insurance_company.cu user/insurance_type.s")
    writer = bearer(password_token(client, v2, scope="api:oemr user/insurance_company.cu"))
    assert client.get(one, headers=writer).status_code == 403
    assert client.post(COMPANIES, json=company_body(), headers=writer).status_code == 201
    assert client.put(one, json={"attn": "By writer"}, headers=writer).status_code == 200
    types = bearer(password_token(client, v2, scope="api:oemr user/insurance_type.s"))
    assert client.get(f"{API}/insurance_type", headers=types).status_code == 200
    assert client.get(COMPANIES).status_code == 401
