"""FHIR's orders and results family over OpenEMR's procedure tables: ServiceRequest (one per
procedure order), DiagnosticReport (one per laboratory report, its results the laboratory
Observations), Procedure (completed orders and surgeries) and Specimen. The rows are
written through the site's database: no API writes orders."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from emr_api.db.models import (
    Encounter,
    Issue,
    Patient,
    Practitioner,
    ProcedureOrder,
    ProcedureOrderCode,
    ProcedureProvider,
    ProcedureReport,
    ProcedureResult,
    ProcedureSpecimen,
    ProcedureType,
)
from tests.conftest import bearer, password_token, register_client
from tests.standard.read_only import write
from tests.fhir.helpers import ids, included

FHIR = "/apis/default/fhir"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
STATUS = "http://hl7.org/fhir/event-status"
PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/"
TYPES = "ServiceRequest DiagnosticReport Procedure Specimen"


def order_of(pid: int, **fields) -> ProcedureOrder:
    return ProcedureOrder(patient_id=pid, **fields)


@pytest.fixture(scope="module")
def chart(app) -> dict:
    """A patient with four orders: a complete laboratory order of two tests (reported, one
    final, one preliminary), a pending one, a canceled imaging order and a deleted one."""
    patient = write(app, Patient(fname="Ord", lname="Fhirorders", sex="Male",
                                 DOB=date(1968, 2, 3)))[0]
    doctor = write(app, Practitioner(fname="Olga", lname="Orderwell", npi="1999999984"))[0]
    visit = write(app, Encounter(pid=patient.pid, encounter=980001,
                                 date=datetime(2024, 3, 5, 7, 45), provider_id=doctor.id))[0]
    lab = write(app, ProcedureProvider(name="Orders Test Laboratory", npi="1999999992",
                                       type="laboratory"))[0]
    write(app, ProcedureType(name="Complete blood count", lab_id=lab.ppid,
                             procedure_code="CBC-ORD", procedure_type="ord",
                             standard_code="LOINC:58410-2", description="CBC"))
    done = write(app, order_of(
        patient.pid, provider_id=doctor.id, encounter_id=980001, lab_id=lab.ppid,
        date_ordered=datetime(2024, 3, 5, 8, 0), date_collected=datetime(2024, 3, 5, 8, 30),
        date_transmitted=datetime(2024, 3, 5, 8, 5), order_status="complete",
        order_priority="high", control_id="CTRL-77", order_diagnosis="ICD10:D64.9",
        patient_instructions="Nothing to eat after midnight."))[0]
    pending = write(app, order_of(
        patient.pid, provider_id=doctor.id, lab_id=lab.ppid,
        date_ordered=datetime(2024, 9, 10, 10, 0), order_status="pending"))[0]
    canceled = write(app, order_of(
        patient.pid, provider_id=doctor.id, date_ordered=datetime(2023, 1, 15, 11, 0),
        order_status="canceled", procedure_order_type="imaging"))[0]
    deleted = write(app, order_of(patient.pid, date_ordered=datetime(2024, 3, 1, 9, 0),
                                  order_status="complete", activity=False))[0]
    write(app,
          ProcedureOrderCode(procedure_order_id=done.procedure_order_id, procedure_order_seq=1,
                             procedure_code="CBC-ORD", procedure_name="CBC panel"),
          ProcedureOrderCode(procedure_order_id=done.procedure_order_id, procedure_order_seq=2,
                             procedure_code="51990-0", procedure_name="Basic metabolic panel"),
          ProcedureOrderCode(procedure_order_id=pending.procedure_order_id,
                             procedure_order_seq=1, procedure_code="4548-4",
                             procedure_name="Hemoglobin A1c"),
          ProcedureOrderCode(procedure_order_id=canceled.procedure_order_id,
                             procedure_order_seq=1, procedure_code="71045",
                             procedure_name="Chest X-ray, single view"),
          ProcedureOrderCode(procedure_order_id=deleted.procedure_order_id,
                             procedure_order_seq=1, procedure_code="4548-4",
                             procedure_name="Hemoglobin A1c"))
    cbc, bmp, gone = write(
        app,
        ProcedureReport(procedure_order_id=done.procedure_order_id, procedure_order_seq=1,
                        date_collected=datetime(2024, 3, 5, 8, 30),
                        date_report=datetime(2024, 3, 6, 12, 0), report_status="final",
                        specimen_num="ACC-1001", report_notes="Mild anemia."),
        ProcedureReport(procedure_order_id=done.procedure_order_id, procedure_order_seq=2,
                        date_collected=datetime(2024, 3, 5, 8, 30),
                        date_report=datetime(2024, 3, 7, 9, 0), report_status="prelim"),
        ProcedureReport(procedure_order_id=deleted.procedure_order_id, procedure_order_seq=1,
                        date_collected=datetime(2024, 3, 1, 9, 30), report_status="final"))
    hgb, wbc, glucose = write(
        app,
        ProcedureResult(procedure_report_id=cbc.procedure_report_id, result_data_type="N",
                        result_code="718-7", result_text="Hemoglobin", units="g/dL",
                        result="11.2", range="12-17.5", abnormal="low", result_status="final",
                        date=datetime(2024, 3, 5, 8, 30)),
        ProcedureResult(procedure_report_id=cbc.procedure_report_id, result_data_type="N",
                        result_code="6690-2", result_text="Leukocytes", units="10*3/uL",
                        result="7.1", range="4.5-11", abnormal="no", result_status="final",
                        date=datetime(2024, 3, 5, 8, 30)),
        ProcedureResult(procedure_report_id=bmp.procedure_report_id, result_data_type="N",
                        result_code="2345-7", result_text="Glucose", units="mg/dL",
                        result="92", range="70-99", abnormal="no", result_status="prelim",
                        date=datetime(2024, 3, 5, 8, 30)))
    appendectomy, knee = write(
        app,
        Issue(pid=patient.pid, type="surgery", title="Laparoscopic appendectomy",
              diagnosis="CPT4:44970", begdate=date(2019, 6, 1), enddate=date(2019, 6, 1),
              modifydate=datetime(2019, 6, 2, 10, 0)),
        Issue(pid=patient.pid, type="surgery", title="Knee arthroscopy",
              diagnosis="ICD10:M23.91", begdate=date(2021, 4, 10), enddate=date(2021, 4, 12),
              modifydate=datetime(2021, 4, 12, 16, 0), comments="Left knee."))
    blood, serum, dropped, orphan = write(
        app,
        ProcedureSpecimen(procedure_order_id=done.procedure_order_id, procedure_order_seq=1,
                          specimen_identifier="SP-1", accession_identifier="ACC-1001",
                          specimen_type_code="119297000", specimen_type="Blood specimen",
                          collection_method_code="28520004",
                          collection_method="Venipuncture for blood test",
                          specimen_location_code="368208006",
                          specimen_location="Left arm", volume_value=4, volume_unit="mL",
                          collected_date=datetime(2024, 3, 5, 8, 30),
                          condition_code="HEM", specimen_condition="Hemolyzed",
                          comments="Drawn left arm.",
                          date_updated=datetime(2024, 3, 5, 9, 0)),
        ProcedureSpecimen(procedure_order_id=done.procedure_order_id, procedure_order_seq=2,
                          accession_identifier="ACC-1002",
                          collection_date_low=datetime(2024, 3, 5, 8, 25),
                          collection_date_high=datetime(2024, 3, 5, 8, 40),
                          date_updated=datetime(2024, 3, 6, 9, 0)),
        ProcedureSpecimen(procedure_order_id=done.procedure_order_id, procedure_order_seq=1,
                          accession_identifier="ACC-1003", deleted=True,
                          date_updated=datetime(2024, 3, 6, 9, 0)),
        ProcedureSpecimen(procedure_order_id=deleted.procedure_order_id, procedure_order_seq=1,
                          accession_identifier="ACC-1004",
                          date_updated=datetime(2024, 3, 6, 9, 0)))
    return {"puuid": patient.uuid, "pid": patient.pid, "euuid": visit.uuid,
            "blood": blood.uuid, "serum": serum.uuid, "dropped": dropped.uuid,
            "orphan": orphan.uuid,
            "appendectomy": appendectomy.uuid, "knee": knee.uuid,
            "doctor": doctor.uuid, "done": done.uuid, "pending": pending.uuid,
            "canceled": canceled.uuid, "deleted": deleted.uuid, "cbc": cbc.uuid,
            "bmp": bmp.uuid, "gone": gone.uuid, "hgb": hgb.uuid, "wbc": wbc.uuid,
            "glucose": glucose.uuid, "lab": lab.ppid,
            "done_id": done.procedure_order_id}


@pytest.fixture(scope="module")
def staff(client, app_client) -> dict:
    scopes = " ".join(f"user/{t}.rs" for t in TYPES.split())
    return bearer(password_token(client, app_client, scope=(
        f"openid api:fhir user/Patient.rs user/Observation.rs {scopes}")))


def search(client, headers, type_: str, **params) -> dict:
    r = client.get(f"{FHIR}/{type_}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def read(client, headers, type_: str, id_: str) -> dict:
    r = client.get(f"{FHIR}/{type_}/{id_}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def every_page(client, headers, type_: str, **params) -> list[str]:
    """The ids of every page, following `next` to the end."""
    found = []
    body = search(client, headers, type_, **params)
    while True:
        found += [e["resource"]["id"] for e in body.get("entry", [])
                  if e["search"]["mode"] == "match"]
        following = [link["url"] for link in body["link"] if link["relation"] == "next"]
        if not following:
            return found
        query = parse_qs(urlsplit(following[0]).query)
        body = search(client, headers, type_, **{k: v[-1] for k, v in query.items()})


# ServiceRequest


def test_a_complete_lab_order_is_a_us_core_service_request(client, staff, chart):
    s = read(client, staff, "ServiceRequest", chart["done"])
    assert s["resourceType"] == "ServiceRequest" and s["id"] == chart["done"]
    assert s["meta"]["profile"] == [PROFILE + "us-core-servicerequest"]
    assert s["meta"]["lastUpdated"] == "2024-03-05T08:05:00Z"
    assert s["status"] == "completed" and s["intent"] == "order"
    assert s["priority"] == "urgent"
    assert s["category"] == [{"coding": [{"system": SNOMED, "code": "108252007",
                                          "display": "Laboratory procedure"}]}]
    # The first test, coded by the catalogue's standard code; every test named in the text.
    assert s["code"] == {"coding": [{"system": LOINC, "code": "58410-2",
                                     "display": "CBC panel"}],
                         "text": "CBC panel; Basic metabolic panel"}
    assert s["subject"] == {"reference": f"Patient/{chart['puuid']}"}
    assert s["encounter"] == {"reference": f"Encounter/{chart['euuid']}"}
    assert s["requester"] == {"reference": f"Practitioner/{chart['doctor']}"}
    assert s["authoredOn"] == "2024-03-05T08:00:00Z"
    assert s["occurrenceDateTime"] == "2024-03-05T08:30:00Z"
    assert s["identifier"][0]["value"] == "CTRL-77"
    assert s["reasonCode"] == [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm",
                                            "code": "D64.9"}]}]
    assert s["patientInstruction"] == "Nothing to eat after midnight."


def test_other_orders_map_their_status_category_and_code(client, staff, chart):
    pending = read(client, staff, "ServiceRequest", chart["pending"])
    assert pending["status"] == "active" and "encounter" not in pending
    assert pending["code"]["coding"] == [{"system": LOINC, "code": "4548-4",
                                          "display": "Hemoglobin A1c"}]
    assert pending["occurrenceDateTime"] == "2024-09-10T10:00:00Z"
    canceled = read(client, staff, "ServiceRequest", chart["canceled"])
    assert canceled["status"] == "revoked"
    assert canceled["category"][0]["coding"][0]["code"] == "363679005"
    assert canceled["code"] == {"text": "Chest X-ray, single view"}  # no code system known
    r = client.get(f"{FHIR}/ServiceRequest/{chart['deleted']}", headers=staff)
    assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome"


def test_service_requests_by_patient_and_us_core_combinations(client, staff, chart):
    p = chart["puuid"]
    every = {chart["done"], chart["pending"], chart["canceled"]}
    found = search(client, staff, "ServiceRequest", patient=p)
    assert ids(found) == every and found["total"] == 3
    assert ids(search(client, staff, "ServiceRequest", patient=f"Patient/{p}")) == every
    assert ids(search(client, staff, "ServiceRequest", _id=chart["done"])) == {chart["done"]}
    lab = {chart["done"], chart["pending"]}
    assert ids(search(client, staff, "ServiceRequest", patient=p,
                      category="108252007")) == lab
    assert ids(search(client, staff, "ServiceRequest", patient=p,
                      category=f"{SNOMED}|363679005")) == {chart["canceled"]}
    assert ids(search(client, staff, "ServiceRequest", patient=p,
                      category=f"{LOINC}|108252007")) == set()
    # code: the first test's, by its own code or the catalogue's LOINC, with or without
    # the system; the second test of an order is not its code.
    for code in ("58410-2", f"{LOINC}|58410-2", "CBC-ORD"):
        assert ids(search(client, staff, "ServiceRequest", patient=p, code=code)) == {
            chart["done"]}, code
    assert ids(search(client, staff, "ServiceRequest", patient=p, code="51990-0")) == set()
    assert ids(search(client, staff, "ServiceRequest", patient=p,
                      code=f"{SNOMED}|58410-2")) == set()
    assert ids(search(client, staff, "ServiceRequest", patient=p,
                      code="4548-4,58410-2")) == lab
    for status, expected in (("completed", {chart["done"]}), ("active", {chart["pending"]}),
                             ("revoked", {chart["canceled"]}),
                             ("active,revoked", {chart["pending"], chart["canceled"]})):
        assert ids(search(client, staff, "ServiceRequest", patient=p,
                          status=status)) == expected, status
    for authored, expected in (("ge2024-01-01", lab), ("lt2024", set()),
                               ("2024-03-05", {chart["done"]}),
                               ("gt2024-03-05T08:00:00Z", {chart["pending"]}),
                               ("le2024-03-05T08:00", {chart["done"]})):
        assert ids(search(client, staff, "ServiceRequest", patient=p, category="108252007",
                          authored=authored)) == expected, authored
    assert ids(search(client, staff, "ServiceRequest", patient=p,
                      authored="lt2024")) == {chart["canceled"]}
    assert ids(search(client, staff, "ServiceRequest", patient=p, code="4548-4",
                      authored="ge2024-09-10")) == {chart["pending"]}
    assert ids(search(client, staff, "ServiceRequest", patient=p, code="4548-4",
                      authored="lt2024-09-10")) == set()


def test_service_requests_page_to_the_end(client, staff, chart):
    found = every_page(client, staff, "ServiceRequest", patient=chart["puuid"], _count=1)
    assert sorted(found) == sorted([chart["done"], chart["pending"], chart["canceled"]])


def test_service_request_includes_and_revincludes(client, staff, chart):
    found = search(client, staff, "ServiceRequest", _id=chart["done"],
                   _include="ServiceRequest:patient",
                   _revinclude="DiagnosticReport:based-on")
    assert included(found) == {("Patient", chart["puuid"]), ("DiagnosticReport", chart["cbc"]),
                               ("DiagnosticReport", chart["bmp"])}
    r = client.get(f"{FHIR}/Patient", headers=staff, params={
        "_id": chart["puuid"], "_revinclude": "ServiceRequest:patient"})
    assert {i for k, i in included(r.json()) if k == "ServiceRequest"} == {
        chart["done"], chart["pending"], chart["canceled"]}


# DiagnosticReport


def test_a_lab_report_is_a_us_core_diagnostic_report(client, staff, chart):
    d = read(client, staff, "DiagnosticReport", chart["cbc"])
    assert d["resourceType"] == "DiagnosticReport" and d["id"] == chart["cbc"]
    assert d["meta"]["profile"] == [PROFILE + "us-core-diagnosticreport-lab"]
    assert d["meta"]["lastUpdated"] == "2024-03-06T12:00:00Z"
    assert d["status"] == "final"
    assert d["category"] == [{"coding": [{"system": V2_0074, "code": "LAB",
                                          "display": "Laboratory"}]}]
    assert d["code"]["coding"] == [{"system": LOINC, "code": "58410-2",
                                    "display": "CBC panel"}]
    assert d["subject"] == {"reference": f"Patient/{chart['puuid']}"}
    assert d["encounter"] == {"reference": f"Encounter/{chart['euuid']}"}
    assert d["effectiveDateTime"] == "2024-03-05T08:30:00Z"
    assert d["issued"] == "2024-03-06T12:00:00Z"
    assert d["performer"] == [{"display": "Orders Test Laboratory"}]
    assert d["basedOn"] == [{"reference": f"ServiceRequest/{chart['done']}"}]
    assert d["result"] == [
        {"reference": f"Observation/{chart['hgb']}", "display": "Hemoglobin"},
        {"reference": f"Observation/{chart['wbc']}", "display": "Leukocytes"}]
    assert d["identifier"][0]["value"] == "ACC-1001"
    assert d["conclusion"] == "Mild anemia."
    # The results it names are the Observations served.
    o = read(client, staff, "Observation", chart["hgb"])
    assert o["code"]["coding"][0]["code"] == "718-7"
    bmp = read(client, staff, "DiagnosticReport", chart["bmp"])
    assert bmp["status"] == "preliminary"
    assert bmp["code"]["coding"] == [{"system": LOINC, "code": "51990-0",
                                      "display": "Basic metabolic panel"}]
    assert [r["reference"] for r in bmp["result"]] == [f"Observation/{chart['glucose']}"]
    r = client.get(f"{FHIR}/DiagnosticReport/{chart['gone']}", headers=staff)
    assert r.status_code == 404  # its order was deleted


def test_diagnostic_reports_by_patient_and_us_core_combinations(client, staff, chart):
    p = chart["puuid"]
    both = {chart["cbc"], chart["bmp"]}
    found = search(client, staff, "DiagnosticReport", patient=p)
    assert ids(found) == both and found["total"] == 2
    assert ids(search(client, staff, "DiagnosticReport", _id=chart["bmp"])) == {chart["bmp"]}
    for category in ("LAB", f"{V2_0074}|LAB"):
        assert ids(search(client, staff, "DiagnosticReport", patient=p,
                          category=category)) == both
    assert ids(search(client, staff, "DiagnosticReport", patient=p,
                      category=f"{LOINC}|LP29684-5")) == set()
    for code, expected in (("58410-2", {chart["cbc"]}), (f"{LOINC}|51990-0", {chart["bmp"]}),
                           (f"{SNOMED}|51990-0", set())):
        assert ids(search(client, staff, "DiagnosticReport", patient=p,
                          code=code)) == expected, code
    for when, expected in (("2024-03-05", both), ("ge2024-03-06", set()),
                           ("lt2024-03-05T08:31:00Z", both), ("gt2024", set())):
        assert ids(search(client, staff, "DiagnosticReport", patient=p, category="LAB",
                          date=when)) == expected, when
    for status, expected in (("final", {chart["cbc"]}), ("preliminary", {chart["bmp"]}),
                             ("cancelled", set())):
        assert ids(search(client, staff, "DiagnosticReport", patient=p,
                          status=status)) == expected, status
    assert ids(search(client, staff, "DiagnosticReport",
                      result=f"Observation/{chart['glucose']}")) == {chart["bmp"]}
    assert ids(search(client, staff, "DiagnosticReport",
                      **{"based-on": chart["done"]})) == both


def test_diagnostic_reports_page_and_include_their_results(client, staff, chart):
    found = every_page(client, staff, "DiagnosticReport", patient=chart["puuid"], _count=1)
    assert sorted(found) == sorted([chart["cbc"], chart["bmp"]])
    body = search(client, staff, "DiagnosticReport", _id=chart["cbc"],
                  _include="DiagnosticReport:result,DiagnosticReport:based-on")
    assert included(body) == {("Observation", chart["hgb"]), ("Observation", chart["wbc"]),
                              ("ServiceRequest", chart["done"])}
    r = client.get(f"{FHIR}/Observation", headers=staff, params={
        "_id": chart["glucose"], "_revinclude": "DiagnosticReport:result"})
    assert included(r.json()) == {("DiagnosticReport", chart["bmp"])}


# Procedure


def test_a_surgery_is_a_us_core_procedure(client, staff, chart):
    p = read(client, staff, "Procedure", chart["appendectomy"])
    assert p["resourceType"] == "Procedure" and p["id"] == chart["appendectomy"]
    assert p["meta"]["profile"] == [PROFILE + "us-core-procedure"]
    assert p["meta"]["lastUpdated"] == "2019-06-02T10:00:00Z"
    assert p["status"] == "completed"
    assert p["code"] == {"coding": [{"system": "http://www.ama-assn.org/go/cpt",
                                     "code": "44970", "display": "Laparoscopic appendectomy"}],
                         "text": "Laparoscopic appendectomy"}
    assert p["subject"] == {"reference": f"Patient/{chart['puuid']}"}
    assert p["performedDateTime"] == "2019-06-01" and "reasonCode" not in p
    knee = read(client, staff, "Procedure", chart["knee"])
    assert knee["code"] == {"text": "Knee arthroscopy"}  # a diagnosis is not its code
    assert knee["reasonCode"] == [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm",
                                               "code": "M23.91"}]}]
    assert knee["performedPeriod"] == {"start": "2021-04-10", "end": "2021-04-12"}
    assert knee["note"] == [{"text": "Left knee."}]


def test_a_completed_order_is_a_procedure_based_on_its_request(client, staff, chart):
    p = read(client, staff, "Procedure", chart["done"])
    assert p["basedOn"] == [{"reference": f"ServiceRequest/{chart['done']}"}]
    assert p["status"] == "completed"
    assert p["code"]["coding"] == [{"system": LOINC, "code": "58410-2", "display": "CBC panel"}]
    assert p["encounter"] == {"reference": f"Encounter/{chart['euuid']}"}
    assert p["performedDateTime"] == "2024-03-05T08:30:00Z"
    assert p["performer"] == [{"actor": {"display": "Orders Test Laboratory"}},
                              {"actor": {"reference": f"Practitioner/{chart['doctor']}"}}]
    assert p["meta"]["lastUpdated"] == "2024-03-05T08:05:00Z"
    for other in ("pending", "canceled", "deleted"):  # not performed
        r = client.get(f"{FHIR}/Procedure/{chart[other]}", headers=staff)
        assert r.status_code == 404, other


def test_procedures_by_patient_and_us_core_combinations(client, staff, chart):
    p = chart["puuid"]
    every = {chart["appendectomy"], chart["knee"], chart["done"]}
    found = search(client, staff, "Procedure", patient=p)
    assert ids(found) == every and found["total"] == 3
    assert ids(search(client, staff, "Procedure", _id=chart["knee"])) == {chart["knee"]}
    assert ids(search(client, staff, "Procedure", patient=p, status="completed")) == every
    assert ids(search(client, staff, "Procedure", patient=p,
                      status=f"{STATUS}|completed")) == every
    assert ids(search(client, staff, "Procedure", patient=p, status="in-progress")) == set()
    for when, expected in (("2019-06-01", {chart["appendectomy"]}),
                           ("ge2021-01-01", {chart["knee"], chart["done"]}),
                           ("lt2021", {chart["appendectomy"]}),
                           ("2024-03", {chart["done"]}),
                           ("gt2024-03-05T08:00:00Z", {chart["done"]}),
                           ("le2021-04-10", {chart["appendectomy"], chart["knee"]}),
                           ("ne2019-06-01", {chart["knee"], chart["done"]})):
        assert ids(search(client, staff, "Procedure", patient=p, date=when)) == expected, when
    for code, expected in (("44970", {chart["appendectomy"]}),
                           ("http://www.ama-assn.org/go/cpt|44970", {chart["appendectomy"]}),
                           (f"{LOINC}|44970", set()), ("58410-2", {chart["done"]}),
                           (f"{LOINC}|58410-2", {chart["done"]}), ("M23.91", set())):
        assert ids(search(client, staff, "Procedure", patient=p, code=code)) == expected, code
    assert ids(search(client, staff, "Procedure", patient=p, code="44970,58410-2",
                      date="ge2019")) == {chart["appendectomy"], chart["done"]}
    assert ids(search(client, staff, "Procedure", patient=p, code="44970",
                      date="ge2020")) == set()
    assert chart["appendectomy"] in ids(search(client, staff, "Procedure", date="2019-06-01",
                                               _count=200))


def test_procedures_page_and_include_the_patient(client, staff, chart):
    found = every_page(client, staff, "Procedure", patient=chart["puuid"], _count=2)
    assert sorted(found) == sorted([chart["appendectomy"], chart["knee"], chart["done"]])
    body = search(client, staff, "Procedure", _id=chart["knee"], _include="Procedure:patient")
    assert included(body) == {("Patient", chart["puuid"])}
    r = client.get(f"{FHIR}/Patient", headers=staff, params={
        "_id": chart["puuid"], "_revinclude": "Procedure:patient"})
    assert {i for k, i in included(r.json()) if k == "Procedure"} == {
        chart["appendectomy"], chart["knee"], chart["done"]}


# Specimen


def test_a_specimen_is_a_us_core_specimen(client, staff, chart):
    sp = read(client, staff, "Specimen", chart["blood"])
    assert sp["resourceType"] == "Specimen" and sp["id"] == chart["blood"]
    assert sp["meta"] == {"versionId": "1", "lastUpdated": "2024-03-05T09:00:00Z",
                          "profile": [PROFILE + "us-core-specimen"]}
    assert sp["identifier"] == [{"value": "SP-1"}]
    assert sp["accessionIdentifier"] == {"value": "ACC-1001"}
    assert sp["type"] == {"coding": [{"system": SNOMED, "code": "119297000",
                                      "display": "Blood specimen"}], "text": "Blood specimen"}
    assert sp["subject"] == {"reference": f"Patient/{chart['puuid']}"}
    assert sp["request"] == [{"reference": f"ServiceRequest/{chart['done']}"}]
    assert sp["collection"] == {
        "collectedDateTime": "2024-03-05T08:30:00Z",
        "quantity": {"value": 4, "unit": "mL"},
        "method": {"coding": [{"system": SNOMED, "code": "28520004",
                               "display": "Venipuncture for blood test"}],
                   "text": "Venipuncture for blood test"},
        "bodySite": {"coding": [{"system": SNOMED, "code": "368208006",
                                 "display": "Left arm"}], "text": "Left arm"}}
    assert sp["condition"][0]["coding"][0]["code"] == "HEM"
    assert sp["note"] == [{"text": "Drawn left arm."}]
    serum = read(client, staff, "Specimen", chart["serum"])
    assert serum["type"] == {"extension": [{
        "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
        "valueCode": "unknown"}]}
    assert serum["collection"] == {"collectedPeriod": {"start": "2024-03-05T08:25:00Z",
                                                       "end": "2024-03-05T08:40:00Z"}}
    for gone in ("dropped", "orphan"):  # deleted, or of a deleted order
        assert client.get(f"{FHIR}/Specimen/{chart[gone]}", headers=staff).status_code == 404


def test_specimens_by_patient_and_other_parameters(client, staff, chart):
    p = chart["puuid"]
    both = {chart["blood"], chart["serum"]}
    found = search(client, staff, "Specimen", patient=p)
    assert ids(found) == both and found["total"] == 2
    assert ids(search(client, staff, "Specimen", _id=chart["serum"])) == {chart["serum"]}
    assert ids(search(client, staff, "Specimen", accession="ACC-1002")) == {chart["serum"]}
    assert ids(search(client, staff, "Specimen", accession="ACC-1003")) == set()
    for type_, expected in (("119297000", {chart["blood"]}),
                            (f"{SNOMED}|119297000", {chart["blood"]}),
                            (f"{LOINC}|119297000", set())):
        assert ids(search(client, staff, "Specimen", patient=p, type=type_)) == expected
    assert ids(search(client, staff, "Specimen", patient=p,
                      collected="2024-03-05")) == {chart["blood"]}
    assert ids(search(client, staff, "Specimen", patient=p, collected="lt2024")) == set()
    assert ids(search(client, staff, "Specimen", request=f"ServiceRequest/{chart['done']}"
                      )) == both
    assert ids(search(client, staff, "Specimen", patient=p,
                      _lastUpdated="ge2024-03-06")) == {chart["serum"]}
    assert ids(search(client, staff, "Specimen", patient=p,
                      _lastUpdated="lt2024-03-05T10:00:00Z")) == {chart["blood"]}


def test_specimens_page_and_include(client, staff, chart):
    found = every_page(client, staff, "Specimen", patient=chart["puuid"], _count=1)
    assert sorted(found) == sorted([chart["blood"], chart["serum"]])
    body = search(client, staff, "Specimen", _id=chart["blood"],
                  _include="Specimen:patient,Specimen:request")
    assert included(body) == {("Patient", chart["puuid"]), ("ServiceRequest", chart["done"])}
    body = search(client, staff, "ServiceRequest", _id=chart["done"],
                  _revinclude="Specimen:request")
    assert included(body) == {("Specimen", chart["blood"]), ("Specimen", chart["serum"])}
    r = client.get(f"{FHIR}/Patient", headers=staff, params={
        "_id": chart["puuid"], "_revinclude": "Specimen:patient"})
    assert {i for k, i in included(r.json()) if k == "Specimen"} == {
        chart["blood"], chart["serum"]}


# Access


@pytest.fixture(scope="module")
def phil(client, app, chart) -> dict:
    """The portal patient Phil, with one order and its report of his own, and a token of
    his for this family's types."""
    with app.registry.get("default").db.read() as s:
        found = s.execute(select(Patient.pid, Patient.uuid).where(
            Patient.fname == "Phil", Patient.lname == "Belford")).one()
    order = write(app, order_of(found.pid, date_ordered=datetime(2024, 6, 1, 9, 0),
                                date_collected=datetime(2024, 6, 1, 9, 20),
                                order_status="complete"))[0]
    write(app, ProcedureOrderCode(procedure_order_id=order.procedure_order_id,
                                  procedure_order_seq=1, procedure_code="4548-4",
                                  procedure_name="Hemoglobin A1c"))
    report = write(app, ProcedureReport(procedure_order_id=order.procedure_order_id,
                                        procedure_order_seq=1, report_status="final",
                                        date_collected=datetime(2024, 6, 1, 9, 20)))[0]
    specimen = write(app, ProcedureSpecimen(
        procedure_order_id=order.procedure_order_id, procedure_order_seq=1,
        accession_identifier="ACC-PHIL", specimen_type_code="119297000"))[0]
    scope = " ".join(f"patient/{t}.rs" for t in TYPES.split())
    token_app = register_client(client, scope=f"openid api:fhir api:port {scope}")
    token = bearer(password_token(client, token_app, role="patient", username="phil",
                                  password="phil", email="phil@example.com",
                                  scope=f"openid api:fhir {scope}"))
    return {"token": token, "puuid": found.uuid, "order": order.uuid,
            "report": report.uuid, "specimen": specimen.uuid}


