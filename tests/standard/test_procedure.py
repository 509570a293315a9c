"""/procedure and /procedure/{uuid} (OpenEMR's procedure orders, read only): one row per
order with the uuids of its patient, encounter and ordering provider, and each test with
its standard code from the laboratory's catalogue, its reports and their results; orders
without reports or tests; paging and sort; unknown and malformed uuids; scopes, the
patients/med ACL and the audit row. The API cannot write orders, so the tests write their
rows through the site's database."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from emr_api.db.models import (
    Encounter,
    Patient,
    Practitioner,
    ProcedureOrder,
    ProcedureOrderCode,
    ProcedureProvider,
    ProcedureReport,
    ProcedureResult,
    ProcedureType,
)
from tests.standard import read_only
from tests.standard.read_only import write
from tests.standard.answers import invalid, not_found

API = "/apis/default/api"


@pytest.fixture(scope="module")
def lab(app) -> ProcedureProvider:
    lab = write(app, ProcedureProvider(name="Test Reference Lab", npi="1234567893"))[0]
    write(app, ProcedureType(name="Hemoglobin A1c", lab_id=lab.ppid, procedure_code="A1C",
                             procedure_type="ord", standard_code="LOINC:4548-4"),
          ProcedureType(name="Hemoglobin A1c", lab_id=lab.ppid, procedure_code="A1C",
                        procedure_type="ord", standard_code="LOINC:17856-6"),
          ProcedureType(name="Lipid panel", lab_id=lab.ppid, procedure_code="LIPID",
                        procedure_type="ord", standard_code="LOINC:24331-1"),
          ProcedureType(name="HDL", lab_id=lab.ppid, procedure_code="LIPID",
                        procedure_type="res", standard_code="LOINC:2085-9"))
    return lab


@pytest.fixture(scope="module")
def doctor(app) -> Practitioner:
    return write(app, Practitioner(fname="Lee", lname="Chen", npi="1666777888"))[0]


def make_patient(app, lname: str) -> Patient:
    return write(app, Patient(fname="Otto", lname=lname, sex="Male", DOB=date(1958, 2, 3)))[0]


@pytest.fixture()
def mine(app) -> Patient:
    return make_patient(app, "Ordered")


@pytest.fixture()
def theirs(app) -> Patient:
    return make_patient(app, "Other")


def order_for(app, patient: Patient, **overrides) -> ProcedureOrder:
    fields = dict(patient_id=patient.pid, date_ordered=datetime(2024, 3, 4, 9, 15),
                  order_status="pending", order_priority="normal")
    fields.update(overrides)
    return write(app, ProcedureOrder(**fields))[0]


@pytest.fixture()
def complete(app, mine, lab, doctor) -> dict:
    """An order of two tests in an encounter: a report with two results on the first, a
    report with none on the second."""
    visit = write(app, Encounter(pid=mine.pid, encounter=900001 + mine.pid,
                                 date=datetime(2024, 3, 4, 9)))[0]
    order = order_for(app, mine, provider_id=doctor.id, encounter_id=visit.encounter,
                      lab_id=lab.ppid, date_collected=datetime(2024, 3, 4, 9, 40),
                      order_status="complete", order_priority="high",
                      patient_instructions="Fast for 12 hours.", control_id="778899",
                      specimen_type="SER", specimen_fasting="YES",
                      date_transmitted=datetime(2024, 3, 4, 9, 20),
                      order_diagnosis="ICD10:E11.9;ICD10:E78.5")
    a1c, lipid = write(app, ProcedureOrderCode(
        procedure_order_id=order.procedure_order_id, procedure_order_seq=1,
        procedure_code="A1C", procedure_name="Hemoglobin A1c", diagnoses="ICD10:E11.9",
        procedure_order_title="Hemoglobin A1c", procedure_type="laboratory_test"),
        ProcedureOrderCode(procedure_order_id=order.procedure_order_id, procedure_order_seq=2,
                           procedure_code="LIPID", procedure_name="Lipid panel"))
    report = write(app, ProcedureReport(
        procedure_order_id=order.procedure_order_id, procedure_order_seq=1,
        date_collected=datetime(2024, 3, 4, 9, 40), date_report=datetime(2024, 3, 5, 8, 0),
        specimen_num="SRL1234567", report_status="final", review_status="reviewed",
        report_notes="Hemolyzed slightly"))[0]
    empty = write(app, ProcedureReport(procedure_order_id=order.procedure_order_id,
                                       procedure_order_seq=2, report_status="prelim"))[0]
    first, second = write(app, ProcedureResult(
        procedure_report_id=report.procedure_report_id, result_data_type="N",
        result_code="4548-4", result_text="Hemoglobin A1c/Hemoglobin.total in Blood",
        date=datetime(2024, 3, 4, 9, 40), facility="Test Reference Lab", units="%",
        result="7.2", range="4.0-5.6", abnormal="high", result_status="final"),
        ProcedureResult(procedure_report_id=report.procedure_report_id, result_code="4548-4",
                        result="7.1", result_status="corrected", comments="Re-run"))
    return {"order": order, "visit": visit, "codes": (a1c, lipid), "report": report,
            "empty": empty, "results": (first, second)}


def read(client, headers, puuid: str) -> dict:
    r = client.get(f"{API}/procedure/{puuid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def everything(client, headers, **params) -> list[dict]:
    r = client.get(f"{API}/procedure", params={"_limit": 200, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


# --- one order ------------------------------------------------------------------------

def test_one_order_with_its_tests_reports_and_results(client, admin, mine, lab, doctor,
                                                      complete):
    order, report, empty = complete["order"], complete["report"], complete["empty"]
    first, second = complete["results"]
    assert read(client, admin, order.uuid) == {
        "procedure_order_id": order.procedure_order_id, "uuid": order.uuid,
        "provider_id": doctor.id, "patient_id": mine.pid,
        "encounter_id": complete["visit"].encounter,
        "date_collected": "2024-03-04 09:40:00", "date_ordered": "2024-03-04 09:15:00",
        "order_priority": "high", "order_status": "complete",
        "patient_instructions": "Fast for 12 hours.", "activity": 1, "control_id": "778899",
        "lab_id": lab.ppid, "specimen_type": "SER", "specimen_location": "",
        "specimen_volume": "", "specimen_fasting": "YES",
        "date_transmitted": "2024-03-04 09:20:00", "clinical_hx": "", "external_id": None,
        "history_order": "0", "procedure_order_type": "laboratory_test",
        "order_intent": "order", "scheduled_date": None,
        "order_diagnosis": [["ICD10", "E11.9"], ["ICD10", "E78.5"]],
        "puuid": mine.uuid, "euuid": complete["visit"].uuid, "pruuid": doctor.uuid,
        "codes": [
            {"procedure_order_seq": 1, "procedure_code": "A1C",
             "procedure_name": "Hemoglobin A1c", "procedure_source": "1",
             "procedure_order_title": "Hemoglobin A1c", "procedure_type": "laboratory_test",
             "standard_code": "LOINC:4548-4", "do_not_send": 0,
             "diagnoses": [["ICD10", "E11.9"]],
             "reports": [{
                 "procedure_report_id": report.procedure_report_id, "uuid": report.uuid,
                 "date_collected": "2024-03-04 09:40:00", "date_collected_tz": "",
                 "date_report": "2024-03-05 08:00:00", "date_report_tz": "", "source": None,
                 "specimen_num": "SRL1234567", "report_status": "final",
                 "review_status": "reviewed", "report_notes": "Hemolyzed slightly",
                 "results": [
                     {"procedure_result_id": first.procedure_result_id, "uuid": first.uuid,
                      "result_data_type": "N", "result_code": "4548-4",
                      "result_text": "Hemoglobin A1c/Hemoglobin.total in Blood",
                      "date": "2024-03-04 09:40:00", "facility": "Test Reference Lab",
                      "units": "%", "result": "7.2", "range": "4.0-5.6", "abnormal": "high",
                      "comments": None, "document_id": None, "result_status": "final",
                      "date_end": None},
                     {"procedure_result_id": second.procedure_result_id, "uuid": second.uuid,
                      "result_data_type": "S", "result_code": "4548-4", "result_text": "",
                      "date": None, "facility": "", "units": "", "result": "7.1", "range": "",
                      "abnormal": "", "comments": "Re-run", "document_id": None,
                      "result_status": "corrected", "date_end": None},
                 ]}]},
            {"procedure_order_seq": 2, "procedure_code": "LIPID",
             "procedure_name": "Lipid panel", "procedure_source": "1",
             "procedure_order_title": None, "procedure_type": None,
             "standard_code": "LOINC:24331-1", "do_not_send": 0, "diagnoses": [],
             "reports": [{
                 "procedure_report_id": empty.procedure_report_id, "uuid": empty.uuid,
                 "date_collected": None, "date_collected_tz": "", "date_report": None,
                 "date_report_tz": "", "source": None, "specimen_num": "",
                 "report_status": "prelim", "review_status": "received", "report_notes": None,
                 "results": []}]},
        ],
    }


def test_an_order_without_tests_encounter_provider_or_lab(client, app, admin, mine):
    order = order_for(app, mine)
    data = read(client, admin, order.uuid)
    assert data["codes"] == [] and data["order_diagnosis"] == []
    assert (data["puuid"], data["euuid"], data["pruuid"], data["lab_id"]) == (
        mine.uuid, None, None, None)


def test_a_pending_test_has_no_reports_and_another_labs_code_no_standard_code(
        client, app, admin, mine, lab):
    other_lab = write(app, ProcedureProvider(name="Other Lab"))[0]
    order = order_for(app, mine, lab_id=other_lab.ppid)
    write(app, ProcedureOrderCode(procedure_order_id=order.procedure_order_id,
                                  procedure_order_seq=1, procedure_code="A1C",
                                  procedure_name="Hemoglobin A1c", do_not_send=True))
    (test,) = read(client, admin, order.uuid)["codes"]
    assert (test["reports"], test["standard_code"], test["do_not_send"]) == ([], None, 1)


def test_an_encounter_of_another_patient_with_the_same_number_is_not_named(
        client, app, admin, mine, theirs):
    their_visit = write(app, Encounter(pid=theirs.pid, encounter=800001 + theirs.pid,
                                       date=datetime(2024, 1, 1)))[0]
    order = order_for(app, mine, encounter_id=their_visit.encounter)
    assert read(client, admin, order.uuid)["euuid"] is None


def test_unknown_and_malformed_uuids(client, admin):
    missing = str(uuid.uuid4())
    r = client.get(f"{API}/procedure/{missing}", headers=admin)
    not_found(r, "uuid")
    assert missing in r.json()["internalErrors"][0]
    invalid(client.get(f"{API}/procedure/not-a-uuid", headers=admin), "uuid")


# --- the list -------------------------------------------------------------------------

def test_the_list_holds_one_row_per_order_in_id_order(client, app, admin, mine, theirs,
                                                      complete):
    mine_later = order_for(app, mine, date_ordered=datetime(2020, 1, 1))
    their = order_for(app, theirs)
    rows = everything(client, admin)
    ids = [r["uuid"] for r in rows]
    wanted = [complete["order"].uuid, mine_later.uuid, their.uuid]
    assert [u for u in ids if u in wanted] == wanted
    assert len(ids) == len(set(ids))
    shown = next(r for r in rows if r["uuid"] == complete["order"].uuid)
    assert shown == read(client, admin, complete["order"].uuid)
    assert next(r for r in rows if r["uuid"] == their.uuid)["puuid"] == theirs.uuid


def test_the_list_sorts_and_pages(client, app, admin, mine):
    made = [order_for(app, mine, date_ordered=datetime(2030 - i, 1, 1)) for i in range(3)]
    rows = everything(client, admin, _sort="date_ordered,procedure_order_id")
    ours = [r["uuid"] for r in rows if r["uuid"] in {o.uuid for o in made}]
    assert ours == [o.uuid for o in reversed(made)]
    first = client.get(f"{API}/procedure", params={"_limit": 1, "_sort": "-procedure_order_id"},
                       headers=admin).json()
    assert first["data"][0]["uuid"] == made[-1].uuid
    nxt = parse_qs(urlsplit(first["links"]["next"]).query)
    assert nxt == {"_sort": ["-procedure_order_id"], "_limit": ["1"], "_offset": ["1"]}
    second = client.get(f"{API}/procedure", params={k: v[0] for k, v in nxt.items()},
                        headers=admin).json()
    assert second["data"][0]["uuid"] == made[-2].uuid


@pytest.mark.parametrize("params, field", [
    ({"_sort": "patient_id"}, "_sort"),
    ({"_limit": 500}, "_limit"),
    ({"_offset": -1}, "_offset"),
    ({"patient_id": "1"}, "patient_id"),
])
def test_bad_list_parameters_are_400(client, admin, params, field):
    invalid(client.get(f"{API}/procedure", params=params, headers=admin), field)


# --- scopes, ACL, audit ---------------------------------------------------------------

@pytest.fixture()
def urls(app, mine) -> tuple[str, str]:
    """The list, and one of `mine`'s orders."""
    order = order_for(app, mine)
    return f"{API}/procedure", f"{API}/procedure/{order.uuid}"


def test_no_token_is_401(client, urls):
    read_only.needs_a_token(client, *urls)


def test_each_operation_needs_its_scope(client, app_client, urls):
    read_only.needs_its_scope(client, app_client, "procedure", *urls)


def test_front_office_lacks_patients_med(client, front_office, urls):
    read_only.needs_patients_med(client, front_office, *urls)


def test_the_audit_row_names_the_patient_read(client, app, admin, mine, urls):
    read_only.audit_names_the_patient(client, app, admin, urls[1], mine.uuid)
