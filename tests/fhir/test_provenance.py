"""FHIR Provenance: derived from every served resource; read, search by target or id, and
`_revinclude=Provenance:target` on every type, as the caller may see the targets."""

from __future__ import annotations

import pytest

from emr_api.handlers.fhir import provenance_of, registry
from tests.conftest import bearer, password_token, register_client
from tests.contract.test_fhir_json_schema import assert_valid
from tests.fhir.helpers import FHIR, ids, outcome, search

STANDARD = "/apis/default/api"


@pytest.fixture(scope="module")
def chart(client, admin) -> dict:
    client.post(f"{STANDARD}/facility", headers=admin, json={
        "name": "Provenance Clinic", "city": "Salem", "state": "OR",
        "facility_npi": "1700000030"})
    r = client.post(f"{STANDARD}/patient", headers=admin, json={
        "fname": "Proven", "lname": "Ance", "sex": "Female", "DOB": "1975-05-05"})
    puuid = r.json()["data"]["uuid"]
    allergy = client.post(f"{STANDARD}/patient/{puuid}/allergy", headers=admin,
                          json={"title": "Sulfa"}).json()["data"]["uuid"]
    return {"puuid": puuid, "allergy": allergy}


def test_every_served_type_has_a_provenance_code():
    served = {type_ for type_ in provenance_of.CODES if registry.provider(type_)}
    doc_types = set(registry._by_type())
    assert doc_types == served, doc_types ^ served
    assert len(set(provenance_of.CODES.values())) == len(provenance_of.CODES)


def test_a_search_revincludes_the_provenance_of_its_matches(client, admin, chart):
    body = search(client, admin, "AllergyIntolerance", patient=chart["puuid"],
                  _revinclude="Provenance:target")
    allergy = next(e["resource"] for e in body["entry"] if e["search"]["mode"] == "match")
    provenance = [e["resource"] for e in body["entry"] if e["search"]["mode"] == "include"]
    assert [p["target"] for p in provenance] == [
        [{"reference": f"AllergyIntolerance/{chart['allergy']}"}]]
    made = provenance[0]
    assert made["id"] == f"ai-{chart['allergy']}"
    assert made["recorded"] == allergy["meta"]["lastUpdated"]
    assert [a["type"]["coding"][0]["code"] for a in made["agent"]] == ["author", "transmitter"]
    assert made["agent"][0]["who"]["reference"].startswith("Organization/")
    assert_valid(made)


def test_a_provenance_is_read_and_searched_by_target_and_id(client, admin, chart):
    pid = f"pa-{chart['puuid']}"
    r = client.get(f"{FHIR}/Provenance/{pid}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["target"] == [{"reference": f"Patient/{chart['puuid']}"}]
    assert ids(search(client, admin, "Provenance", target=f"Patient/{chart['puuid']}")) == {pid}
    both = search(client, admin, "Provenance",
                  target=f"Patient/{chart['puuid']},AllergyIntolerance/{chart['allergy']}")
    assert ids(both) == {pid, f"ai-{chart['allergy']}"}
    assert ids(search(client, admin, "Provenance", _id=pid)) == {pid}
    outcome(client.get(f"{FHIR}/Provenance/zz-{chart['puuid']}", headers=admin), 404)
    outcome(client.get(f"{FHIR}/Provenance/pa-no-such-patient", headers=admin), 404)
    outcome(client.get(f"{FHIR}/Provenance", headers=admin), 400)


def test_a_patient_sees_only_their_own_records_provenance(client, chart):
    scope = "openid api:fhir patient/Patient.rs patient/Provenance.rs"
    app = register_client(client, scope=f"{scope} api:port")
    token = bearer(password_token(client, app, role="patient", username="phil",
                                  password="phil", email="phil@example.com", scope=scope))
    own = search(client, token, "Patient", _revinclude="Provenance:target")
    mine = next(e["resource"]["id"] for e in own["entry"] if e["search"]["mode"] == "match")
    assert any(e["resource"]["resourceType"] == "Provenance" for e in own["entry"])
    assert client.get(f"{FHIR}/Provenance/pa-{mine}", headers=token).status_code == 200
    outcome(client.get(f"{FHIR}/Provenance/pa-{chart['puuid']}", headers=token), 404)
    assert ids(search(client, token, "Provenance", target=f"Patient/{chart['puuid']}")) == set()


def test_without_the_provenance_scope_none_is_included(client, app_client, chart):
    token = bearer(password_token(client, app_client,
                                  scope="openid api:fhir user/AllergyIntolerance.rs"))
    body = search(client, token, "AllergyIntolerance", patient=chart["puuid"],
                  _revinclude="Provenance:target")
    assert not [e for e in body["entry"] if e["search"]["mode"] == "include"]
    notes = [e["resource"] for e in body["entry"] if e["search"]["mode"] == "outcome"]
    assert "Provenance" in notes[0]["issue"][0]["diagnostics"]
    outcome(client.get(f"{FHIR}/Provenance", params={"target": f"Patient/{chart['puuid']}"},
                       headers=token), 403)