@pytest.mark.parametrize("type_,own,theirs", [
    ("ServiceRequest", "order", "done"), ("DiagnosticReport", "report", "cbc"),
    ("Procedure", "order", "knee"), ("Specimen", "specimen", "blood")])
def test_a_patient_sees_only_their_own(client, chart, phil, type_, own, theirs):
    token = phil["token"]
    found = search(client, token, type_)
    assert phil[own] in ids(found)
    assert {e["resource"]["subject"]["reference"] for e in found["entry"]} == {
        f"Patient/{phil['puuid']}"}
    assert ids(search(client, token, type_, patient=chart["puuid"])) == set()
    assert client.get(f"{FHIR}/{type_}/{chart[theirs]}", headers=token).status_code == 404
    mine = read(client, token, type_, phil[own])
    assert mine["subject"] == {"reference": f"Patient/{phil['puuid']}"}


@pytest.mark.parametrize("type_,key", [("ServiceRequest", "done"),
                                       ("DiagnosticReport", "cbc"), ("Procedure", "knee"),
                                       ("Specimen", "blood")])
def test_a_token_without_the_scope_is_refused(client, app_client, chart, type_, key):
    token = bearer(password_token(client, app_client, scope="openid api:fhir user/Patient.rs"))
    assert client.get(f"{FHIR}/{type_}", headers=token).status_code == 403
    assert client.get(f"{FHIR}/{type_}/{chart[key]}", headers=token).status_code == 403


