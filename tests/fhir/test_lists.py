"""FHIR AllergyIntolerance and Condition over OpenEMR's lists: rows written through the
Standard API, read and searched as US Core resources; a patient sees only their own."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from emr_api.db.models import Issue

from tests.conftest import bearer, password_token, register_client
from tests.fhir.helpers import ids, search

FHIR = "/apis/default/fhir"
STANDARD = "/apis/default/api"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"


def made(r) -> str:
    assert r.status_code == 201, r.text
    return r.json()["data"]["uuid"]


@pytest.fixture(scope="module")
def chart(client, admin, app) -> dict:
    """A patient with two allergies and three problems (one ended, one switched off)."""
    r = client.post(f"{STANDARD}/patient", headers=admin, json={
        "fname": "Lists", "lname": "Fhirchart", "sex": "Female", "DOB": "1970-05-05"})
    puuid = r.json()["data"]["uuid"]
    base = f"{STANDARD}/patient/{puuid}"
    ended = (date.today() - timedelta(days=30)).isoformat()
    rows = {
        "puuid": puuid,
        "penicillin": made(client.post(f"{base}/allergy", headers=admin, json={
            "title": "Penicillin", "diagnosis": "RXNORM:7980", "begdate": "2001-02-03",
            "comments": "Hives in 2001"})),
        "latex": made(client.post(f"{base}/allergy", headers=admin, json={"title": "Latex"})),
        "hypertension": made(client.post(f"{base}/medical_problem", headers=admin, json={
            "title": "Essential hypertension", "begdate": "2015-06-01",
            "diagnosis": "ICD10:I10"})),
        "asthma": made(client.post(f"{base}/medical_problem", headers=admin, json={
            "title": "Asthma", "begdate": "1990-01-01", "enddate": ended,
            "diagnosis": "ICD10:J45.909"})),
        "migraine": made(client.post(f"{base}/medical_problem", headers=admin, json={
            "title": "Migraine", "begdate": "2010-03-03", "diagnosis": "ICD10:G43.909"})),
    }
    with app.registry.get("default").db.write() as session:  # no API switches a row off
        session.execute(update(Issue).where(Issue.uuid == rows["migraine"]).values(activity=False))
    return rows


@pytest.fixture(scope="module")
def staff(client, app_client) -> dict:
    return bearer(password_token(client, app_client, scope=(
        "openid api:fhir user/AllergyIntolerance.rs user/Condition.rs")))


def test_an_allergy_is_a_us_core_allergy_intolerance(client, staff, chart):
    r = client.get(f"{FHIR}/AllergyIntolerance/{chart['penicillin']}", headers=staff)
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["resourceType"] == "AllergyIntolerance"
    assert a["patient"] == {"reference": f"Patient/{chart['puuid']}"}
    assert a["code"] == {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                     "code": "7980", "display": "Penicillin"}],
                         "text": "Penicillin"}
    assert a["clinicalStatus"]["coding"][0]["code"] == "active"
    assert a["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert a["onsetDateTime"] == "2001-02-03" and a["note"] == [{"text": "Hives in 2001"}]
    latex = client.get(f"{FHIR}/AllergyIntolerance/{chart['latex']}", headers=staff).json()
    assert latex["code"] == {"text": "Latex"}


def test_a_problem_is_a_us_core_condition(client, staff, chart):
    c = client.get(f"{FHIR}/Condition/{chart['hypertension']}", headers=staff).json()
    assert c["resourceType"] == "Condition"
    assert c["subject"] == {"reference": f"Patient/{chart['puuid']}"}
    assert c["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert c["code"]["coding"] == [{"system": ICD10, "code": "I10",
                                    "display": "Essential hypertension"}]
    assert c["onsetDateTime"] == "2015-06-01" and "abatementDateTime" not in c
    statuses = {name: client.get(f"{FHIR}/Condition/{chart[name]}", headers=staff).json()[
        "clinicalStatus"]["coding"][0]["code"] for name in ("asthma", "migraine")}
    assert statuses == {"asthma": "resolved", "migraine": "inactive"}


def test_an_allergy_is_not_a_condition(client, staff, chart):
    assert client.get(f"{FHIR}/Condition/{chart['penicillin']}", headers=staff).status_code == 404
    assert client.get(f"{FHIR}/AllergyIntolerance/{chart['asthma']}",
                      headers=staff).status_code == 404


@pytest.mark.parametrize("reference", [
    "{puuid}", "Patient/{puuid}", "https://localhost:9300/apis/default/fhir/Patient/{puuid}"])
def test_patient_references_in_every_form(client, staff, chart, reference):
    found = search(client, staff, "AllergyIntolerance",
                   patient=reference.format(puuid=chart["puuid"]))
    assert ids(found) == {chart["penicillin"], chart["latex"]}


def test_a_reference_to_another_type_matches_nothing(client, staff, chart):
    assert ids(search(client, staff, "Condition", patient=f"Practitioner/{chart['puuid']}")) \
        == set()
    r = client.get(f"{FHIR}/Condition", params={"subject:Practitioner": chart["puuid"]},
                   headers=staff)
    assert r.status_code == 400


@pytest.mark.parametrize("params, expected", [
    ({}, {"hypertension", "asthma", "migraine"}),
    ({"category": "problem-list-item"}, {"hypertension", "asthma", "migraine"}),
    ({"category": "health-concern"}, set()),
    ({"clinical-status": "active"}, {"hypertension"}),
    ({"clinical-status": "resolved,inactive"}, {"asthma", "migraine"}),
    ({"code": f"{ICD10}|I10"}, {"hypertension"}),
    ({"code": "J45.909"}, {"asthma"}),
    ({"code": "http://snomed.info/sct|I10"}, set()),
    ({"onset-date": "ge2010"}, {"hypertension", "migraine"}),
    ({"abatement-date:missing": "false"}, {"asthma"}),
    ({"recorded-date": "ge2000"}, {"hypertension", "asthma", "migraine"}),
])
def test_condition_searches_with_the_patient(client, staff, chart, params, expected):
    found = search(client, staff, "Condition", patient=chart["puuid"], **params)
    assert ids(found) == {chart[name] for name in expected}, params


def test_subject_with_its_type_modifier(client, staff, chart):
    found = search(client, staff, "Condition", **{"subject:Patient": chart["puuid"]})
    assert len(ids(found)) == 3


def test_allergy_clinical_status(client, staff, chart):
    found = search(client, staff, "AllergyIntolerance", patient=chart["puuid"],
                   **{"clinical-status": "active"})
    assert ids(found) == {chart["penicillin"], chart["latex"]}


def test_a_patient_sees_only_their_own_allergies(client, admin, chart):
    phil = client.get(f"{STANDARD}/patient", params={"fname": "Phil", "lname": "Belford"},
                      headers=admin).json()["data"][0]["uuid"]
    own = made(client.post(f"{STANDARD}/patient/{phil}/allergy", headers=admin,
                           json={"title": "Shellfish"}))
    app = register_client(client, scope="openid api:fhir api:port patient/AllergyIntolerance.rs")
    token = bearer(password_token(client, app, role="patient", username="phil", password="phil",
                                  email="phil@example.com",
                                  scope="openid api:fhir patient/AllergyIntolerance.rs"))
    mine = search(client, token, "AllergyIntolerance")
    assert own in ids(mine) and chart["penicillin"] not in ids(mine)
    assert ids(search(client, token, "AllergyIntolerance", patient=chart["puuid"])) == set()
    r = client.get(f"{FHIR}/AllergyIntolerance/{chart['penicillin']}", headers=token)
    assert r.status_code == 404


def test_include_adds_the_patient_once(client, admin, chart):
    token = bearer(password_token(client, register_client(client), scope=(
        "openid api:fhir user/Condition.rs user/Patient.rs")))
    found = search(client, token, "Condition", patient=chart["puuid"],
                   _include="Condition:patient")
    included = [e for e in found["entry"] if e["search"]["mode"] == "include"]
    assert [e["resource"]["id"] for e in included] == [chart["puuid"]]
    assert included[0]["fullUrl"].endswith(f"/Patient/{chart['puuid']}")
    assert found["total"] == 3  # includes are not matches


def test_revinclude_adds_what_refers_to_the_matches(client, chart):
    token = bearer(password_token(client, register_client(client), scope=(
        "openid api:fhir user/Patient.rs user/AllergyIntolerance.rs user/Condition.rs")))
    r = client.get(f"{FHIR}/Patient", headers=token, params=[
        ("_id", chart["puuid"]), ("_revinclude", "AllergyIntolerance:patient"),
        ("_revinclude", "Condition:patient")])
    included = {e["resource"]["id"] for e in r.json()["entry"] if e["search"]["mode"] == "include"}
    assert included == {chart[n] for n in ("penicillin", "latex", "hypertension", "asthma",
                                           "migraine")}


def test_an_include_the_token_may_not_see_is_left_out_and_said(client, chart):
    token = bearer(password_token(client, register_client(client), scope=(
        "openid api:fhir user/Patient.rs")))
    found = search(client, token, "Patient", _id=chart["puuid"],
                   _revinclude="AllergyIntolerance:patient")
    modes = [e["search"]["mode"] for e in found["entry"]]
    assert modes == ["match", "outcome"]
    assert "AllergyIntolerance" in found["entry"][1]["resource"]["issue"][0]["diagnostics"]


@pytest.mark.parametrize("params", [
    {"_include": "Condition:code"}, {"_include": "Patient:patient"},
    {"_revinclude": "Condition:code"}, {"_revinclude": "Nothing:patient"}])
def test_unsupported_includes_are_ignored_or_refused_when_strict(client, staff, chart, params):
    found = search(client, staff, "Condition", patient=chart["puuid"], **params)
    assert found["entry"][-1]["search"]["mode"] == "outcome"
    r = client.get(f"{FHIR}/Condition", params=params,
                   headers={**staff, "Prefer": "handling=strict"})
    assert r.status_code == 400, r.text


def test_a_patient_includes_only_their_own(client, admin, chart):
    app = register_client(client, scope="openid api:fhir api:port patient/Condition.rs "
                                        "patient/Patient.rs")
    token = bearer(password_token(client, app, role="patient", username="phil", password="phil",
                                  email="phil@example.com",
                                  scope="openid api:fhir patient/Condition.rs patient/Patient.rs"))
    r = client.get(f"{FHIR}/Patient", headers=token,
                   params={"_revinclude": "Condition:patient"})
    included = [e["resource"] for e in r.json()["entry"] if e["search"]["mode"] == "include"]
    assert all(c["subject"]["reference"] != f"Patient/{chart['puuid']}" for c in included)
