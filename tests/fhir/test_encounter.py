"""FHIR Encounter: encounters made through the Standard API, read and searched as US Core
Encounters, with their patient, provider and facility to include."""

from __future__ import annotations

import pytest

from tests.conftest import bearer, password_token
from tests.fhir.helpers import ids

FHIR = "/apis/default/fhir"
STANDARD = "/apis/default/api"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


@pytest.fixture(scope="module")
def visits(client, admin) -> dict:
    r = client.post(f"{STANDARD}/patient", headers=admin, json={
        "fname": "Visit", "lname": "Fhirencounter", "sex": "Male", "DOB": "1980-08-08"})
    puuid = r.json()["data"]["uuid"]
    facility = client.post(f"{STANDARD}/facility", headers=admin, json={
        "name": "Fhir Encounter Clinic", "city": "Salem", "state": "OR",
        "facility_npi": "1700000014"}).json()["data"]
    doctor = client.post(f"{STANDARD}/practitioner", headers=admin, json={
        "fname": "Ira", "lname": "Fhirvisit", "npi": "1003000126"}).json()["data"]
    made = {"puuid": puuid, "facility": facility["uuid"], "doctor": doctor["uuid"]}
    for name, when, kind in (("checkup", "2024-01-10 09:30:00", "AMB"),
                             ("er", "2024-06-02 23:10:00", "EMER")):
        r = client.post(f"{STANDARD}/patient/{puuid}/encounter", headers=admin, json={
            "date": when, "class_code": kind, "pc_catid": 5, "reason": f"{name} visit",
            "facility_id": facility["id"], "provider_id": doctor["id"]})
        assert r.status_code == 201, r.text
        made[name] = r.json()["data"]["euuid"]
    return made


@pytest.fixture(scope="module")
def staff(client, app_client) -> dict:
    return bearer(password_token(client, app_client, scope=(
        "openid api:fhir user/Encounter.rs user/Patient.rs user/Practitioner.rs "
        "user/Location.rs")))


def search(client, headers, **params) -> dict:
    r = client.get(f"{FHIR}/Encounter", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_an_encounter_is_a_us_core_encounter(client, staff, visits):
    r = client.get(f"{FHIR}/Encounter/{visits['checkup']}", headers=staff)
    assert r.status_code == 200, r.text
    e = r.json()
    assert e["status"] == "finished"
    assert e["class"] == {"system": ACT, "code": "AMB", "display": "ambulatory"}
    assert e["type"] == [{"text": "Office Visit"}]
    assert e["subject"] == {"reference": f"Patient/{visits['puuid']}"}
    assert e["participant"][0]["individual"] == {"reference": f"Practitioner/{visits['doctor']}"}
    assert e["period"] == {"start": "2024-01-10T09:30:00Z"}
    assert e["reasonCode"] == [{"text": "checkup visit"}]
    assert e["location"] == [{"location": {"reference": f"Location/{visits['facility']}"}}]
    assert e["identifier"][0]["value"].isdigit()


@pytest.mark.parametrize("params, expected", [
    ({}, {"checkup", "er"}),
    ({"date": "2024-01"}, {"checkup"}),
    ({"date": "ge2024-06-02T23:00:00Z"}, {"er"}),
    ({"date": "lt2024-06-03T00:30:00+01:00"}, {"checkup", "er"}),  # 23:30 UTC
    ({"date": "lt2024-06-03T00:00:00+01:00"}, {"checkup"}),  # 23:00 UTC
    ({"class": "EMER"}, {"er"}),
    ({"class": f"{ACT}|AMB"}, {"checkup"}),
    ({"status": "finished"}, {"checkup", "er"}),
    ({"status": "planned"}, set()),
])
def test_searches_with_the_patient(client, staff, visits, params, expected):
    found = search(client, staff, patient=visits["puuid"], **params)
    assert ids(found) == {visits[n] for n in expected}, params


def test_identifier_and_sort(client, staff, visits):
    checkup = client.get(f"{FHIR}/Encounter/{visits['checkup']}", headers=staff).json()
    number = checkup["identifier"][0]
    assert ids(search(client, staff, identifier=f"{number['system']}|{number['value']}")) == {
        visits["checkup"]}
    newest = search(client, staff, patient=visits["puuid"], _sort="-date")
    assert [e["resource"]["id"] for e in newest["entry"]] == [visits["er"], visits["checkup"]]


def test_includes_follow_the_references(client, staff, visits):
    found = search(client, staff, _id=visits["checkup"], _include=[
        "Encounter:patient", "Encounter:practitioner", "Encounter:location"])
    included = {(e["resource"]["resourceType"], e["resource"]["id"])
                for e in found["entry"] if e["search"]["mode"] == "include"}
    assert included == {("Patient", visits["puuid"]), ("Practitioner", visits["doctor"]),
                        ("Location", visits["facility"])}


def test_the_patient_revincludes_their_encounters(client, staff, visits):
    r = client.get(f"{FHIR}/Patient", headers=staff,
                   params={"_id": visits["puuid"], "_revinclude": "Encounter:patient"})
    included = {e["resource"]["id"] for e in r.json()["entry"] if e["search"]["mode"] == "include"}
    assert included == {visits["checkup"], visits["er"]}


def test_practitioner_and_location_references(client, staff, visits):
    mine = search(client, staff, patient=visits["puuid"], practitioner=visits["doctor"],
                  location=f"Location/{visits['facility']}")
    assert ids(mine) == {visits["checkup"], visits["er"]}
