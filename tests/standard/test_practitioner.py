"""/practitioner: create, read, search, update, OpenEMR's validation rules, scopes and the
admin/users ACL (OpenEMR's for every practitioner operation)."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import bearer, password_token, register_client

API = "/apis/default/api"


def practitioner_body(**overrides) -> dict:
    body = {"title": "Dr.", "fname": "Grace", "lname": "Hopper", "npi": "1122334455",
            "specialty": "Family Medicine", "email": "grace@clinic.example",
            "city": "Arlington", "state": "VA", "zip": "22201", "phone": "555-0111"}
    body.update(overrides)
    return body


def create(client, headers, **overrides) -> dict:
    r = client.post(f"{API}/practitioner", json=practitioner_body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def errors_of(r) -> dict:
    return r.json()["validationErrors"]


@pytest.fixture(scope="module")
def facility(client, admin) -> dict:
    body = {"name": "Practitioner Test Clinic", "facility_npi": "9988776655"}
    r = client.post(f"{API}/facility", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture(scope="module")
def physician(client, app_client) -> dict:
    return bearer(password_token(client, app_client, username="physician", password="physician"))


def test_create_answers_201_with_ids_and_the_record_reads_back(client, admin):
    ids = create(client, admin, mname="Brewster", notes="Prefers mornings")
    assert isinstance(ids["id"], int)
    assert str(uuid.UUID(ids["uuid"])) == ids["uuid"]
    r = client.get(f"{API}/practitioner/{ids['uuid']}", headers=admin)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["id"] == ids["id"] and data["uuid"] == ids["uuid"]
    assert (data["fname"], data["mname"], data["lname"]) == ("Grace", "Brewster", "Hopper")
    assert data["npi"] == "1122334455" and data["specialty"] == "Family Medicine"
    assert data["notes"] == "Prefers mornings"
    assert data["active"] == 1
    assert data["facility_id"] is None


def test_facility_id_must_exist_and_fills_the_facility_name(client, admin, facility):
    ids = create(client, admin, facility_id=facility["id"])
    data = client.get(f"{API}/practitioner/{ids['uuid']}", headers=admin).json()["data"]
    assert data["facility_id"] == facility["id"]
    assert data["facility"] == "Practitioner Test Clinic"
    # OpenEMR clients send ids as strings of digits.
    ids = create(client, admin, facility_id=str(facility["id"]), facility="Named by client")
    data = client.get(f"{API}/practitioner/{ids['uuid']}", headers=admin).json()["data"]
    assert data["facility_id"] == facility["id"] and data["facility"] == "Named by client"

    r = client.post(f"{API}/practitioner", json=practitioner_body(facility_id=2147483000),
                    headers=admin)
    assert r.status_code == 400, r.text
    assert "facility_id" in errors_of(r)


def test_search_by_text_fields_with_paging_and_sort(client, admin):
    tag = "Zq" + uuid.uuid4().hex[:8]
    for fname in ("Ann", "Bob", "Cy"):
        create(client, admin, lname=tag, fname=fname, specialty=f"Spec{tag}")
    r = client.get(f"{API}/practitioner", params={"lname": tag.lower()}, headers=admin)
    assert r.status_code == 200, r.text
    assert sorted(p["fname"] for p in r.json()["data"]) == ["Ann", "Bob", "Cy"]

    r = client.get(f"{API}/practitioner", params={"specialty": f"Spec{tag}", "_sort": "-fname",
                                                  "_limit": 2}, headers=admin)
    body = r.json()
    assert [p["fname"] for p in body["data"]] == ["Cy", "Bob"]
    assert body["links"]["next"] is not None and "_offset=2" in body["links"]["next"]
    r = client.get(body["links"]["next"], headers=admin)
    assert [p["fname"] for p in r.json()["data"]] == ["Ann"]


def test_search_by_npi_facility_and_active(client, admin, facility):
    npi = str(uuid.uuid4().int)[:11]
    made = create(client, admin, npi=npi, facility_id=facility["id"], active=0)
    r = client.get(f"{API}/practitioner", params={"npi": npi}, headers=admin)
    assert [p["uuid"] for p in r.json()["data"]] == [made["uuid"]]
    r = client.get(f"{API}/practitioner", params={"npi": npi, "active": 1}, headers=admin)
    assert r.json()["data"] == []
    r = client.get(f"{API}/practitioner", params={"npi": npi, "facility_id": facility["id"]},
                   headers=admin)
    assert len(r.json()["data"]) == 1


@pytest.mark.parametrize("field", ["fname", "lname", "npi"])
def test_required_fields(client, admin, field):
    body = practitioner_body()
    del body[field]
    r = client.post(f"{API}/practitioner", json=body, headers=admin)
    assert r.status_code == 400, r.text
    assert field in errors_of(r)


@pytest.mark.parametrize("field, value", [
    ("fname", "G"),
    ("lname", "H"),
    ("fname", "x" * 256),
    ("npi", "123456789"),
    ("npi", "1234567890123456"),
    ("npi", "12345-7890"),
    ("email", "grace-at-clinic"),
    ("facility_id", "abc"),
    ("facility_id", 0),
    ("active", 5),
    ("zip", "x" * 21),
    ("state", "x" * 31),
    ("lname", "Nul\x00l"),
])
def test_invalid_values_are_400_naming_the_field(client, admin, field, value):
    r = client.post(f"{API}/practitioner", json=practitioner_body(**{field: value}), headers=admin)
    assert r.status_code == 400, r.text
    assert field in errors_of(r)


def test_update_changes_only_the_fields_sent(client, admin, facility):
    ids = create(client, admin, city="Oldville", phonecell="555-0123")
    r = client.put(f"{API}/practitioner/{ids['uuid']}",
                   json={"city": "Newville", "phonecell": None, "facility_id": facility["id"]},
                   headers=admin)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["city"] == "Newville" and data["phonecell"] is None
    assert data["facility"] == "Practitioner Test Clinic"
    assert (data["fname"], data["lname"], data["npi"]) == ("Grace", "Hopper", "1122334455")


@pytest.mark.parametrize("body", [{"fname": None}, {"lname": ""}, {"npi": None}, {"active": None}])
def test_update_never_clears_a_required_field(client, admin, body):
    ids = create(client, admin)
    r = client.put(f"{API}/practitioner/{ids['uuid']}", json=body, headers=admin)
    assert r.status_code == 400, r.text
    assert next(iter(body)) in errors_of(r)
    data = client.get(f"{API}/practitioner/{ids['uuid']}", headers=admin).json()["data"]
    assert (data["fname"], data["lname"], data["npi"], data["active"]) == ("Grace", "Hopper", "1122334455", 1)


def test_a_failed_update_changes_nothing(client, admin):
    ids = create(client, admin, city="Stayton")
    r = client.put(f"{API}/practitioner/{ids['uuid']}",
                   json={"city": "Gone", "facility_id": 2147483001}, headers=admin)
    assert r.status_code == 400
    assert "facility_id" in errors_of(r)
    data = client.get(f"{API}/practitioner/{ids['uuid']}", headers=admin).json()["data"]
    assert data["city"] == "Stayton" and data["facility_id"] is None


def test_unknown_practitioner_is_404(client, admin):
    missing = str(uuid.uuid4())
    for r in (client.get(f"{API}/practitioner/{missing}", headers=admin),
              client.put(f"{API}/practitioner/{missing}", json={"city": "X1"}, headers=admin)):
        assert r.status_code == 404, r.text
        assert r.json()["data"] == []
        assert "pruuid" in r.json()["internalErrors"][0] and missing in r.json()["internalErrors"][0]


def test_malformed_uuid_is_400(client, admin):
    r = client.get(f"{API}/practitioner/12345", headers=admin)
    assert r.status_code == 400
    assert "12345" in str(errors_of(r))


def test_no_token_is_401(client):
    assert client.get(f"{API}/practitioner").status_code == 401
    assert client.post(f"{API}/practitioner", json=practitioner_body()).status_code == 401


def test_missing_scope_is_403(client, app_client):
    reader = bearer(password_token(client, app_client, scope="api:oemr user/practitioner.read"))
    assert client.get(f"{API}/practitioner", headers=reader).status_code == 200
    assert client.post(f"{API}/practitioner", json=practitioner_body(),
                       headers=reader).status_code == 403
    v2_app = register_client(client, scope="api:oemr user/practitioner.s")
    searcher = bearer(password_token(client, v2_app, scope="api:oemr user/practitioner.s"))
    r = client.get(f"{API}/practitioner", headers=searcher)
    assert r.status_code == 200
    one = r.json()["data"][0]["uuid"]
    assert client.get(f"{API}/practitioner/{one}", headers=searcher).status_code == 403


def test_front_office_is_refused_by_the_acl(client, admin, front_office):
    ids = create(client, admin)
    assert client.get(f"{API}/practitioner", headers=front_office).status_code == 403
    assert client.get(f"{API}/practitioner/{ids['uuid']}", headers=front_office).status_code == 403
    assert client.post(f"{API}/practitioner", json=practitioner_body(),
                       headers=front_office).status_code == 403
    assert client.put(f"{API}/practitioner/{ids['uuid']}", json={"city": "Nope"},
                      headers=front_office).status_code == 403
    assert client.get(f"{API}/practitioner/{ids['uuid']}", headers=admin).json()["data"]["city"] != "Nope"


def test_admin_users_acl_is_enough_to_write(client, physician):
    """As OpenEMR: every practitioner operation needs admin/users, which physicians hold."""
    ids = create(client, physician, lname="Byphysician")
    r = client.put(f"{API}/practitioner/{ids['uuid']}", json={"city": "Docton"}, headers=physician)
    assert r.status_code == 200 and r.json()["data"]["city"] == "Docton"


@pytest.mark.parametrize("param, field", [
    ("url", "url"), ("assistant", "assistant"), ("valedictory", "valedictory"),
    ("streetb", "streetb"), ("fax", "fax"), ("phonew1", "phonew1"),
    ("phonecell", "phonecell"), ("notes", "notes"),
    ("state_license_number2", "state_license_number"),
])
def test_every_parameter_openemr_documents_filters(client, admin, param, field):
    tag = uuid.uuid4().hex[:10]
    made = create(client, admin, **{field: f"{tag}-value"})
    r = client.get(f"{API}/practitioner", params={param: tag}, headers=admin)
    assert r.status_code == 200, r.text
    assert [p["uuid"] for p in r.json()["data"]] == [made["uuid"]]


def test_the_address_book_and_physician_fields_openemr_documents(client, admin):
    made = create(client, admin, abook_title="Specialist", physician_title="Attending physician",
                  physician_code="SNOMED-CT:405279007")
    r = client.get(f"{API}/practitioner/{made['uuid']}", headers=admin)
    data = r.json()["data"]
    assert (data["abook_title"], data["physician_title"], data["physician_code"]) == (
        "Specialist", "Attending physician", "SNOMED-CT:405279007")