def test_the_demo_data_gives_every_type(tmp_path):
    """`emr-api demo`'s data holds rows of every type of the family, each a whole resource,
    and the specimens of a second run are not made twice."""
    from types import SimpleNamespace

    from emr_api.cli import demo, demo_orders
    from emr_api.db.engine import Database
    from emr_api.db.migrate import upgrade
    from emr_api.handlers.fhir import diagnostic_report, procedure, service_request, specimen
    from emr_api.services import search as engine

    db = Database(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    try:
        upgrade(db.engine)
        site = SimpleNamespace(db=db)
        made = demo.generate(site, 100, seed=5)
        assert made["procedure_specimens"] > 0
        assert demo_orders.demo_orders(site, seed=5) == {"procedure_specimens": 0}
        with db.read() as s:
            for module in (service_request, diagnostic_report, procedure, specimen):
                provider = module.PROVIDER
                rows = engine.run(s, engine.Query(
                    model=provider.model, where=list(provider.base),
                    order=[engine.SortKey(provider.id_column)], limit=1000, count=False)).rows
                resources = provider.represent(s, rows)
                assert resources, provider.type
                assert all(r["subject"]["reference"].startswith("Patient/") for r in resources)
            kinds = {r.kind for r in engine.run(s, engine.Query(
                model=procedure.ProcedureRow, where=[],
                order=[engine.SortKey(procedure.ProcedureRow.id)], limit=1000,
                count=False)).rows}
            assert kinds == {"surgery", "order"}
    finally:
        db.dispose()
