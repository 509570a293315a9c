"""/patient/{puuid}/encounter: create, list, read, update through the patient's path only,
OpenEMR's rules (pc_catid and class_code required, real dates, existing references), the
next encounter number, scopes and the encounters/auth_a ACL."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import bearer, password_token, register_client

API = "/apis/default/api"


def encounter_body(**overrides) -> dict:
    body = {"date": "2024-03-05 09:30:00", "reason": "Annual physical", "pc_catid": 5,
            "class_code": "AMB", "sensitivity": "normal", "pos_code": "11"}
    body.update(overrides)
    return body


def create(client, headers, puuid, **overrides) -> dict:
    r = client.post(f"{API}/patient/{puuid}/encounter", json=encounter_body(**overrides),
                    headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def errors_of(r) -> dict:
    return r.json()["validationErrors"]


def make_patient(client, admin, lname="Lovelace") -> dict:
    body = {"fname": "Ada", "lname": lname, "sex": "Female", "DOB": "1815-12-10"}
    r = client.post(f"{API}/patient", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture(scope="module")
def facility(client, admin) -> dict:
    r = client.post(f"{API}/facility", json={"name": "Encounter Test Clinic",
                                             "facility_npi": "5566778899"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture(scope="module")
def provider(client, admin) -> dict:
    r = client.post(f"{API}/practitioner", json={"fname": "Jamie", "lname": "Moreno",
                                                 "npi": "6677889900"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def test_create_answers_201_with_the_new_ids_and_reads_back(client, admin, new_patient,
                                                            facility, provider):
    ids = create(client, admin, new_patient["uuid"], facility_id=facility["id"],
                 billing_facility=facility["id"], provider_id=provider["id"],
                 onset_date="2024-02-28", external_id="EXT-1")
    assert isinstance(ids["eid"], int) and isinstance(ids["encounter"], int)
    assert ids["uuid"] == ids["euuid"] == str(uuid.UUID(ids["euuid"]))

    r = client.get(f"{API}/patient/{new_patient['uuid']}/encounter/{ids['euuid']}", headers=admin)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["eid"], data["euuid"], data["encounter"]) == (ids["eid"], ids["euuid"], ids["encounter"])
    # As OpenEMR: `eid` is the encounter number, `id` the row.
    assert data["eid"] == data["encounter"] and data["id"] == ids["id"]
    assert data["uuid"] == ids["euuid"]
    assert data["pid"] == new_patient["pid"] and data["puuid"] == new_patient["uuid"]
    assert data["date"] == "2024-03-05 09:30:00"
    assert data["onset_date"] == "2024-02-28 00:00:00"
    assert data["reason"] == "Annual physical"
    assert data["pc_catid"] == 5 and data["class_code"] == "AMB"
    assert data["class_title"] == "ambulatory"
    assert data["facility_id"] == facility["id"]
    assert data["facility"] == "Encounter Test Clinic"   # filled from facility_id
    assert data["billing_facility"] == facility["id"]
    assert data["billing_facility_name"] == "Encounter Test Clinic"
    assert data["provider_id"] == provider["id"]
    assert data["sensitivity"] == "normal" and data["pos_code"] == "11"
    assert data["external_id"] == "EXT-1"


def test_openemr_style_string_ids_and_empty_onset_date_are_accepted(client, admin, new_patient,
                                                                     facility):
    ids = create(client, admin, new_patient["uuid"], pc_catid="9", facility_id=str(facility["id"]),
                 onset_date="", pos_code=22)
    data = client.get(f"{API}/patient/{new_patient['uuid']}/encounter/{ids['euuid']}",
                      headers=admin).json()["data"]
    assert data["pc_catid"] == 9 and data["facility_id"] == facility["id"]
    assert data["onset_date"] is None and data["pos_code"] == "22"


def test_date_defaults_to_now(client, admin, new_patient):
    body = encounter_body()
    del body["date"]
    r = client.post(f"{API}/patient/{new_patient['uuid']}/encounter", json=body, headers=admin)
    assert r.status_code == 201, r.text
    euuid = r.json()["data"]["euuid"]
    data = client.get(f"{API}/patient/{new_patient['uuid']}/encounter/{euuid}",
                      headers=admin).json()["data"]
    assert data["date"][:2] == "20" and len(data["date"]) == 19


def test_each_new_encounter_gets_the_next_number(client, admin, new_patient):
    other = make_patient(client, admin, lname="Babbage")
    numbers = [create(client, admin, p["uuid"])["encounter"]
               for p in (new_patient, other, new_patient)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def test_list_holds_only_this_patients_encounters_newest_first(client, admin):
    mine, theirs = make_patient(client, admin), make_patient(client, admin, lname="Babbage")
    first = create(client, admin, mine["uuid"], reason="first")
    second = create(client, admin, mine["uuid"], reason="second")
    create(client, admin, theirs["uuid"], reason="not mine")
    r = client.get(f"{API}/patient/{mine['uuid']}/encounter", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [e["euuid"] for e in body["data"]] == [second["euuid"], first["euuid"]]
    assert {e["puuid"] for e in body["data"]} == {mine["uuid"]}
    assert body["links"]["next"] is None

    r = client.get(f"{API}/patient/{mine['uuid']}/encounter",
                   params={"_sort": "eid", "_limit": 1}, headers=admin)
    body = r.json()
    assert [e["euuid"] for e in body["data"]] == [first["euuid"]]
    assert "_offset=1" in body["links"]["next"] and mine["uuid"] in body["links"]["next"]


def test_another_patients_encounter_is_not_reachable_through_this_patient(client, admin):
    mine, theirs = make_patient(client, admin), make_patient(client, admin, lname="Babbage")
    their_encounter = create(client, admin, theirs["uuid"], reason="Private")
    path = f"{API}/patient/{mine['uuid']}/encounter/{their_encounter['euuid']}"
    r = client.get(path, headers=admin)
    assert r.status_code == 404, r.text
    assert r.json()["data"] == []
    r = client.put(path, json={"reason": "Tampered"}, headers=admin)
    assert r.status_code == 404, r.text
    data = client.get(f"{API}/patient/{theirs['uuid']}/encounter/{their_encounter['euuid']}",
                      headers=admin).json()["data"]
    assert data["reason"] == "Private"
    listed = client.get(f"{API}/patient/{mine['uuid']}/encounter", headers=admin).json()["data"]
    assert their_encounter["euuid"] not in [e["euuid"] for e in listed]


def test_unknown_patient_is_404(client, admin):
    missing = str(uuid.uuid4())
    responses = [
        client.get(f"{API}/patient/{missing}/encounter", headers=admin),
        client.post(f"{API}/patient/{missing}/encounter", json=encounter_body(), headers=admin),
        client.get(f"{API}/patient/{missing}/encounter/{uuid.uuid4()}", headers=admin),
        client.put(f"{API}/patient/{missing}/encounter/{uuid.uuid4()}", json={"reason": "x"},
                   headers=admin),
    ]
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert all(missing in r.json()["internalErrors"][0] for r in responses)


def test_unknown_encounter_is_404(client, admin, new_patient):
    missing = str(uuid.uuid4())
    r = client.get(f"{API}/patient/{new_patient['uuid']}/encounter/{missing}", headers=admin)
    assert r.status_code == 404
    assert "euuid" in r.json()["internalErrors"][0] and missing in r.json()["internalErrors"][0]


def test_malformed_uuids_are_400(client, admin, new_patient):
    r = client.get(f"{API}/patient/{new_patient['uuid']}/encounter/nope", headers=admin)
    assert r.status_code == 400
    r = client.get(f"{API}/patient/nope/encounter", headers=admin)
    assert r.status_code == 400


@pytest.mark.parametrize("field", ["pc_catid", "class_code"])
def test_required_fields(client, admin, new_patient, field):
    body = encounter_body()
    del body[field]
    r = client.post(f"{API}/patient/{new_patient['uuid']}/encounter", json=body, headers=admin)
    assert r.status_code == 400, r.text
    assert field in errors_of(r)


@pytest.mark.parametrize("field, value", [
    ("date", "2000-13-45"),
    ("date", "2021-02-29 10:00:00"),
    ("date", "2021-01-01 25:00:00"),
    ("date", "yesterday"),
    ("date", None),
    ("onset_date", "2000-02-30"),
    ("onset_date", "2000/01/01"),
    ("class_code", "XYZ"),
    ("pc_catid", "five"),
    ("pc_catid", 0),
    ("pc_catid", "99999999999"),
    ("pos_code", "123"),
    ("external_id", "x" * 21),
    ("sensitivity", "x" * 31),
    ("provider_id", "abc"),
    ("reason", "bad\x00reason"),
])
def test_invalid_values_are_400_naming_the_field(client, admin, new_patient, field, value):
    r = client.post(f"{API}/patient/{new_patient['uuid']}/encounter",
                    json=encounter_body(**{field: value}), headers=admin)
    assert r.status_code == 400, r.text
    assert field in errors_of(r)


@pytest.mark.parametrize("field", ["facility_id", "billing_facility", "provider_id",
                                   "supervisor_id", "referring_provider_id"])
def test_references_must_exist(client, admin, new_patient, field):
    r = client.post(f"{API}/patient/{new_patient['uuid']}/encounter",
                    json=encounter_body(**{field: 2147483000}), headers=admin)
    assert r.status_code == 400, r.text
    assert field in errors_of(r)
    listed = client.get(f"{API}/patient/{new_patient['uuid']}/encounter", headers=admin).json()
    assert all(e.get(field) != 2147483000 for e in listed["data"])


def test_update_changes_only_the_fields_sent(client, admin, new_patient, provider):
    ids = create(client, admin, new_patient["uuid"], reason="Cough", external_id="KEEP")
    path = f"{API}/patient/{new_patient['uuid']}/encounter/{ids['euuid']}"
    r = client.put(path, json={"reason": "Cough and fever", "provider_id": provider["id"],
                               "onset_date": "2024-03-01 08:00", "pos_code": None}, headers=admin)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["reason"] == "Cough and fever" and data["provider_id"] == provider["id"]
    assert data["onset_date"] == "2024-03-01 08:00:00" and data["pos_code"] is None
    assert data["external_id"] == "KEEP" and data["class_code"] == "AMB"
    assert data["date"] == "2024-03-05 09:30:00" and data["encounter"] == ids["encounter"]
    assert client.get(path, headers=admin).json()["data"]["reason"] == "Cough and fever"


@pytest.mark.parametrize("body", [{"pc_catid": None}, {"class_code": None}, {"date": None},
                                  {"date": ""}])
def test_update_never_clears_a_required_field(client, admin, new_patient, body):
    ids = create(client, admin, new_patient["uuid"])
    path = f"{API}/patient/{new_patient['uuid']}/encounter/{ids['euuid']}"
    r = client.put(path, json=body, headers=admin)
    assert r.status_code == 400, r.text
    assert next(iter(body)) in errors_of(r)
    data = client.get(path, headers=admin).json()["data"]
    assert data["pc_catid"] == 5 and data["class_code"] == "AMB"
    assert data["date"] == "2024-03-05 09:30:00"


def test_a_failed_update_changes_nothing(client, admin, new_patient):
    ids = create(client, admin, new_patient["uuid"], reason="Original")
    path = f"{API}/patient/{new_patient['uuid']}/encounter/{ids['euuid']}"
    r = client.put(path, json={"reason": "Changed", "facility_id": 2147483000}, headers=admin)
    assert r.status_code == 400
    assert "facility_id" in errors_of(r)
    r = client.put(path, json={"reason": "Changed", "date": "2000-13-45"}, headers=admin)
    assert r.status_code == 400 and "date" in errors_of(r)
    assert client.get(path, headers=admin).json()["data"]["reason"] == "Original"


def test_no_token_is_401(client, new_patient):
    r = client.get(f"{API}/patient/{new_patient['uuid']}/encounter")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = client.post(f"{API}/patient/{new_patient['uuid']}/encounter", json=encounter_body())
    assert r.status_code == 401


def test_missing_scope_is_403(client, app_client, admin, new_patient):
    ids = create(client, admin, new_patient["uuid"])
    patient_only = bearer(password_token(client, app_client, scope="api:oemr user/patient.read"))
    base = f"{API}/patient/{new_patient['uuid']}/encounter"
    assert client.get(base, headers=patient_only).status_code == 403
    reader = bearer(password_token(client, app_client, scope="api:oemr user/encounter.read"))
    assert client.get(base, headers=reader).status_code == 200
    assert client.get(f"{base}/{ids['euuid']}", headers=reader).status_code == 200
    assert client.post(base, json=encounter_body(), headers=reader).status_code == 403
    assert client.put(f"{base}/{ids['euuid']}", json={"reason": "x"},
                      headers=reader).status_code == 403
    v2_app = register_client(client, scope="api:oemr user/encounter.c")
    creator = bearer(password_token(client, v2_app, scope="api:oemr user/encounter.c"))
    assert client.post(base, json=encounter_body(), headers=creator).status_code == 201
    assert client.get(base, headers=creator).status_code == 403


def test_front_office_lacks_encounters_auth_a(client, admin, front_office, new_patient):
    ids = create(client, admin, new_patient["uuid"], reason="Untouched")
    base = f"{API}/patient/{new_patient['uuid']}/encounter"
    assert client.get(base, headers=front_office).status_code == 403
    assert client.get(f"{base}/{ids['euuid']}", headers=front_office).status_code == 403
    assert client.post(base, json=encounter_body(), headers=front_office).status_code == 403
    assert client.put(f"{base}/{ids['euuid']}", json={"reason": "x"},
                      headers=front_office).status_code == 403
    assert client.get(f"{base}/{ids['euuid']}", headers=admin).json()["data"]["reason"] == "Untouched"


def test_openemrs_documented_example_body_creates_the_encounter_with_every_field(
        client, admin, new_patient, facility, provider):
    # OpenEMR's own example, with this test's facility and provider ids.
    body = {"date": "2020-11-10", "onset_date": "", "reason": "Pregnancy Test",
            "facility": "Owerri General Hospital", "pc_catid": "5",
            "facility_id": str(facility["id"]), "billing_facility": str(facility["id"]),
            "sensitivity": "normal", "referral_source": "", "pos_code": "0", "external_id": "",
            "provider_id": str(provider["id"]), "class_code": "AMB"}
    r = client.post(f"{API}/patient/{new_patient['uuid']}/encounter", json=body, headers=admin)
    assert r.status_code == 201, r.text
    euuid = r.json()["data"]["euuid"]
    r = client.put(f"{API}/patient/{new_patient['uuid']}/encounter/{euuid}",
                   json={"referral_source": "Family"}, headers=admin)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["referral_source"] == "Family" and data["pc_catname"] == "Office Visit"
    # The billing state OpenEMR documents on every row (its billing writes it, not the API).
    assert {k: data[k] for k in ("billing_note", "invoice_refno", "last_level_billed",
                                 "last_level_closed", "last_stmt_date", "stmt_count")} == {
        "billing_note": None, "invoice_refno": None, "last_level_billed": 0,
        "last_level_closed": 0, "last_stmt_date": None, "stmt_count": 0}


def test_a_category_that_does_not_exist_is_400_naming_pc_catid(client, admin, new_patient):
    r = client.post(f"{API}/patient/{new_patient['uuid']}/encounter",
                    json=encounter_body(pc_catid=987654), headers=admin)
    assert r.status_code == 400, r.text
    assert "pc_catid" in errors_of(r)


def test_an_encounters_eid_is_what_the_vital_path_takes(client, admin, new_patient):
    # The OpenEMR client flow: list the encounters, then use a row's `eid` in a form path.
    create(client, admin, new_patient["uuid"])
    row = client.get(f"{API}/patient/{new_patient['uuid']}/encounter",
                     headers=admin).json()["data"][0]
    r = client.post(f"{API}/patient/{new_patient['pid']}/encounter/{row['eid']}/vital",
                    json={"bps": "120", "bpd": "80", "pulse": "60"}, headers=admin)
    assert r.status_code == 201, r.text
