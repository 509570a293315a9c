"""FHIR Immunization, MedicationRequest and Medication: immunizations and formulary drugs
written through the site's database (no API writes them), prescriptions through the
Standard API; read and searched as US Core resources; a patient sees only their own."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime

import pytest

from emr_api.db.models import Drug, Immunization
from tests.conftest import bearer, password_token, register_client
from tests.fhir.helpers import ids, included, read, search, write

FHIR = "/apis/default/fhir"
STANDARD = "/apis/default/api"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NDC = "http://hl7.org/fhir/sid/ndc"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
# Codes and names no other test's drugs share, so code searches see only these.
TAG = uuid.uuid4().hex[:8]
RXCUI = str(900000000 + int(TAG[:6], 16) % 99999999)


def created(r, key="uuid"):
    assert r.status_code == 201, r.text
    return r.json()["data"][key]


def shot(pid: int, **fields) -> Immunization:
    return Immunization(patient_id=pid, **{
        "administered_date": datetime(2021, 4, 7, 14, 30), "cvx_code": "208",
        "create_date": datetime(2021, 4, 7, 14, 35), "update_date": datetime(2021, 4, 8, 9, 0),
        "completion_status": "Completed", "information_source": "new_immunization_record",
        **fields})


@pytest.fixture(scope="module")
def chart(client, admin, app) -> dict:
    """A patient with three immunizations and three prescriptions (one of a formulary
    drug, one finished, one stopped), a nurse-practitioner, a visit and two drugs."""
    r = client.post(f"{STANDARD}/patient", headers=admin, json={
        "fname": "Mia", "lname": "Fhirmeds", "sex": "Female", "DOB": "1968-03-03"})
    assert r.status_code == 201, r.text
    pid, puuid = r.json()["data"]["pid"], r.json()["data"]["uuid"]
    r = client.post(f"{STANDARD}/practitioner", headers=admin, json={
        "fname": "Noor", "lname": "Fhirmeds", "npi": "1003000134"})
    assert r.status_code == 201, r.text
    doctor = r.json()["data"]
    r = client.post(f"{STANDARD}/patient/{puuid}/encounter", headers=admin, json={
        "date": "2024-01-15 09:00:00", "class_code": "AMB", "pc_catid": 5,
        "reason": "blood pressure", "provider_id": doctor["id"]})
    assert r.status_code == 201, r.text
    visit = r.json()["data"]
    lisinopril, retired = write(
        app,
        Drug(name=f"Lisinopril 10 mg tablet {TAG}", drug_code=RXCUI, ndc_number=f"{TAG[:5]}-01",
             form="2", size="10", unit="1", route="1"),
        Drug(name=f"Retired capsule {TAG}", drug_code=str(int(RXCUI) + 1), form="3",
             active=False))
    made = {"pid": pid, "puuid": puuid, "doctor": doctor["uuid"], "doctor_id": doctor["id"],
            "visit": visit["euuid"],
            "lisinopril_drug": lisinopril.uuid, "retired_drug": retired.uuid}
    covid, flu, wrong = write(
        app,
        shot(pid, manufacturer="Pfizer, Inc", lot_number="EW0182",
             administered_by_id=doctor["id"], ordering_provider=doctor["id"],
             amount_administered=0.3, amount_administered_unit="mL",
             expiration_date=date(2021, 9, 30), route="intramuscular",
             administration_site="left_deltoid", encounter_id=visit["encounter"],
             note="Second dose"),
        shot(pid, cvx_code="150", administered_date=datetime(2023, 10, 2, 10, 0),
             create_date=datetime(2023, 10, 2, 10, 5), update_date=datetime(2023, 10, 2, 10, 5),
             completion_status="Refused", refusal_reason="patient_decision"),
        shot(pid, cvx_code="115", administered_date=datetime(2022, 5, 5, 11, 0),
             create_date=datetime(2022, 5, 6, 8, 0), update_date=datetime(2022, 5, 6, 8, 0),
             information_source="other_provider", administered_by="CVS Pharmacy",
             added_erroneously=True))
    made.update(covid=covid.uuid, flu=flu.uuid, wrong=wrong.uuid)
    base = {"patient_id": pid, "provider_id": doctor["id"]}
    made["lisinopril"] = created(client.post(f"{STANDARD}/prescription", headers=admin, json={
        **base, "drug": "Lisinopril 10 mg tablet", "drug_id": lisinopril.drug_id,
        "encounter": visit["encounter"], "dosage": "1", "interval": "9", "quantity": "30",
        "refills": 3, "date_added": "2024-01-15 09:30:00", "diagnosis": "ICD10:I10",
        "drug_dosage_instructions": "Take 1 tablet by mouth once a day.",
        "note": "Check potassium in a month"}))
    made["amoxicillin"] = created(client.post(f"{STANDARD}/prescription", headers=admin, json={
        **base, "drug": "Amoxicillin 500 mg capsule", "rxnorm_drugcode": "308191",
        "form": "3", "dosage": "1", "route": "1", "interval": "2", "quantity": "30",
        "date_added": "2023-03-01 10:00:00", "end_date": "2023-03-11",
        "usage_category": "outpatient"}))
    made["albuterol"] = created(client.post(f"{STANDARD}/prescription", headers=admin, json={
        **base, "drug": "Albuterol inhaler", "route": "inhale", "interval": "17",
        "date_added": "2022-06-01 16:00:00", "request_intent": "plan"}))
    r = client.delete(f"{STANDARD}/prescription/{made['albuterol']}", headers=admin)
    assert r.status_code == 200, r.text
    return made


@pytest.fixture(scope="module")
def staff(client, app_client) -> dict:
    return bearer(password_token(client, app_client, scope=(
        "openid api:fhir user/Immunization.rs user/MedicationRequest.rs user/Medication.rs "
        "user/Patient.rs user/Encounter.rs user/Practitioner.rs")))


# --- Immunization ---------------------------------------------------------------------

def test_a_given_vaccine_is_a_us_core_immunization(client, staff, chart):
    assert read(client, staff, "Immunization", chart["covid"]) == {
        "resourceType": "Immunization",
        "id": chart["covid"],
        "meta": {"versionId": "1", "lastUpdated": "2021-04-08T09:00:00Z",
                 "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/"
                             "us-core-immunization"]},
        "status": "completed",
        "vaccineCode": {"coding": [{"system": CVX, "code": "208", "display": (
            "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, "
            "30 mcg/0.3mL dose")}], "text": (
            "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, "
            "30 mcg/0.3mL dose")},
        "patient": {"reference": f"Patient/{chart['puuid']}"},
        "encounter": {"reference": f"Encounter/{chart['visit']}"},
        "occurrenceDateTime": "2021-04-07T14:30:00Z",
        "recorded": "2021-04-07T14:35:00Z",
        "primarySource": True,
        "manufacturer": {"display": "Pfizer, Inc"},
        "lotNumber": "EW0182",
        "expirationDate": "2021-09-30",
        "site": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActSite",
                             "code": "LD", "display": "Left Deltoid"}], "text": "Left Deltoid"},
        "route": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                        "v3-RouteOfAdministration",
                              "code": "IM", "display": "Injection, intramuscular"}],
                  "text": "intramuscular"},
        "doseQuantity": {"value": 0.3, "unit": "mL", "system": UCUM, "code": "mL"},
        "performer": [
            {"function": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0443",
                                      "code": "AP", "display": "Administering Provider"}]},
             "actor": {"reference": f"Practitioner/{chart['doctor']}"}},
            {"function": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0443",
                                      "code": "OP", "display": "Ordering Provider"}]},
             "actor": {"reference": f"Practitioner/{chart['doctor']}"}}],
        "note": [{"text": "Second dose"}],
    }


def test_a_refusal_is_not_done_with_its_reason_and_an_error_is_entered_in_error(
        client, staff, chart):
    flu = read(client, staff, "Immunization", chart["flu"])
    assert flu["status"] == "not-done"
    assert flu["statusReason"] == {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "PATOBJ",
        "display": "patient objection"}], "text": "Patient decision"}
    assert "lotNumber" not in flu and "doseQuantity" not in flu and "performer" not in flu
    wrong = read(client, staff, "Immunization", chart["wrong"])
    assert wrong["status"] == "entered-in-error" and "statusReason" not in wrong
    assert wrong["primarySource"] is True  # copied from another provider's record
    assert wrong["performer"] == [{"function": {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v2-0443", "code": "AP",
        "display": "Administering Provider"}]}, "actor": {"display": "CVS Pharmacy"}}]


@pytest.mark.parametrize("params, expected", [
    ({}, {"covid", "flu", "wrong"}),
    ({"date": "2021-04"}, {"covid"}),
    ({"date": "ge2022"}, {"flu", "wrong"}),
    ({"date": "lt2022-05-05T11:00:00Z"}, {"covid"}),
    ({"date": "le2022-05-05T12:30:00+01:00"}, {"covid", "wrong"}),  # 11:30 UTC
    ({"status": "completed"}, {"covid"}),
    ({"status": "not-done"}, {"flu"}),
    ({"status": "entered-in-error"}, {"wrong"}),
    ({"status": "http://hl7.org/fhir/event-status|completed,not-done"}, {"covid", "flu"}),
    ({"status": "stopped"}, set()),
    ({"vaccine-code": "208"}, {"covid"}),
    ({"vaccine-code": f"{CVX}|150"}, {"flu"}),
    ({"vaccine-code": f"{CVX}|"}, {"covid", "flu", "wrong"}),
    ({"vaccine-code": "http://loinc.org|208"}, set()),
    ({"_lastUpdated": "ge2022-05-06"}, {"flu", "wrong"}),
    ({"status": "completed,not-done", "date": "lt2023"}, {"covid"}),
])
def test_immunization_searches_with_the_patient(client, staff, chart, params, expected):
    found = search(client, staff, "Immunization", patient=chart["puuid"], **params)
    assert ids(found) == {chart[name] for name in expected}, params


@pytest.mark.parametrize("reference", [
    "{puuid}", "Patient/{puuid}", "https://localhost:9300/apis/default/fhir/Patient/{puuid}",
    "Encounter/{puuid}"])
def test_immunization_patient_references_in_every_form(client, staff, chart, reference):
    found = search(client, staff, "Immunization",
                   patient=reference.format(puuid=chart["puuid"]))
    expected = set() if reference.startswith("Encounter") else {"covid", "flu", "wrong"}
    assert ids(found) == {chart[name] for name in expected}


def test_an_immunization_includes_its_patient(client, staff, chart):
    found = search(client, staff, "Immunization", _id=chart["covid"],
                   _include="Immunization:patient")
    assert ids(found) == {chart["covid"]}
    assert included(found) == {("Patient", chart["puuid"])}


def test_a_date_search_needs_a_real_date(client, staff, chart):
    r = client.get(f"{FHIR}/Immunization", params={"date": "xx2021"}, headers=staff)
    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"


# --- MedicationRequest ----------------------------------------------------------------

def test_a_formulary_prescription_is_a_us_core_medication_request(client, staff, chart):
    found = read(client, staff, "MedicationRequest", chart["lisinopril"])
    assert INSTANT.match(found["meta"].pop("lastUpdated"))
    assert found == {
        "resourceType": "MedicationRequest",
        "id": chart["lisinopril"],
        "meta": {"versionId": "1", "profile": [
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationrequest"]},
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
            "code": "community", "display": "Community"}], "text": "Home/Community"}],
        "reportedBoolean": False,
        "medicationReference": {"reference": f"Medication/{chart['lisinopril_drug']}",
                                "display": "Lisinopril 10 mg tablet"},
        "subject": {"reference": f"Patient/{chart['puuid']}"},
        "encounter": {"reference": f"Encounter/{chart['visit']}"},
        "authoredOn": "2024-01-15T09:30:00Z",
        "requester": {"reference": f"Practitioner/{chart['doctor']}"},
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm",
                                    "code": "I10"}]}],
        "note": [{"text": "Check potassium in a month"}],
        # The formulary drug filled in its form (tablet) and route (by mouth).
        "dosageInstruction": [{
            "text": "1 tablet by mouth once a day",
            "patientInstruction": "Take 1 tablet by mouth once a day.",
            "timing": {"repeat": {"boundsPeriod": {"start": "2024-01-15"}, "frequency": 1,
                                  "period": 1, "periodUnit": "d"},
                       "code": {"text": "q.d."}},
            "route": {"text": "By mouth"},
            "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}],
        "dispenseRequest": {"numberOfRepeatsAllowed": 3,
                            "quantity": {"value": 30, "unit": "tablet"}},
    }


def test_other_prescriptions_carry_their_rxnorm_code_or_their_name(client, staff, chart):
    amoxicillin = read(client, staff, "MedicationRequest", chart["amoxicillin"])
    assert amoxicillin["status"] == "completed"
    assert amoxicillin["medicationCodeableConcept"] == {
        "coding": [{"system": RXNORM, "code": "308191",
                    "display": "Amoxicillin 500 mg capsule"}],
        "text": "Amoxicillin 500 mg capsule"}
    assert amoxicillin["category"][0]["coding"][0]["code"] == "outpatient"
    assert amoxicillin["dosageInstruction"][0]["timing"]["repeat"] == {
        "boundsPeriod": {"start": "2023-03-01", "end": "2023-03-11"},
        "frequency": 3, "period": 1, "periodUnit": "d"}
    assert amoxicillin["dispenseRequest"] == {"numberOfRepeatsAllowed": 0,
                                              "quantity": {"value": 30, "unit": "capsule"}}
    assert "encounter" not in amoxicillin and "medicationReference" not in amoxicillin
    albuterol = read(client, staff, "MedicationRequest", chart["albuterol"])
    assert (albuterol["status"], albuterol["intent"]) == ("stopped", "plan")
    assert albuterol["medicationCodeableConcept"] == {"text": "Albuterol inhaler"}
    assert albuterol["dosageInstruction"][0]["asNeededBoolean"] is True
    assert albuterol["dosageInstruction"][0]["text"] == "Respiratory (inhalation) as needed"


@pytest.mark.parametrize("params, expected", [
    ({}, {"lisinopril", "amoxicillin", "albuterol"}),
    ({"intent": "order"}, {"lisinopril", "amoxicillin"}),
    ({"intent": "http://hl7.org/fhir/CodeSystem/medicationrequest-intent|plan"}, {"albuterol"}),
    ({"intent": "http://snomed.info/sct|plan"}, set()),
    ({"status": "active"}, {"lisinopril"}),
    ({"status": "completed"}, {"amoxicillin"}),
    ({"status": "stopped"}, {"albuterol"}),
    ({"status": "active,completed"}, {"lisinopril", "amoxicillin"}),
    ({"status": "draft"}, set()),
    ({"intent": "order", "status": "completed"}, {"amoxicillin"}),
    ({"intent": "order", "encounter": "Encounter/{visit}"}, {"lisinopril"}),
    ({"encounter": "{visit}"}, {"lisinopril"}),
    ({"encounter:missing": "true"}, {"amoxicillin", "albuterol"}),
    ({"authoredon": "2024-01-15"}, {"lisinopril"}),
    ({"authoredon": "lt2024"}, {"amoxicillin", "albuterol"}),
    ({"intent": "order", "authoredon": "ge2023-03-01T10:00:00Z"}, {"lisinopril", "amoxicillin"}),
    ({"requester": "Practitioner/{doctor}"}, {"lisinopril", "amoxicillin", "albuterol"}),
    ({"requester": "Patient/{doctor}"}, set()),
    ({"medication": "Medication/{lisinopril_drug}"}, {"lisinopril"}),
    ({"_lastUpdated": "ge2020"}, {"lisinopril", "amoxicillin", "albuterol"}),
])
def test_medication_request_searches_with_the_patient(client, staff, chart, params, expected):
    params = {k: v.format(**chart) for k, v in params.items()}
    found = search(client, staff, "MedicationRequest", patient=chart["puuid"], **params)
    assert ids(found) == {chart[name] for name in expected}, params


def test_medication_requests_sort_by_authoredon(client, staff, chart):
    found = search(client, staff, "MedicationRequest", patient=chart["puuid"],
                   _sort="-authoredon")
    assert [e["resource"]["id"] for e in found["entry"]] == [
        chart["lisinopril"], chart["amoxicillin"], chart["albuterol"]]


def test_a_medication_request_includes_what_it_refers_to(client, staff, chart):
    found = search(client, staff, "MedicationRequest", _id=chart["lisinopril"], _include=[
        "MedicationRequest:medication", "MedicationRequest:patient",
        "MedicationRequest:encounter", "MedicationRequest:requester"])
    assert ids(found) == {chart["lisinopril"]}
    assert included(found) == {("Medication", chart["lisinopril_drug"]),
                               ("Patient", chart["puuid"]), ("Encounter", chart["visit"]),
                               ("Practitioner", chart["doctor"])}
    only = search(client, staff, "MedicationRequest", patient=chart["puuid"],
                  _include="MedicationRequest:medication")
    assert included(only) == {("Medication", chart["lisinopril_drug"])}


def test_the_referred_resources_revinclude_it(client, staff, chart):
    r = client.get(f"{FHIR}/Patient", headers=staff, params=[
        ("_id", chart["puuid"]), ("_revinclude", "Immunization:patient"),
        ("_revinclude", "MedicationRequest:patient")])
    assert included(r.json()) == {
        *(("Immunization", chart[n]) for n in ("covid", "flu", "wrong")),
        *(("MedicationRequest", chart[n]) for n in ("lisinopril", "amoxicillin", "albuterol"))}
    for type_, id_, param, expected in (
            ("Medication", chart["lisinopril_drug"], "MedicationRequest:medication",
             {"lisinopril"}),
            ("Encounter", chart["visit"], "MedicationRequest:encounter", {"lisinopril"}),
            ("Practitioner", chart["doctor"], "MedicationRequest:requester",
             {"lisinopril", "amoxicillin", "albuterol"})):
        found = search(client, staff, type_, _id=id_, _revinclude=param)
        assert included(found) == {("MedicationRequest", chart[n]) for n in expected}, type_


# --- Medication -----------------------------------------------------------------------

def test_a_formulary_drug_is_a_us_core_medication(client, staff, chart):
    found = read(client, staff, "Medication", chart["lisinopril_drug"])
    assert INSTANT.match(found["meta"].pop("lastUpdated"))
    assert found == {
        "resourceType": "Medication",
        "id": chart["lisinopril_drug"],
        "meta": {"versionId": "1", "profile": [
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-medication"]},
        "code": {"coding": [{"system": RXNORM, "code": RXCUI,
                             "display": f"Lisinopril 10 mg tablet {TAG}"},
                            {"system": NDC, "code": f"{TAG[:5]}-01"}],
                 "text": f"Lisinopril 10 mg tablet {TAG}"},
        "status": "active",
        "form": {"text": "tablet"},
    }
    retired = read(client, staff, "Medication", chart["retired_drug"])
    assert retired["status"] == "inactive" and retired["form"] == {"text": "capsule"}


@pytest.mark.parametrize("code, expected", [
    ("{rxcui}", {"lisinopril_drug"}),
    ("{rxnorm}|{rxcui}", {"lisinopril_drug"}),
    ("{ndc}|{ndc_code}", {"lisinopril_drug"}),
    ("{ndc_code}", {"lisinopril_drug"}),
    ("{rxcui},{retired}", {"lisinopril_drug", "retired_drug"}),
    ("{ndc}|{rxcui}", set()),
    ("{cvx}|{rxcui}", set()),
])
def test_medication_code_search(client, staff, chart, code, expected):
    # The codes are this run's own (the parameters name them, so every worker collects
    # the same tests).
    code = code.format(rxcui=RXCUI, rxnorm=RXNORM, ndc=NDC, ndc_code=f"{TAG[:5]}-01",
                       retired=int(RXCUI) + 1, cvx=CVX)
    assert ids(search(client, staff, "Medication", code=code)) == {chart[n] for n in expected}


def test_medication_by_id(client, staff, chart):
    found = search(client, staff, "Medication", _id=chart["retired_drug"])
    assert ids(found) == {chart["retired_drug"]}


def test_the_statement_lists_the_three_types(client):
    statement = client.get(f"{FHIR}/metadata").json()
    listed = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert listed["MedicationRequest"]["searchInclude"] == [
        "MedicationRequest:patient", "MedicationRequest:encounter",
        "MedicationRequest:requester", "MedicationRequest:medication"]
    assert listed["Medication"]["searchRevInclude"] == [
        "MedicationDispense:medication", "MedicationRequest:medication", "Provenance:target"]
    assert {"Immunization:patient", "MedicationRequest:patient"} <= set(
        listed["Patient"]["searchRevInclude"])
    assert {p["name"]: p["type"] for p in listed["Immunization"]["searchParam"]} == {
        "_id": "token", "_lastUpdated": "date", "patient": "reference", "date": "date",
        "status": "token", "vaccine-code": "token"}
    for type_, profile in (("Immunization", "us-core-immunization"),
                           ("MedicationRequest", "us-core-medicationrequest"),
                           ("Medication", "us-core-medication")):
        assert listed[type_]["supportedProfile"] == [
            f"http://hl7.org/fhir/us/core/StructureDefinition/{profile}"]
        assert {i["code"] for i in listed[type_]["interaction"]} == {"read", "search-type"}


# --- who may see what -------------------------------------------------------------------

def test_a_patient_sees_only_their_own_immunizations_and_prescriptions(client, admin, app,
                                                                       chart):
    phil = client.get(f"{STANDARD}/patient", params={"fname": "Phil", "lname": "Belford"},
                      headers=admin).json()["data"][0]
    (own_shot,) = write(app, shot(phil["pid"], cvx_code="187"))
    own_script = created(client.post(f"{STANDARD}/prescription", headers=admin, json={
        "patient_id": phil["pid"], "provider_id": chart["doctor_id"],
        "drug": "Metformin 500 mg tablet", "rxnorm_drugcode": "861007"}))
    scopes = ("openid api:fhir patient/Immunization.rs patient/MedicationRequest.rs "
              "patient/Medication.rs")
    app_ = register_client(client, scope=f"{scopes} api:port")
    token = bearer(password_token(client, app_, role="patient", username="phil",
                                  password="phil", email="phil@example.com", scope=scopes))
    assert ids(search(client, token, "Immunization")) == {own_shot.uuid}
    assert ids(search(client, token, "MedicationRequest")) == {own_script}
    assert ids(search(client, token, "Immunization", patient=chart["puuid"])) == set()
    assert ids(search(client, token, "MedicationRequest", patient=chart["puuid"])) == set()
    for type_, id_ in (("Immunization", chart["covid"]),
                       ("MedicationRequest", chart["lisinopril"])):
        r = client.get(f"{FHIR}/{type_}/{id_}", headers=token)
        assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome"
    # The formulary is not patient data.
    assert read(client, token, "Medication", chart["lisinopril_drug"])["status"] == "active"


def test_a_missing_scope_is_403_and_so_is_a_role_without_the_medical_acl(client, app_client,
                                                                         chart):
    token = bearer(password_token(client, app_client, scope="openid api:fhir user/Patient.rs"))
    for type_ in ("Immunization", "MedicationRequest", "Medication"):
        r = client.get(f"{FHIR}/{type_}", headers=token)
        assert r.status_code == 403, type_
        assert f"user/{type_}.s" in r.json()["issue"][0]["diagnostics"]
    front = bearer(password_token(client, app_client, username="receptionist",
                                  password="receptionist", scope=(
                                      "openid api:fhir user/Immunization.rs "
                                      "user/MedicationRequest.rs user/Medication.rs")))
    for type_, id_ in (("Immunization", chart["covid"]),
                       ("MedicationRequest", chart["lisinopril"]),
                       ("Medication", chart["lisinopril_drug"])):
        assert client.get(f"{FHIR}/{type_}/{id_}", headers=front).status_code == 403, type_


def test_an_include_the_token_may_not_see_is_left_out(client, app_client, chart):
    token = bearer(password_token(client, app_client, scope=(
        "openid api:fhir user/MedicationRequest.rs")))
    found = search(client, token, "MedicationRequest", _id=chart["lisinopril"],
                   _include="MedicationRequest:medication")
    assert [e["search"]["mode"] for e in found["entry"]] == ["match", "outcome"]
