"""/facility: create, read, search, update, OpenEMR's validation rules, scopes and ACLs
(reading needs admin/users, writing admin/super)."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import bearer, password_token, register_client

API = "/apis/default/api"


def facility_body(**overrides) -> dict:
    body = {"name": "Riverside Clinic", "facility_npi": "1234567890", "phone": "555-0100",
            "street": "1 River Rd", "city": "Riverton", "state": "WY", "postal_code": "82501",
            "country_code": "US", "email": "front@riverside.example", "pos_code": "11",
            "website": "https://riverside.example"}
    body.update(overrides)
    return body


def create(client, headers, **overrides) -> dict:
    r = client.post(f"{API}/facility", json=facility_body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def errors_of(r) -> dict:
    return r.json()["validationErrors"]


@pytest.fixture(scope="module")
def physician(client, app_client) -> dict:
    """A physician: admin/users (may read facilities) but not admin/super."""
    return bearer(password_token(client, app_client, username="physician", password="physician"))


def test_create_answers_201_with_ids_and_the_record_reads_back(client, admin):
    ids = create(client, admin, billing_location=1, accepts_assignment=True,
                 service_location="0", info="Open late on Thursdays")
    assert isinstance(ids["id"], int)
    assert str(uuid.UUID(ids["uuid"])) == ids["uuid"]

    r = client.get(f"{API}/facility/{ids['uuid']}", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["validationErrors"] == [] and body["internalErrors"] == []
    data = body["data"]
    assert data["id"] == ids["id"] and data["uuid"] == ids["uuid"]
    assert data["name"] == "Riverside Clinic"
    assert data["facility_npi"] == "1234567890"
    assert data["city"] == "Riverton" and data["pos_code"] == "11"
    assert data["info"] == "Open late on Thursdays"
    assert (data["billing_location"], data["accepts_assignment"], data["service_location"]) == (1, 1, 0)
    assert data["primary_business_entity"] == 0


def test_pos_code_may_be_sent_as_a_number(client, admin):
    ids = create(client, admin, pos_code=22)
    r = client.get(f"{API}/facility/{ids['uuid']}", headers=admin)
    assert r.json()["data"]["pos_code"] == "22"


def test_search_by_text_fields_with_paging_and_sort(client, admin):
    tag = uuid.uuid4().hex[:8]
    for n in ("Alpha", "Bravo", "Charlie"):
        create(client, admin, name=f"{tag} {n}", city=f"City{tag}")
    r = client.get(f"{API}/facility", params={"name": tag.upper()}, headers=admin)
    assert r.status_code == 200, r.text
    assert sorted(f["name"] for f in r.json()["data"]) == [f"{tag} Alpha", f"{tag} Bravo", f"{tag} Charlie"]

    r = client.get(f"{API}/facility", params={"city": f"city{tag}", "_sort": "-name", "_limit": 2},
                   headers=admin)
    body = r.json()
    assert [f["name"] for f in body["data"]] == [f"{tag} Charlie", f"{tag} Bravo"]
    assert body["links"]["previous"] is None
    assert "_offset=2" in body["links"]["next"] and "city=city" in body["links"]["next"]

    r = client.get(f"{API}/facility", params={"city": f"city{tag}", "_sort": "-name",
                                              "_limit": 2, "_offset": 2}, headers=admin)
    body = r.json()
    assert [f["name"] for f in body["data"]] == [f"{tag} Alpha"]
    assert body["links"]["next"] is None and body["links"]["previous"] is not None


def test_search_by_exact_npi_and_flag(client, admin):
    npi = str(uuid.uuid4().int)[:12]
    made = create(client, admin, facility_npi=npi, billing_location=1)
    r = client.get(f"{API}/facility", params={"facility_npi": npi}, headers=admin)
    assert [f["uuid"] for f in r.json()["data"]] == [made["uuid"]]
    r = client.get(f"{API}/facility", params={"facility_npi": npi, "billing_location": 0},
                   headers=admin)
    assert r.json()["data"] == []
    # A prefix of the NPI is not a match: the NPI matches exactly.
    r = client.get(f"{API}/facility", params={"facility_npi": npi[:-1]}, headers=admin)
    assert made["uuid"] not in [f["uuid"] for f in r.json()["data"]]


def test_search_sort_outside_the_whitelist_is_400(client, admin):
    r = client.get(f"{API}/facility", params={"_sort": "info"}, headers=admin)
    assert r.status_code == 400
    assert "info" in str(errors_of(r))


@pytest.mark.parametrize("field", ["name", "facility_npi"])
def test_required_fields(client, admin, field):
    body = facility_body()
    del body[field]
    r = client.post(f"{API}/facility", json=body, headers=admin)
    assert r.status_code == 400, r.text
    assert field in errors_of(r)


@pytest.mark.parametrize("field, value", [
    ("name", "A"),
    ("name", "x" * 256),
    ("facility_npi", "123456789"),          # 9 digits
    ("facility_npi", "1234567890123456"),   # 16 digits
    ("facility_npi", "12345abcde"),
    ("facility_npi", 1234567890),           # a number, not the string OpenEMR stores
    ("email", "not-an-email"),
    ("website", "javascript:alert(1)"),
    ("website", "riverside.example"),
    ("phone", "12"),
    ("state", "W"),
    ("postal_code", "123456789012"),
    ("color", "#1"),
    ("domain_identifier", "12ab"),
    ("billing_location", 2),
    ("service_location", "yes"),
    ("pos_code", "abc"),
    ("pos_code", 100),
    ("attn", "x" * 66),
    ("name", "bad\x00name"),
])
def test_invalid_values_are_400_naming_the_field(client, admin, field, value):
    r = client.post(f"{API}/facility", json=facility_body(**{field: value}), headers=admin)
    assert r.status_code == 400, r.text
    assert field in errors_of(r)


def test_update_changes_only_the_fields_sent(client, admin):
    ids = create(client, admin, city="Oldtown", fax="555-0199")
    r = client.put(f"{API}/facility/{ids['uuid']}", json={"city": "Newtown", "fax": None},
                   headers=admin)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["city"] == "Newtown" and data["fax"] is None
    assert data["name"] == "Riverside Clinic" and data["facility_npi"] == "1234567890"
    assert client.get(f"{API}/facility/{ids['uuid']}", headers=admin).json()["data"]["city"] == "Newtown"


@pytest.mark.parametrize("body", [{"name": None}, {"name": ""}, {"facility_npi": None},
                                  {"facility_npi": ""}])
def test_update_never_clears_a_required_field(client, admin, body):
    ids = create(client, admin)
    r = client.put(f"{API}/facility/{ids['uuid']}", json=body, headers=admin)
    assert r.status_code == 400, r.text
    assert next(iter(body)) in errors_of(r)
    data = client.get(f"{API}/facility/{ids['uuid']}", headers=admin).json()["data"]
    assert data["name"] == "Riverside Clinic" and data["facility_npi"] == "1234567890"


def test_a_failed_update_changes_nothing(client, admin):
    ids = create(client, admin, city="Keepme")
    r = client.put(f"{API}/facility/{ids['uuid']}",
                   json={"city": "Changed", "website": "ftp://nope"}, headers=admin)
    assert r.status_code == 400
    assert "website" in errors_of(r)
    assert client.get(f"{API}/facility/{ids['uuid']}", headers=admin).json()["data"]["city"] == "Keepme"


def test_update_with_an_empty_body_is_400(client, admin):
    ids = create(client, admin)
    r = client.put(f"{API}/facility/{ids['uuid']}", json={}, headers=admin)
    assert r.status_code == 400


def test_unknown_facility_is_404_naming_the_uuid(client, admin):
    missing = str(uuid.uuid4())
    for r in (client.get(f"{API}/facility/{missing}", headers=admin),
              client.put(f"{API}/facility/{missing}", json={"city": "X1"}, headers=admin)):
        assert r.status_code == 404, r.text
        assert "fuuid" in r.json()["internalErrors"][0] and missing in r.json()["internalErrors"][0]


def test_malformed_uuid_is_400(client, admin):
    r = client.get(f"{API}/facility/not-a-uuid", headers=admin)
    assert r.status_code == 400
    assert "not-a-uuid" in str(errors_of(r))


def test_no_token_is_401(client):
    assert client.get(f"{API}/facility").status_code == 401
    r = client.post(f"{API}/facility", json=facility_body())
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_missing_scope_is_403(client, app_client):
    reader = bearer(password_token(client, app_client, scope="openid api:oemr user/facility.read"))
    assert client.get(f"{API}/facility", headers=reader).status_code == 200
    r = client.post(f"{API}/facility", json=facility_body(), headers=reader)
    assert r.status_code == 403
    other = bearer(password_token(client, app_client, scope="openid api:oemr user/patient.read"))
    assert client.get(f"{API}/facility", headers=other).status_code == 403


def test_v2_scopes_grant_exactly_their_letters(client, admin):
    v2_app = register_client(client, scope="api:oemr user/facility.r user/facility.cu")
    ids = create(client, admin)
    only_read = bearer(password_token(client, v2_app, scope="api:oemr user/facility.r"))
    assert client.get(f"{API}/facility/{ids['uuid']}", headers=only_read).status_code == 200
    assert client.get(f"{API}/facility", headers=only_read).status_code == 403
    writer = bearer(password_token(client, v2_app, scope="api:oemr user/facility.cu"))
    assert client.post(f"{API}/facility", json=facility_body(), headers=writer).status_code == 201
    assert client.put(f"{API}/facility/{ids['uuid']}", json={"city": "Cutown"},
                      headers=writer).status_code == 200


def test_front_office_is_refused_by_the_acl(client, admin, front_office):
    ids = create(client, admin)
    assert client.get(f"{API}/facility", headers=front_office).status_code == 403
    assert client.get(f"{API}/facility/{ids['uuid']}", headers=front_office).status_code == 403
    assert client.post(f"{API}/facility", json=facility_body(),
                       headers=front_office).status_code == 403
    r = client.put(f"{API}/facility/{ids['uuid']}", json={"city": "Nope"}, headers=front_office)
    assert r.status_code == 403
    assert client.get(f"{API}/facility/{ids['uuid']}", headers=admin).json()["data"]["city"] != "Nope"


def test_writing_needs_admin_super_reading_admin_users(client, admin, physician):
    ids = create(client, admin)
    assert client.get(f"{API}/facility/{ids['uuid']}", headers=physician).status_code == 200
    assert client.post(f"{API}/facility", json=facility_body(),
                       headers=physician).status_code == 403
    assert client.put(f"{API}/facility/{ids['uuid']}", json={"city": "Docville"},
                      headers=physician).status_code == 403


# OpenEMR's own documented facility body: optional fields sent as "" mean "none", and
# OpenEMR skips their rules.
OPENEMR_EXAMPLE = {
    "name": "Aquaria", "facility_npi": "123456789123", "phone": "808-606-3030",
    "fax": "808-606-3031", "street": "1337 Bit Shifter Ln", "city": "San Lorenzo",
    "state": "ZZ", "postal_code": "54321", "country_code": "US", "federal_ein": "4343434",
    "website": "https://example.com", "email": "foo@bar.com", "domain_identifier": "",
    "facility_taxonomy": "", "facility_code": "", "billing_location": "1",
    "accepts_assignment": "1", "oid": "", "service_location": "1",
}


def test_openemrs_documented_example_creates_and_updates_a_facility(client, admin):
    r = client.post(f"{API}/facility", json=OPENEMR_EXAMPLE, headers=admin)
    assert r.status_code == 201, r.text
    fuuid = r.json()["data"]["uuid"]
    r = client.put(f"{API}/facility/{fuuid}", json={**OPENEMR_EXAMPLE, "state": "AZ"},
                   headers=admin)
    assert r.status_code == 200, r.text
    saved = r.json()["data"]
    assert saved["state"] == "AZ" and saved["domain_identifier"] == ""
    assert saved["billing_location"] == 1 and saved["service_location"] == 1


@pytest.mark.parametrize("field", ["phone", "street", "website", "email", "color", "attn",
                                   "domain_identifier", "facility_taxonomy", "tax_id_type"])
def test_an_optional_field_sent_empty_is_accepted_as_empty(client, admin, field):
    saved = create(client, admin, **{field: ""})
    r = client.get(f"{API}/facility/{saved['uuid']}", headers=admin)
    assert r.json()["data"][field] == ""
