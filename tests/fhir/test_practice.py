"""FHIR Practitioner, Organization and Location: the practice's people and places, from the
rows the Standard API keeps."""

from __future__ import annotations

import pytest

from tests.conftest import bearer, password_token, register_client
from tests.fhir.helpers import ids, search

FHIR = "/apis/default/fhir"
STANDARD = "/apis/default/api"
NPI = "http://hl7.org/fhir/sid/us-npi"


@pytest.fixture(scope="module")
def practice(client, admin) -> dict:
    r = client.post(f"{STANDARD}/facility", headers=admin, json={
        "name": "Fhir Harbor Clinic", "phone": "503-555-0199", "city": "Astoria", "state": "OR",
        "postal_code": "97103", "street": "9 Pier Rd", "facility_npi": "1093817652",
        "email": "front@harbor.example"})
    assert r.status_code == 201, r.text
    facility = r.json()["data"]["uuid"]
    r = client.post(f"{STANDARD}/practitioner", headers=admin, json={
        "fname": "Wren", "lname": "Fhirdoc", "npi": "1245319599", "title": "Dr.",
        "email": "wren@harbor.example", "city": "Astoria", "state": "OR", "zip": "97103",
        "street": "9 Pier Rd", "phone": "503-555-0198"})
    assert r.status_code == 201, r.text
    return {"facility": facility, "practitioner": r.json()["data"]["uuid"]}


@pytest.fixture(scope="module")
def staff(client, app_client) -> dict:
    return bearer(password_token(client, app_client, scope=(
        "openid api:fhir user/Practitioner.rs user/Organization.rs user/Location.rs")))


def test_a_practitioner_is_a_us_core_practitioner(client, staff, practice):
    p = client.get(f"{FHIR}/Practitioner/{practice['practitioner']}", headers=staff).json()
    assert p["identifier"] == [{"system": NPI, "value": "1245319599"}]
    assert p["name"][0]["family"] == "Fhirdoc" and p["name"][0]["prefix"] == ["Dr."]
    assert p["active"] is True and p["address"][0]["city"] == "Astoria"
    assert "lastUpdated" not in p["meta"]


@pytest.mark.parametrize("params", [
    {"identifier": f"{NPI}|1245319599"}, {"identifier": "1245319599"}, {"name": "fhirdo"},
    {"family": "Fhirdoc", "given": "wr"}, {"address-city": "asto", "active": "true"}])
def test_practitioner_searches(client, staff, practice, params):
    assert practice["practitioner"] in ids(search(client, staff, "Practitioner", **params))


def test_a_practitioner_has_no_last_updated_to_search(client, staff):
    found = search(client, staff, "Practitioner", _lastUpdated="ge2000")
    assert found["entry"][-1]["search"]["mode"] == "outcome"  # ignored, and said so
    r = client.get(f"{FHIR}/Practitioner", params={"_sort": "_lastUpdated"}, headers=staff)
    assert r.status_code == 400


def test_a_facility_is_an_organization_and_a_location(client, staff, practice):
    org = client.get(f"{FHIR}/Organization/{practice['facility']}", headers=staff).json()
    assert org["name"] == "Fhir Harbor Clinic" and org["active"] is True
    assert org["identifier"] == [{"system": NPI, "value": "1093817652"}]
    assert {"system": "phone", "value": "503-555-0199", "use": "work"} in org["telecom"]
    loc = client.get(f"{FHIR}/Location/{practice['facility']}", headers=staff).json()
    assert loc["status"] == "active" and loc["address"]["postalCode"] == "97103"
    assert loc["managingOrganization"] == {"reference": f"Organization/{practice['facility']}"}


def test_location_searches_and_includes_its_organization(client, staff, practice):
    found = search(client, staff, "Location", name="fhir harb",
                   _include="Location:organization")
    assert ids(found) == {practice["facility"]}
    included = [e["resource"] for e in found["entry"] if e["search"]["mode"] == "include"]
    assert [(r["resourceType"], r["id"]) for r in included] == [
        ("Organization", practice["facility"])]
    assert practice["facility"] in ids(search(client, staff, "Location",
                                              **{"address-postalcode": "97103"}))
    assert ids(search(client, staff, "Organization", identifier="1093817652")) == {
        practice["facility"]}


def test_a_patient_may_read_the_practice(client, practice):
    app = register_client(client, scope="openid api:fhir api:port patient/Practitioner.rs")
    token = bearer(password_token(client, app, role="patient", username="phil", password="phil",
                                  email="phil@example.com",
                                  scope="openid api:fhir patient/Practitioner.rs"))
    r = client.get(f"{FHIR}/Practitioner/{practice['practitioner']}", headers=token)
    assert r.status_code == 200, r.text


def test_front_office_without_admin_users_is_refused(client, app_client):
    token = bearer(password_token(client, app_client, username="receptionist",
                                  password="receptionist", scope="openid api:fhir user/Location.rs"))
    r = client.get(f"{FHIR}/Location", headers=token)
    assert r.status_code == 403 and r.json()["resourceType"] == "OperationOutcome"
