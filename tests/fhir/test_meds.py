"""FHIR Appointment, MedicationDispense, Questionnaire and QuestionnaireResponse: calendar
events, drug sales and questionnaires written through the site's database, patients and
practitioners through the Standard API; read and searched as FHIR resources; a patient
sees only their own."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from emr_api.cli.demo_meds import QUESTIONNAIRES, answers, questionnaire
from emr_api.db.models import (
    Appointment,
    Drug,
    DrugSale,
    Facility,
    Practitioner,
    QuestionnaireAnswers,
    QuestionnaireRecord,
    User,
)
from tests.conftest import bearer, password_token, register_client
from tests.fhir.helpers import ids, included, read, search, write

FHIR = "/apis/default/fhir"
STANDARD = "/apis/default/api"
TAG = uuid.uuid4().hex[:8]
APPOINTMENT_STATUS = "http://hl7.org/fhir/appointmentstatus"
V2_0276 = "http://terminology.hl7.org/CodeSystem/v2-0276"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
LOINC = "http://loinc.org"
DISPENSE_STATUS = "http://terminology.hl7.org/CodeSystem/medicationdispense-status"


def every_page(client, headers, type_, **params) -> list[str]:
    """The ids of every match, following the `next` links to the end."""
    found = []
    body = search(client, headers, type_, **params)
    while True:
        found += [e["resource"]["id"] for e in body.get("entry", [])
                  if e["search"]["mode"] == "match"]
        following = [link["url"] for link in body["link"] if link["relation"] == "next"]
        if not following:
            return found
        query = dict(parse_qsl(urlsplit(following[0]).query))
        r = client.get(f"{FHIR}/{type_}", params=query, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()


def visit(pid: int, catid: int, day: date, at: time, status: str, facility: int,
          doctor: int | None, **fields) -> Appointment:
    return Appointment(pc_pid=pid, pc_catid=catid, pc_aid=doctor, pc_eventDate=day,
                       pc_startTime=at, pc_endTime=at, pc_apptstatus=status,
                       pc_facility=facility, pc_billing_location=facility,
                       pc_title=fields.pop("pc_title", "Office Visit"),
                       pc_duration=fields.pop("pc_duration", 900),
                       pc_time=fields.pop("pc_time", datetime(2024, 1, 2, 9, 0)), **fields)


@pytest.fixture(scope="module")
def chart(client, admin, app) -> dict:
    """A patient with a doctor, a clinic and four appointments: one checked out, one
    cancelled, one no show, one booked (without a provider)."""
    r = client.post(f"{STANDARD}/patient", headers=admin, json={
        "fname": "Ines", "lname": f"Fhirmeds{TAG}", "sex": "Female", "DOB": "1971-05-06"})
    assert r.status_code == 201, r.text
    pid, puuid = r.json()["data"]["pid"], r.json()["data"]["uuid"]
    r = client.post(f"{STANDARD}/practitioner", headers=admin, json={
        "fname": "Omar", "lname": f"Fhirmeds{TAG}", "npi": "1003000142"})
    assert r.status_code == 201, r.text
    doctor = r.json()["data"]
    (clinic,) = write(app, Facility(name=f"Riverside Clinic {TAG}", city="Madison"))
    made = {"pid": pid, "puuid": puuid, "doctor": doctor["uuid"], "doctor_id": doctor["id"],
            "clinic": clinic.uuid, "clinic_id": clinic.id}
    seen, cancelled, missed, coming = write(
        app,
        visit(pid, 9, date(2024, 3, 4), time(9, 30), ">", clinic.id, doctor["id"],
              pc_title="Blood pressure check", pc_hometext="Bring home readings",
              pc_duration=1800, pc_time=datetime(2024, 2, 20, 8, 15)),
        visit(pid, 5, date(2024, 5, 6), time(14, 0), "x", clinic.id, doctor["id"]),
        visit(pid, 10, date(2024, 7, 8), time(10, 45), "?", clinic.id, doctor["id"],
              pc_time=datetime(2024, 6, 1, 12, 0)),
        visit(pid, 13, date(2030, 1, 9), time(11, 0), "-", clinic.id, None,
              pc_title="Annual physical", pc_time=datetime(2029, 12, 1, 10, 0)))
    made.update(seen=seen.uuid, cancelled=cancelled.uuid, missed=missed.uuid,
                coming=coming.uuid)
    made.update(dispenses(client, admin, app, made))
    made.update(questionnaires(app, made))
    return made


def questionnaires(app, made: dict) -> dict:
    """PHQ-2 (active), GAD-7 (retired) and a local form with no url or code; a PHQ-2
    entered by a nurse who is a practitioner in the visit, a GAD-7 the patient filled in
    (amended), and the local form left unfinished by a user who is no practitioner."""
    phq2, _, gad7 = QUESTIONNAIRES
    nurse_user, nurse, admin_user = write(
        app,
        User(username=f"nurse{TAG}", password_hash="-", acl_group="doc"),
        Practitioner(fname="Rita", lname=f"Nurse{TAG}", npi="1003000167",
                     username=f"nurse{TAG}"),
        User(username=f"clerk{TAG}", password_hash="-", acl_group="front"))
    local = {"resourceType": "Questionnaire", "id": "intake", "status": "draft",
             "item": [{"linkId": "1", "text": "What brings you in today?", "type": "string"}]}
    screen, anxiety, intake = write(
        app,
        QuestionnaireRecord(questionnaire_id="phq2", name=phq2[2], status="active",
                            source_url="http://loinc.org/q/55757-9", code="55757-9",
                            code_display=phq2[2], questionnaire=json.dumps(questionnaire(*phq2)),
                            modified_date=datetime(2023, 1, 5, 8, 0)),
        QuestionnaireRecord(questionnaire_id="gad7", name=gad7[2], status="retired",
                            active=False, source_url="http://loinc.org/q/69737-5",
                            code="69737-5", code_display=gad7[2],
                            questionnaire=json.dumps(questionnaire(*gad7)),
                            modified_date=datetime(2023, 2, 5, 8, 0)),
        QuestionnaireRecord(questionnaire_id="intake", name=f"Intake {TAG}",
                            questionnaire=json.dumps(local), version=3,
                            modified_date=datetime(2024, 8, 1, 12, 0)))
    number = made["encounter_number"]
    first, second, third = write(
        app,
        QuestionnaireAnswers(
            questionnaire_foreign_id=screen.id, patient_id=made["pid"], encounter=number,
            creator_user_id=nurse_user.id, create_time=datetime(2024, 3, 4, 9, 40),
            last_updated=datetime(2024, 3, 4, 9, 41), status="completed", form_score=4,
            questionnaire_response=json.dumps(answers(phq2[0], phq2[3], phq2[4], [1, 3]))),
        QuestionnaireAnswers(
            questionnaire_foreign_id=anxiety.id, patient_id=made["pid"],
            create_time=datetime(2024, 6, 1, 18, 0), last_updated=datetime(2024, 6, 2, 8, 0),
            status="amended",
            questionnaire_response=json.dumps(answers(gad7[0], gad7[3], gad7[4],
                                                      [0, 1, 0, 0, 1, 2, 0]))),
        QuestionnaireAnswers(
            questionnaire_foreign_id=intake.id, patient_id=made["pid"],
            creator_user_id=admin_user.id, create_time=datetime(2025, 1, 10, 10, 0),
            last_updated=datetime(2025, 1, 10, 10, 0), status="in-progress",
            questionnaire_response=json.dumps({"resourceType": "QuestionnaireResponse",
                                               "id": "old", "status": "completed",
                                               "item": []})))
    return {"phq2": screen.uuid, "gad7": anxiety.uuid, "intake": intake.uuid,
            "screen": first.uuid, "anxiety": second.uuid, "unfinished": third.uuid,
            "nurse": nurse.uuid}


def dispenses(client, admin, app, made: dict) -> dict:
    """A visit with a prescription of a formulary drug filled twice (the first fill by a
    pharmacist who is a practitioner, the refill by a clerk who is not), a sale of another
    drug without a prescription, and a return (not a dispense)."""
    r = client.post(f"{STANDARD}/patient/{made['puuid']}/encounter", headers=admin, json={
        "date": "2024-03-04 09:30:00", "class_code": "AMB", "pc_catid": 9,
        "reason": "blood pressure", "provider_id": made["doctor_id"]})
    assert r.status_code == 201, r.text
    encounter = r.json()["data"]
    pharmacist, lisinopril, cream = write(
        app,
        Practitioner(fname="Ada", lname=f"Pharm{TAG}", npi="1003000159",
                     username=f"pharm{TAG}"),
        Drug(name=f"Lisinopril 10 mg tablet {TAG}", drug_code="314076", form="2", size="10",
             unit="1", route="1"),
        Drug(name=f"Hydrocortisone 1% cream {TAG}", drug_code="106258", form="10"))
    r = client.post(f"{STANDARD}/prescription", headers=admin, json={
        "patient_id": made["pid"], "provider_id": made["doctor_id"],
        "drug": "Lisinopril 10 mg tablet", "drug_id": lisinopril.drug_id,
        "encounter": encounter["encounter"], "dosage": "1", "interval": "9",
        "quantity": "30", "refills": 3, "date_added": "2024-03-04 09:45:00",
        "drug_dosage_instructions": "Take 1 tablet by mouth once a day."})
    assert r.status_code == 201, r.text
    script = r.json()["data"]
    sale = {"pid": made["pid"], "trans_type": 1, "fee": 12.5}
    first, refill, other, back = write(
        app,
        DrugSale(drug_id=lisinopril.drug_id, prescription_id=script["id"],
                 encounter=encounter["encounter"], user=f"pharm{TAG}",
                 sale_date=date(2024, 3, 4), quantity=30, notes="Counselled on dizziness",
                 last_updated=datetime(2024, 3, 4, 10, 0), **sale),
        DrugSale(drug_id=lisinopril.drug_id, prescription_id=script["id"], user="clerk",
                 sale_date=date(2024, 4, 3), quantity=30,
                 last_updated=datetime(2024, 4, 3, 11, 0), **sale),
        DrugSale(drug_id=cream.drug_id, sale_date=date(2024, 5, 6), quantity=1,
                 last_updated=datetime(2024, 5, 6, 15, 0), **sale),
        DrugSale(drug_id=cream.drug_id, sale_date=date(2024, 5, 7), quantity=-1,
                 pid=made["pid"], trans_type=3, last_updated=datetime(2024, 5, 7, 9, 0)))
    return {"first": first.uuid, "refill": refill.uuid, "other": other.uuid,
            "back": back.uuid, "pharmacist": pharmacist.uuid, "script": script["uuid"],
            "script_id": script["id"], "lisinopril": lisinopril.uuid, "cream": cream.uuid,
            "encounter": encounter["euuid"], "encounter_number": encounter["encounter"]}


@pytest.fixture(scope="module")
def staff(client, app_client) -> dict:
    return bearer(password_token(client, app_client, scope=(
        "openid api:fhir user/Appointment.rs user/MedicationDispense.rs "
        "user/Questionnaire.rs user/QuestionnaireResponse.rs user/MedicationRequest.rs "
        "user/Medication.rs user/Patient.rs user/Encounter.rs user/Practitioner.rs "
        "user/Location.rs")))


# --- Appointment --------------------------------------------------------------------

def test_a_checked_out_visit_is_a_fulfilled_appointment(client, staff, chart):
    assert read(client, staff, "Appointment", chart["seen"]) == {
        "resourceType": "Appointment",
        "id": chart["seen"],
        "meta": {"versionId": "1", "lastUpdated": "2024-02-20T08:15:00Z"},
        "status": "fulfilled",
        "serviceCategory": [{"text": "Established Patient"}],
        "appointmentType": {"coding": [{
            "system": V2_0276, "code": "FOLLOWUP",
            "display": "A follow up visit from a previous appointment"}],
            "text": "Established Patient"},
        "description": "Blood pressure check",
        "start": "2024-03-04T09:30:00Z",
        "end": "2024-03-04T10:00:00Z",
        "minutesDuration": 30,
        "created": "2024-02-20T08:15:00Z",
        "comment": "Bring home readings",
        "participant": [
            {"actor": {"reference": f"Patient/{chart['puuid']}",
                       "display": f"Ines Fhirmeds{TAG}"},
             "required": "required", "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{chart['doctor']}",
                       "display": f"Omar Fhirmeds{TAG}"},
             "required": "required", "status": "accepted"},
            {"actor": {"reference": f"Location/{chart['clinic']}",
                       "display": f"Riverside Clinic {TAG}"},
             "required": "required", "status": "accepted"}],
    }


def test_statuses_and_categories_follow_openemr(client, staff, chart):
    cancelled = read(client, staff, "Appointment", chart["cancelled"])
    assert cancelled["status"] == "cancelled"
    assert cancelled["appointmentType"]["coding"][0]["code"] == "ROUTINE"
    assert cancelled["end"] == "2024-05-06T14:15:00Z" and cancelled["minutesDuration"] == 15
    assert "comment" not in cancelled
    assert read(client, staff, "Appointment", chart["missed"])["status"] == "noshow"
    coming = read(client, staff, "Appointment", chart["coming"])
    assert coming["status"] == "booked"
    assert coming["appointmentType"]["coding"][0]["code"] == "CHECKUP"
    # No provider: the patient and the facility take part.
    assert [p["actor"]["reference"].split("/")[0] for p in coming["participant"]] == [
        "Patient", "Location"]


@pytest.mark.parametrize("params, expected", [
    ({}, {"seen", "cancelled", "missed", "coming"}),
    ({"status": "fulfilled"}, {"seen"}),
    ({"status": f"{APPOINTMENT_STATUS}|cancelled,noshow"}, {"cancelled", "missed"}),
    ({"status": "booked"}, {"coming"}),
    ({"status": "arrived"}, set()),
    ({"status": "http://snomed.info/sct|booked"}, set()),
    ({"status": "proposed"}, set()),
    ({"date": "2024-05-06"}, {"cancelled"}),
    ({"date": "2024-03"}, {"seen"}),
    ({"date": "ge2024-05-06"}, {"cancelled", "missed", "coming"}),
    ({"date": "lt2024-05-06"}, {"seen"}),
    ({"date": "le2024-07-08"}, {"seen", "cancelled", "missed"}),
    ({"date": "gt2024"}, {"coming"}),
    ({"date": "ge2024-03-01", "status": "noshow"}, {"missed"}),
    ({"practitioner": "Practitioner/{doctor}"}, {"seen", "cancelled", "missed"}),
    ({"practitioner:missing": "true"}, {"coming"}),
    ({"location": "Location/{clinic}"}, {"seen", "cancelled", "missed", "coming"}),
    ({"location": "Practitioner/{clinic}"}, set()),
    ({"actor": "Practitioner/{doctor}"}, {"seen", "cancelled", "missed"}),
    ({"actor": "Location/{clinic}", "date": "2030"}, {"coming"}),
    ({"actor": "Patient/{puuid}", "status": "booked,fulfilled"}, {"seen", "coming"}),
    ({"_lastUpdated": "ge2024-06-01"}, {"missed", "coming"}),
    ({"_id": "{seen},{coming}"}, {"seen", "coming"}),
])
def test_appointment_searches_with_the_patient(client, staff, chart, params, expected):
    params = {k: v.format(**chart) for k, v in params.items()}
    found = search(client, staff, "Appointment", patient=chart["puuid"], **params)
    assert ids(found) == {chart[name] for name in expected}, params


def test_appointments_of_a_practitioner_or_a_place_without_the_patient(client, staff, chart):
    mine = {chart[n] for n in ("seen", "cancelled", "missed")}
    assert ids(search(client, staff, "Appointment", practitioner=chart["doctor"])) == mine
    assert ids(search(client, staff, "Appointment", actor=f"Location/{chart['clinic']}",
                      status="booked")) == {chart["coming"]}


def test_appointments_sort_by_date_and_page_to_the_end(client, staff, chart):
    found = search(client, staff, "Appointment", patient=chart["puuid"], _sort="-date")
    order = [chart[n] for n in ("coming", "missed", "cancelled", "seen")]
    assert [e["resource"]["id"] for e in found["entry"]] == order
    assert found["total"] == 4
    assert every_page(client, staff, "Appointment", patient=chart["puuid"], _sort="date",
                      _count="1") == order[::-1]


def test_an_appointment_includes_its_participants(client, staff, chart):
    found = search(client, staff, "Appointment", _id=chart["seen"], _include=[
        "Appointment:patient", "Appointment:practitioner", "Appointment:location"])
    assert ids(found) == {chart["seen"]}
    assert included(found) == {("Patient", chart["puuid"]),
                               ("Practitioner", chart["doctor"]),
                               ("Location", chart["clinic"])}
    actors = search(client, staff, "Appointment", _id=chart["coming"],
                    _include="Appointment:actor")
    assert included(actors) == {("Patient", chart["puuid"]), ("Location", chart["clinic"])}
    r = client.get(f"{FHIR}/Patient", headers=staff, params={
        "_id": chart["puuid"], "_revinclude": "Appointment:patient"})
    assert included(r.json()) == {("Appointment", chart[n])
                                  for n in ("seen", "cancelled", "missed", "coming")}
    found = search(client, staff, "Practitioner", _id=chart["doctor"],
                   _revinclude="Appointment:actor")
    assert included(found) == {("Appointment", chart[n])
                               for n in ("seen", "cancelled", "missed")}


def test_a_patient_sees_only_their_own_appointments(client, admin, app, chart):
    phil = client.get(f"{STANDARD}/patient", params={"fname": "Phil", "lname": "Belford"},
                      headers=admin).json()["data"][0]
    (own,) = write(app, visit(phil["pid"], 5, date(2025, 2, 3), time(8, 0), "@",
                              chart["clinic_id"], chart["doctor_id"]))
    scopes = "openid api:fhir patient/Appointment.rs"
    app_ = register_client(client, scope=f"{scopes} api:port")
    token = bearer(password_token(client, app_, role="patient", username="phil",
                                  password="phil", email="phil@example.com", scope=scopes))
    assert own.uuid in ids(search(client, token, "Appointment"))
    assert not ids(search(client, token, "Appointment")) & {
        chart[n] for n in ("seen", "cancelled", "missed", "coming")}
    assert ids(search(client, token, "Appointment", patient=chart["puuid"])) == set()
    arrived = search(client, token, "Appointment", status="arrived")
    assert own.uuid in ids(arrived)
    assert {e["resource"]["status"] for e in arrived["entry"]} == {"arrived"}
    r = client.get(f"{FHIR}/Appointment/{chart['seen']}", headers=token)
    assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome"
    assert read(client, token, "Appointment", own.uuid)["status"] == "arrived"


def test_appointments_need_their_scope(client, app_client, chart):
    token = bearer(password_token(client, app_client, scope="openid api:fhir user/Patient.rs"))
    r = client.get(f"{FHIR}/Appointment", headers=token)
    assert r.status_code == 403
    assert "user/Appointment.s" in r.json()["issue"][0]["diagnostics"]
    r = client.get(f"{FHIR}/Appointment/{chart['seen']}", headers=token)
    assert r.status_code == 403


# --- MedicationDispense -------------------------------------------------------------

def test_a_first_fill_is_a_us_core_medication_dispense(client, staff, chart):
    assert read(client, staff, "MedicationDispense", chart["first"]) == {
        "resourceType": "MedicationDispense",
        "id": chart["first"],
        "meta": {"versionId": "1", "lastUpdated": "2024-03-04T10:00:00Z", "profile": [
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationdispense"]},
        "status": "completed",
        "medicationReference": {"reference": f"Medication/{chart['lisinopril']}",
                                "display": f"Lisinopril 10 mg tablet {TAG}"},
        "subject": {"reference": f"Patient/{chart['puuid']}"},
        "context": {"reference": f"Encounter/{chart['encounter']}"},
        "performer": [{"actor": {"reference": f"Practitioner/{chart['pharmacist']}"}}],
        "authorizingPrescription": [{"reference": f"MedicationRequest/{chart['script']}"}],
        "type": {"coding": [{"system": ACT_CODE, "code": "FF", "display": "First Fill"}],
                 "text": "First Fill"},
        "quantity": {"value": 30, "unit": "tablet"},
        "whenHandedOver": "2024-03-04",
        "dosageInstruction": [{
            "text": "1 tablet by mouth once a day",
            "patientInstruction": "Take 1 tablet by mouth once a day.",
            "timing": {"repeat": {"boundsPeriod": {"start": "2024-03-04"}, "frequency": 1,
                                  "period": 1, "periodUnit": "d"},
                       "code": {"text": "q.d."}},
            "route": {"text": "By mouth"},
            "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}]}],
        "note": [{"text": "Counselled on dizziness"}],
    }


def test_a_refill_and_a_sale_without_a_prescription(client, staff, chart):
    refill = read(client, staff, "MedicationDispense", chart["refill"])
    assert refill["type"]["coding"][0]["code"] == "RF"
    # The clerk is no practitioner, and the refill was not sold in a visit.
    assert "performer" not in refill and "context" not in refill
    other = read(client, staff, "MedicationDispense", chart["other"])
    assert other["quantity"] == {"value": 1, "unit": "cream"}
    assert "type" not in other and "authorizingPrescription" not in other
    assert "dosageInstruction" not in other
    # A return is not a dispense.
    r = client.get(f"{FHIR}/MedicationDispense/{chart['back']}", headers=staff)
    assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("params, expected", [
    ({}, {"first", "refill", "other"}),
    ({"status": "completed"}, {"first", "refill", "other"}),
    ({"status": f"{DISPENSE_STATUS}|completed"}, {"first", "refill", "other"}),
    ({"status": "stopped"}, set()),
    ({"status": "http://loinc.org|completed"}, set()),
    ({"type": "FF"}, {"first"}),
    ({"type": f"{ACT_CODE}|RF"}, {"refill"}),
    ({"type": f"{ACT_CODE}|FF,RF"}, {"first", "refill"}),
    ({"type": f"{ACT_CODE}|"}, {"first", "refill"}),
    ({"type": "TF"}, set()),
    ({"type:missing": "true"}, {"other"}),
    ({"status": "completed", "type": "RF"}, {"refill"}),
    ({"whenhandedover": "2024-04-03"}, {"refill"}),
    ({"whenhandedover": "ge2024-04"}, {"refill", "other"}),
    ({"whenhandedover": "lt2024-04-03T12:00:00Z"}, {"first", "refill"}),
    ({"medication": "Medication/{cream}"}, {"other"}),
    ({"prescription": "MedicationRequest/{script}"}, {"first", "refill"}),
    ({"prescription": "Medication/{script}"}, set()),
    ({"_lastUpdated": "ge2024-04-03T11:00:00Z"}, {"refill", "other"}),
    ({"_id": "{first},{back}"}, {"first"}),
])
def test_medication_dispense_searches_with_the_patient(client, staff, chart, params,
                                                       expected):
    params = {k: v.format(**chart) for k, v in params.items()}
    found = search(client, staff, "MedicationDispense", patient=chart["puuid"], **params)
    assert ids(found) == {chart[name] for name in expected}, params


def test_medication_dispenses_sort_and_page_to_the_end(client, staff, chart):
    order = [chart[n] for n in ("first", "refill", "other")]
    assert every_page(client, staff, "MedicationDispense", patient=chart["puuid"],
                      _sort="whenhandedover", _count="2") == order
    found = search(client, staff, "MedicationDispense", patient=chart["puuid"],
                   _sort="-whenhandedover")
    assert [e["resource"]["id"] for e in found["entry"]] == order[::-1]


def test_a_medication_dispense_includes_what_it_refers_to(client, staff, chart):
    found = search(client, staff, "MedicationDispense", _id=chart["first"], _include=[
        "MedicationDispense:medication", "MedicationDispense:patient",
        "MedicationDispense:prescription"])
    assert ids(found) == {chart["first"]}
    assert included(found) == {("Medication", chart["lisinopril"]),
                               ("Patient", chart["puuid"]),
                               ("MedicationRequest", chart["script"])}
    for type_, id_, param, expected in (
            ("MedicationRequest", chart["script"], "MedicationDispense:prescription",
             {"first", "refill"}),
            ("Medication", chart["cream"], "MedicationDispense:medication", {"other"}),
            ("Patient", chart["puuid"], "MedicationDispense:patient",
             {"first", "refill", "other"})):
        found = search(client, staff, type_, _id=id_, _revinclude=param)
        assert included(found) == {("MedicationDispense", chart[n]) for n in expected}, type_


def test_a_patient_sees_only_their_own_dispenses(client, admin, app, chart):
    phil = client.get(f"{STANDARD}/patient", params={"fname": "Phil", "lname": "Belford"},
                      headers=admin).json()["data"][0]
    (own,) = write(app, DrugSale(drug_id=_drug_id(app, chart["cream"]), pid=phil["pid"],
                                 sale_date=date(2025, 1, 2), quantity=2, trans_type=1))
    scopes = "openid api:fhir patient/MedicationDispense.rs"
    app_ = register_client(client, scope=f"{scopes} api:port")
    token = bearer(password_token(client, app_, role="patient", username="phil",
                                  password="phil", email="phil@example.com", scope=scopes))
    mine = ids(search(client, token, "MedicationDispense"))
    assert own.uuid in mine and not mine & {chart[n] for n in ("first", "refill", "other")}
    assert ids(search(client, token, "MedicationDispense", patient=chart["puuid"])) == set()
    r = client.get(f"{FHIR}/MedicationDispense/{chart['first']}", headers=token)
    assert r.status_code == 404
    assert read(client, token, "MedicationDispense", own.uuid)["quantity"] == {
        "value": 2, "unit": "cream"}


def _drug_id(app, drug_uuid: str) -> int:
    with app.registry.get("default").db.read() as s:
        return s.execute(select(Drug.drug_id).where(Drug.uuid == drug_uuid)).scalar_one()


def test_dispenses_need_their_scope_and_the_medical_acl(client, app_client, chart):
    token = bearer(password_token(client, app_client, scope="openid api:fhir user/Patient.rs"))
    r = client.get(f"{FHIR}/MedicationDispense", headers=token)
    assert r.status_code == 403
    assert "user/MedicationDispense.s" in r.json()["issue"][0]["diagnostics"]
    front = bearer(password_token(client, app_client, username="receptionist",
                                  password="receptionist",
                                  scope="openid api:fhir user/MedicationDispense.rs"))
    r = client.get(f"{FHIR}/MedicationDispense/{chart['first']}", headers=front)
    assert r.status_code == 403


# --- Questionnaire and QuestionnaireResponse ----------------------------------------

def test_a_stored_questionnaire_is_served_under_our_id(client, staff, chart):
    found = read(client, staff, "Questionnaire", chart["phq2"])
    assert found["id"] == chart["phq2"]
    assert found["meta"] == {"versionId": "1", "lastUpdated": "2023-01-05T08:00:00Z"}
    assert (found["url"], found["name"], found["status"]) == (
        "http://loinc.org/q/55757-9", "PHQ2", "active")
    assert found["code"] == [{"system": LOINC, "code": "55757-9",
                              "display": "Patient Health Questionnaire-2 (PHQ-2)"}]
    assert [i["linkId"] for i in found["item"]] == ["44250-9", "44255-8", "55758-7"]
    assert found["item"][0]["answerOption"][3] == {"valueCoding": {
        "system": LOINC, "code": "LA6571-9", "display": "Nearly every day"}}
    retired = read(client, staff, "Questionnaire", chart["gad7"])
    assert retired["status"] == "retired" and len(retired["item"]) == 8
    # A form with no url, code or status of its own: its row's name and state.
    assert read(client, staff, "Questionnaire", chart["intake"]) == {
        "resourceType": "Questionnaire", "id": chart["intake"],
        "meta": {"versionId": "3", "lastUpdated": "2024-08-01T12:00:00Z"},
        "status": "active",
        "item": [{"linkId": "1", "text": "What brings you in today?", "type": "string"}],
        "title": f"Intake {TAG}",
    }


@pytest.mark.parametrize("params, expected", [
    ({"_id": "{phq2},{gad7}"}, {"phq2", "gad7"}),
    ({"name": f"Intake {TAG}"}, {"intake"}),
    ({"name:contains": "PHQ-2"}, {"phq2"}),
    ({"name:exact": "patient health questionnaire-2 (phq-2)"}, set()),
    ({"code": "69737-5"}, {"gad7"}),
    ({"code": f"{LOINC}|55757-9"}, {"phq2"}),
    ({"code": "http://snomed.info/sct|55757-9"}, set()),
    ({"url": "http://loinc.org/q/69737-5"}, {"gad7"}),
    ({"url": "http://loinc.org/q/69737-5|1.0"}, {"gad7"}),
    ({"url": "http://loinc.org/q/69737"}, set()),
    ({"status": "retired", "code": f"{LOINC}|"}, {"gad7"}),
    ({"status": "active", "code:missing": "false"}, {"phq2"}),
    ({"status": "active", "_lastUpdated": "ge2024"}, {"intake"}),
    ({"status": "draft"}, set()),
])
def test_questionnaire_searches(client, staff, chart, params, expected):
    params = {k: v.format(**chart) for k, v in params.items()}
    found = search(client, staff, "Questionnaire", **params)
    assert ids(found) == {chart[name] for name in expected}, params


def test_a_response_is_a_us_core_questionnaire_response(client, staff, chart):
    assert read(client, staff, "QuestionnaireResponse", chart["screen"]) == {
        "resourceType": "QuestionnaireResponse",
        "id": chart["screen"],
        "meta": {"versionId": "1", "lastUpdated": "2024-03-04T09:41:00Z", "profile": [
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-questionnaireresponse"]},
        "questionnaire": "http://loinc.org/q/55757-9",
        "status": "completed",
        "subject": {"reference": f"Patient/{chart['puuid']}"},
        "encounter": {"reference": f"Encounter/{chart['encounter']}"},
        "authored": "2024-03-04T09:40:00Z",
        "author": {"reference": f"Practitioner/{chart['nurse']}"},
        "item": [
            {"linkId": "44250-9", "text": "Little interest or pleasure in doing things",
             "answer": [{"valueCoding": {"system": LOINC, "code": "LA6569-3",
                                         "display": "Several days"}}]},
            {"linkId": "44255-8", "text": "Feeling down, depressed, or hopeless",
             "answer": [{"valueCoding": {"system": LOINC, "code": "LA6571-9",
                                         "display": "Nearly every day"}}]},
            {"linkId": "55758-7", "text": "Total score", "answer": [{"valueInteger": 4}]}],
    }


def test_who_answered_and_what_the_row_says_win(client, staff, chart):
    anxiety = read(client, staff, "QuestionnaireResponse", chart["anxiety"])
    # Filled in by the patient: they are its author and its source.
    assert anxiety["author"] == anxiety["source"] == {
        "reference": f"Patient/{chart['puuid']}"}
    assert anxiety["status"] == "amended" and anxiety["item"][-1]["answer"] == [
        {"valueInteger": 4}]
    unfinished = read(client, staff, "QuestionnaireResponse", chart["unfinished"])
    # The stored JSON's own id and status give way to the row's; a user who is no
    # practitioner is not named; a questionnaire with no url is ours.
    assert unfinished["id"] == chart["unfinished"] and unfinished["status"] == "in-progress"
    assert "author" not in unfinished and "encounter" not in unfinished
    assert unfinished["questionnaire"] == (
        f"https://localhost:9300/apis/default/fhir/Questionnaire/{chart['intake']}")


@pytest.mark.parametrize("params, expected", [
    ({}, {"screen", "anxiety", "unfinished"}),
    ({"status": "completed"}, {"screen"}),
    ({"status": "http://hl7.org/fhir/questionnaire-answers-status|amended,in-progress"},
     {"anxiety", "unfinished"}),
    ({"status": "stopped"}, set()),
    ({"status": "http://loinc.org|completed"}, set()),
    ({"questionnaire": "http://loinc.org/q/55757-9"}, {"screen"}),
    ({"questionnaire": "http://loinc.org/q/69737-5|2.0"}, {"anxiety"}),
    ({"questionnaire": "Questionnaire/{intake}"}, {"unfinished"}),
    ({"questionnaire": "{gad7},{intake}"}, {"anxiety", "unfinished"}),
    ({"questionnaire": "https://localhost:9300/apis/default/fhir/Questionnaire/{phq2}"},
     {"screen"}),
    ({"questionnaire": "http://loinc.org/q/44249-1"}, set()),
    ({"authored": "2024-03-04"}, {"screen"}),
    ({"authored": "ge2024-06-01T18:00:00Z"}, {"anxiety", "unfinished"}),
    ({"authored": "lt2024-06-01T20:00:00+02:00"}, {"screen"}),
    ({"authored": "sa2024-12-31"}, {"unfinished"}),
    ({"authored": "ge2024", "status": "completed,amended"}, {"screen", "anxiety"}),
    ({"_lastUpdated": "2024-06-02"}, {"anxiety"}),
])
def test_questionnaire_response_searches_with_the_patient(client, staff, chart, params,
                                                          expected):
    params = {k: v.format(**chart) for k, v in params.items()}
    found = search(client, staff, "QuestionnaireResponse", patient=chart["puuid"], **params)
    assert ids(found) == {chart[name] for name in expected}, params


def test_questionnaire_responses_sort_page_and_include(client, staff, chart):
    order = [chart[n] for n in ("screen", "anxiety", "unfinished")]
    assert every_page(client, staff, "QuestionnaireResponse", patient=chart["puuid"],
                      _sort="authored", _count="1") == order
    found = search(client, staff, "QuestionnaireResponse", patient=chart["puuid"],
                   _sort="-authored", _include="QuestionnaireResponse:patient")
    assert [e["resource"]["id"] for e in found["entry"]
            if e["search"]["mode"] == "match"] == order[::-1]
    assert included(found) == {("Patient", chart["puuid"])}
    r = client.get(f"{FHIR}/Patient", headers=staff, params={
        "_id": chart["puuid"], "_revinclude": "QuestionnaireResponse:patient"})
    assert included(r.json()) == {("QuestionnaireResponse", n) for n in order}


def test_a_patient_sees_every_questionnaire_and_only_their_own_responses(client, admin,
                                                                        app, chart):
    phil = client.get(f"{STANDARD}/patient", params={"fname": "Phil", "lname": "Belford"},
                      headers=admin).json()["data"][0]
    phq2 = QUESTIONNAIRES[0]
    (own,) = write(app, QuestionnaireAnswers(
        patient_id=phil["pid"], status="completed", create_time=datetime(2025, 3, 3, 9, 0),
        questionnaire_response=json.dumps(answers(phq2[0], phq2[3], phq2[4], [0, 0]))))
    scopes = "openid api:fhir patient/Questionnaire.rs patient/QuestionnaireResponse.rs"
    app_ = register_client(client, scope=f"{scopes} api:port")
    token = bearer(password_token(client, app_, role="patient", username="phil",
                                  password="phil", email="phil@example.com", scope=scopes))
    mine = ids(search(client, token, "QuestionnaireResponse"))
    assert own.uuid in mine
    assert not mine & {chart[n] for n in ("screen", "anxiety", "unfinished")}
    assert ids(search(client, token, "QuestionnaireResponse", patient=chart["puuid"])) == set()
    r = client.get(f"{FHIR}/QuestionnaireResponse/{chart['screen']}", headers=token)
    assert r.status_code == 404
    # No questionnaire row: the stored canonical stands.
    assert read(client, token, "QuestionnaireResponse", own.uuid)["questionnaire"] == (
        "http://loinc.org/q/55757-9")
    assert read(client, token, "Questionnaire", chart["phq2"])["name"] == "PHQ2"
    assert {chart["phq2"], chart["gad7"]} <= ids(search(client, token, "Questionnaire"))


def test_questionnaires_need_their_scopes_and_acls(client, app_client, chart):
    token = bearer(password_token(client, app_client, scope="openid api:fhir user/Patient.rs"))
    for type_ in ("Questionnaire", "QuestionnaireResponse"):
        r = client.get(f"{FHIR}/{type_}", headers=token)
        assert r.status_code == 403, type_
        assert f"user/{type_}.s" in r.json()["issue"][0]["diagnostics"]
    front = bearer(password_token(client, app_client, username="receptionist",
                                  password="receptionist", scope=(
                                      "openid api:fhir user/Questionnaire.rs "
                                      "user/QuestionnaireResponse.rs")))
    # The front office may see the forms, not the answers (the medical record).
    assert read(client, front, "Questionnaire", chart["phq2"])["status"] == "active"
    r = client.get(f"{FHIR}/QuestionnaireResponse/{chart['screen']}", headers=front)
    assert r.status_code == 403


# --- demo data ------------------------------------------------------------------------

def test_the_demo_gives_every_type_rows_to_find(tmp_path):
    """`emr-api demo`: dispenses (first fills and refills), the three screening
    questionnaires and answers to them, beside the appointments; a second run adds none."""
    from types import SimpleNamespace

    from emr_api.cli import demo, demo_meds
    from emr_api.db.engine import Database
    from emr_api.db.migrate import upgrade
    from emr_api.handlers.fhir import (
        appointment,
        medication_dispense,
        questionnaire as questionnaire_handler,
        questionnaire_response,
    )
    from emr_api.services import search as engine

    db = Database(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    site = SimpleNamespace(db=db)
    try:
        upgrade(db.engine)
        made = demo.generate(site, 30, seed=5)
        assert demo_meds.demo_meds(site, seed=5) == {
            "dispenses": 0, "questionnaires": 0, "questionnaire_responses": 0}
        with db.read() as s:
            def every(provider):
                rows = engine.run(s, engine.Query(
                    model=provider.model, where=list(provider.base),
                    order=[engine.SortKey(provider.id_column)], limit=10000)).rows
                return provider.represent(s, rows)
            appointments = every(appointment.PROVIDER)
            dispenses = every(medication_dispense.PROVIDER)
            forms = every(questionnaire_handler.PROVIDER)
            responses = every(questionnaire_response.PROVIDER)
    finally:
        db.dispose()
    assert made["dispenses"] == len(dispenses) > 0
    assert made["questionnaires"] == len(forms) == 3
    assert made["questionnaire_responses"] == len(responses) > 0
    assert len(appointments) == made["appointments"]
    assert {"booked", "fulfilled", "cancelled"} <= {a["status"] for a in appointments}
    assert {d["type"]["coding"][0]["code"] for d in dispenses} == {"FF", "RF"}
    assert all(d["medicationReference"] and d["authorizingPrescription"] for d in dispenses)
    assert {r["questionnaire"] for r in responses} <= {f["url"] for f in forms}
    for response in responses:
        total = response["item"][-1]
        if response["status"] == "completed":
            assert total["answer"][0]["valueInteger"] == sum(
                ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"].index(
                    i["answer"][0]["valueCoding"]["code"]) for i in response["item"][:-1])
