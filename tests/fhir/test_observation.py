"""FHIR Observation over two tables: a vitals form (form_vitals) fans out into one US Core
vital-sign Observation per measurement, each with a stable id `<form uuid>-<measure>`, and
laboratory results (procedure_result) are US Core Laboratory Result Observations. Searched
together and apart, paged by keyset across both; a patient sees only their own. The rows are
written through the site's database (no API writes laboratory results, and a vitals form
written through the Standard API cannot choose its date)."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from emr_api.db.models import (
    Encounter,
    EncounterForm,
    Patient,
    ProcedureOrder,
    ProcedureReport,
    ProcedureResult,
    Vital,
)
from tests.conftest import bearer, password_token, register_client
from tests.standard.read_only import write
from tests.fhir.helpers import ids

FHIR = "/apis/default/fhir"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/"


def chart_of(app, lname: str, number: int) -> dict:
    """A patient with an encounter, two vitals forms (one full, one with only a weight and
    a systolic pressure) and a lab order of three results (high, normal, text)."""
    patient = write(app, Patient(fname="Obs", lname=lname, sex="Female",
                                 DOB=date(1975, 4, 5)))[0]
    visit = write(app, Encounter(pid=patient.pid, encounter=number,
                                 date=datetime(2024, 2, 1, 9, 0)))[0]
    full = Vital(pid=patient.pid, date=datetime(2024, 2, 1, 9, 10), bps="128", bpd="82",
                 weight=180.5, height=68, BMI=27.4, temperature=98.6, pulse=72,
                 respiration=16, oxygen_saturation=97, oxygen_flow_rate=2,
                 last_updated=datetime(2024, 2, 1, 9, 15))
    partial = Vital(pid=patient.pid, date=datetime(2024, 8, 20, 14, 0), bps="141",
                    weight=178, last_updated=datetime(2024, 8, 20, 14, 5))
    write(app, full, partial)
    write(app, EncounterForm(date=full.date, encounter=number, form_name="Vitals",
                             form_id=full.id, pid=patient.pid, formdir="vitals"))
    order = write(app, ProcedureOrder(patient_id=patient.pid, encounter_id=number,
                                      date_ordered=datetime(2024, 3, 5, 8, 0),
                                      date_collected=datetime(2024, 3, 5, 8, 30),
                                      order_status="complete"))[0]
    report = write(app, ProcedureReport(procedure_order_id=order.procedure_order_id,
                                        date_collected=datetime(2024, 3, 5, 8, 30),
                                        date_report=datetime(2024, 3, 6, 12, 0),
                                        report_status="final"))[0]
    glucose, hdl, culture = write(
        app,
        ProcedureResult(procedure_report_id=report.procedure_report_id, result_data_type="N",
                        result_code="2345-7", result_text="Glucose", units="mg/dL",
                        result="130", range="70-99", abnormal="high", result_status="final",
                        date=datetime(2024, 3, 5, 8, 30)),
        ProcedureResult(procedure_report_id=report.procedure_report_id, result_data_type="N",
                        result_code="2085-9", result_text="HDL", units="mg/dL", result="55",
                        range=">=40", abnormal="no", result_status="prelim",
                        date=datetime(2024, 3, 5, 8, 30)),
        ProcedureResult(procedure_report_id=report.procedure_report_id, result_data_type="S",
                        result_code="630-4", result_text="Urine culture",
                        result="No growth", result_status="final",
                        date=datetime(2024, 3, 5, 8, 30)))
    return {"puuid": patient.uuid, "pid": patient.pid, "euuid": visit.uuid,
            "full": full.uuid, "partial": partial.uuid, "glucose": glucose.uuid,
            "hdl": hdl.uuid, "culture": culture.uuid}


@pytest.fixture(scope="module")
def chart(app) -> dict:
    return chart_of(app, "Fhirobservation", 970001)


@pytest.fixture(scope="module")
def staff(client, app_client) -> dict:
    return bearer(password_token(client, app_client, scope=(
        "openid api:fhir user/Observation.rs user/Patient.rs")))


def search(client, headers, **params) -> dict:
    r = client.get(f"{FHIR}/Observation", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def read(client, headers, id_: str) -> dict:
    r = client.get(f"{FHIR}/Observation/{id_}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


VITAL_IDS = {"bp", "weight", "height", "bmi", "temp", "pulse", "resp", "spo2"}


def vitals(chart, *kinds, form="full") -> set[str]:
    return {f"{chart[form]}-{k}" for k in kinds}


def test_a_vitals_form_is_one_observation_per_measurement(client, staff, chart):
    found = search(client, staff, patient=chart["puuid"], category="vital-signs")
    assert ids(found) == vitals(chart, *VITAL_IDS) | vitals(chart, "bp", "weight",
                                                            form="partial")
    assert found["total"] == 10


def test_a_body_weight_is_a_us_core_body_weight(client, staff, chart):
    o = read(client, staff, f"{chart['full']}-weight")
    assert o["resourceType"] == "Observation" and o["id"] == f"{chart['full']}-weight"
    assert o["meta"]["profile"] == [PROFILE + "us-core-body-weight"]
    assert o["meta"]["lastUpdated"] == "2024-02-01T09:15:00Z"
    assert o["status"] == "final"
    assert o["category"] == [{"coding": [{"system": CATEGORY, "code": "vital-signs",
                                          "display": "Vital Signs"}]}]
    assert o["code"]["coding"] == [{"system": LOINC, "code": "29463-7",
                                    "display": "Body weight"}]
    assert o["subject"] == {"reference": f"Patient/{chart['puuid']}"}
    assert o["encounter"] == {"reference": f"Encounter/{chart['euuid']}"}
    assert o["effectiveDateTime"] == "2024-02-01T09:10:00Z"
    assert o["valueQuantity"] == {"value": 180.5, "unit": "lb", "system": UCUM,
                                  "code": "[lb_av]"}


def test_blood_pressure_has_its_two_components(client, staff, chart):
    o = read(client, staff, f"{chart['full']}-bp")
    assert o["meta"]["profile"] == [PROFILE + "us-core-blood-pressure"]
    assert o["code"]["coding"][0]["code"] == "85354-9" and "valueQuantity" not in o
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]) for c in o["component"]] == [
        ("8480-6", {"value": 128, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}),
        ("8462-4", {"value": 82, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"})]
    half = read(client, staff, f"{chart['partial']}-bp")
    assert half["component"][0]["valueQuantity"]["value"] == 141
    assert half["component"][1]["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert "encounter" not in half  # no `forms` link to an encounter


@pytest.mark.parametrize("kind, code, unit, value", [
    ("height", "8302-2", "[in_i]", 68), ("bmi", "39156-5", "kg/m2", 27.4),
    ("temp", "8310-5", "[degF]", 98.6), ("pulse", "8867-4", "/min", 72),
    ("resp", "9279-1", "/min", 16), ("spo2", "59408-5", "%", 97)])
def test_each_vital_sign_has_its_loinc_code_and_ucum_unit(client, staff, chart, kind, code,
                                                          unit, value):
    o = read(client, staff, f"{chart['full']}-{kind}")
    assert o["code"]["coding"][0] == {"system": LOINC, "code": code,
                                      "display": o["code"]["text"]}
    assert o["valueQuantity"]["code"] == unit and o["valueQuantity"]["system"] == UCUM
    assert o["valueQuantity"]["value"] == value


def test_pulse_oximetry_carries_both_codes_and_the_flow_rate(client, staff, chart):
    o = read(client, staff, f"{chart['full']}-spo2")
    assert [c["code"] for c in o["code"]["coding"]] == ["59408-5", "2708-6"]
    assert o["component"] == [{"code": {"coding": [{"system": LOINC, "code": "3151-8",
                                                    "display": "Inhaled oxygen flow rate"}],
                                        "text": "Inhaled oxygen flow rate"},
                               "valueQuantity": {"value": 2, "unit": "L/min",
                                                 "system": UCUM, "code": "L/min"}}]


def test_a_laboratory_result_is_a_us_core_lab_observation(client, staff, chart):
    o = read(client, staff, chart["glucose"])
    assert o["meta"]["profile"] == [PROFILE + "us-core-observation-lab"]
    assert o["meta"]["lastUpdated"] == "2024-03-06T12:00:00Z"
    assert o["status"] == "final"
    assert o["category"][0]["coding"][0]["code"] == "laboratory"
    assert o["code"] == {"coding": [{"system": LOINC, "code": "2345-7", "display": "Glucose"}],
                         "text": "Glucose"}
    assert o["subject"] == {"reference": f"Patient/{chart['puuid']}"}
    assert o["encounter"] == {"reference": f"Encounter/{chart['euuid']}"}
    assert o["effectiveDateTime"] == "2024-03-05T08:30:00Z"
    assert o["issued"] == "2024-03-06T12:00:00Z"
    mg = {"unit": "mg/dL", "system": UCUM, "code": "mg/dL"}
    assert o["valueQuantity"] == {"value": 130, **mg}
    assert o["interpretation"][0]["coding"][0]["code"] == "H"
    assert o["referenceRange"] == [{"low": {"value": 70, **mg}, "high": {"value": 99, **mg},
                                    "text": "70-99"}]
    hdl = read(client, staff, chart["hdl"])
    assert hdl["status"] == "preliminary"
    assert hdl["interpretation"][0]["coding"][0]["code"] == "N"
    assert hdl["referenceRange"] == [{"low": {"value": 40, **mg}, "text": ">=40"}]
    culture = read(client, staff, chart["culture"])
    assert culture["valueString"] == "No growth"
    assert "interpretation" not in culture and "referenceRange" not in culture


@pytest.mark.parametrize("id_", [
    "nope", "00000000-0000-0000-0000-000000000000-bp", "00000000-0000-0000-0000-000000000000"])
def test_unknown_ids_are_404(client, staff, id_):
    r = client.get(f"{FHIR}/Observation/{id_}", headers=staff)
    assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome"


def test_a_measure_the_form_lacks_is_not_an_observation(client, staff, chart):
    assert client.get(f"{FHIR}/Observation/{chart['partial']}-height",
                      headers=staff).status_code == 404
    assert client.get(f"{FHIR}/Observation/{chart['full']}-head",
                      headers=staff).status_code == 404


LABS = {"glucose", "hdl", "culture"}


@pytest.mark.parametrize("params, expected", [
    ({"category": "laboratory"}, LABS),
    ({"category": f"{CATEGORY}|laboratory"}, LABS),
    ({"category": "http://example.org|laboratory"}, set()),
    ({"code": "2345-7"}, {"glucose"}),
    ({"code": f"{LOINC}|2345-7,{LOINC}|2085-9"}, {"glucose", "hdl"}),
    ({"code": "http://snomed.info/sct|2345-7"}, set()),
    ({"code": "8867-4"}, {"full-pulse"}),
    ({"code": "2708-6"}, {"full-spo2"}),
    ({"code": f"{LOINC}|29463-7", "date": "ge2024-06-01"}, {"partial-weight"}),
    ({"code": "29463-7", "date": "2024-02"}, {"full-weight"}),
    ({"category": "laboratory", "date": "2024-03-05"}, LABS),
    ({"category": "laboratory", "date": "lt2024-03-05T08:30:00Z"}, set()),
    ({"category": "vital-signs", "date": "gt2024-08-20T13:00:00Z"},
     {"partial-bp", "partial-weight"}),
    ({"category": "laboratory", "status": "preliminary"}, {"hdl"}),
    ({"status": "final", "category": "laboratory"}, {"glucose", "culture"}),
    ({"category": "vital-signs", "_lastUpdated": "ge2024-08-01"},
     {"partial-bp", "partial-weight"}),
    ({"category": "laboratory", "_lastUpdated": "le2024-03-06"}, LABS),
    ({"category": "laboratory", "_lastUpdated": "lt2024-03-06"}, set()),
])
def test_us_core_searches_with_the_patient(client, staff, chart, params, expected):
    found = search(client, staff, patient=chart["puuid"], **params)
    wanted = set()
    for name in expected:
        form, _, kind = name.partition("-")
        wanted.add(f"{chart[form]}-{kind}" if kind else chart[name])
    assert ids(found) == wanted, params


@pytest.mark.parametrize("form", ["{puuid}", "Patient/{puuid}", "http://x.org/fhir/Patient/{puuid}"])
def test_the_patient_in_every_form(client, staff, chart, form):
    value = form.format(puuid=chart["puuid"])
    assert ids(search(client, staff, patient=value, category="laboratory")) == {
        chart[n] for n in LABS}
    assert ids(search(client, staff, **{"subject:Patient": chart["puuid"],
                                        "category": "laboratory"})) == {chart[n] for n in LABS}
    assert ids(search(client, staff, subject=f"Encounter/{chart['puuid']}")) == set()


def test_id_search_finds_both_kinds(client, staff, chart):
    wanted = {f"{chart['full']}-bmi", chart["hdl"]}
    assert ids(search(client, staff, _id=",".join(wanted))) == wanted


def test_paging_crosses_both_sources_by_keyset(client, staff, chart):
    seen, url, pages = [], f"{FHIR}/Observation", 0
    params = {"patient": chart["puuid"], "_count": "4", "_sort": "-date"}
    while url:
        r = client.get(url, params=params, headers=staff)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == 13
        seen += [e["resource"] for e in body.get("entry", [])]
        nxt = [link["url"] for link in body["link"] if link["relation"] == "next"]
        url = f"{FHIR}/Observation" if nxt else None
        params = {k: v[0] for k, v in parse_qs(urlsplit(nxt[0]).query).items()} if nxt else None
        pages += 1
    assert pages == 4 and len(seen) == 13 and len({o["id"] for o in seen}) == 13
    dates = [o.get("effectiveDateTime") for o in seen]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == "2024-08-20T14:00:00Z" and dates[-1] == "2024-02-01T09:10:00Z"


def test_sort_by_an_unknown_key_is_refused(client, staff, chart):
    r = client.get(f"{FHIR}/Observation", params={"_sort": "code"}, headers=staff)
    assert r.status_code == 400


def test_include_and_revinclude_the_patient(client, staff, chart):
    found = search(client, staff, _id=chart["glucose"], _include="Observation:patient")
    assert [(e["resource"]["resourceType"], e["resource"]["id"]) for e in found["entry"]
            if e["search"]["mode"] == "include"] == [("Patient", chart["puuid"])]
    r = client.get(f"{FHIR}/Patient", headers=staff,
                   params={"_id": chart["puuid"], "_revinclude": "Observation:patient"})
    included = {e["resource"]["id"] for e in r.json()["entry"] if e["search"]["mode"] == "include"}
    assert included == vitals(chart, *VITAL_IDS) | vitals(chart, "bp", "weight",
                                                          form="partial") | {
        chart[n] for n in LABS}


def test_a_patient_sees_only_their_own(client, app, chart):
    with app.registry.get("default").db.read() as s:
        phil = s.execute(select(Patient.pid, Patient.uuid).where(
            Patient.fname == "Phil", Patient.lname == "Belford")).one()
    own = write(app, Vital(pid=phil.pid, date=datetime(2024, 5, 5, 10, 0), pulse=66))[0]
    token_app = register_client(client, scope="openid api:fhir api:port patient/Observation.rs")
    token = bearer(password_token(client, token_app, role="patient", username="phil",
                                  password="phil", email="phil@example.com",
                                  scope="openid api:fhir patient/Observation.rs"))
    mine = ids(search(client, token, code="8867-4"))
    assert f"{own.uuid}-pulse" in mine and f"{chart['full']}-pulse" not in mine
    assert ids(search(client, token, patient=chart["puuid"])) == set()
    for id_ in (f"{chart['full']}-pulse", chart["glucose"]):
        assert client.get(f"{FHIR}/Observation/{id_}", headers=token).status_code == 404
    assert read(client, token, f"{own.uuid}-pulse")["subject"]["reference"] == \
        f"Patient/{phil.uuid}"


def test_a_token_without_the_observation_scope_is_refused(client, app_client, chart):
    token = bearer(password_token(client, app_client, scope="openid api:fhir user/Patient.rs"))
    assert client.get(f"{FHIR}/Observation", headers=token).status_code == 403
    assert client.get(f"{FHIR}/Observation/{chart['glucose']}",
                      headers=token).status_code == 403



def test_the_demo_data_gives_both_kinds(tmp_path):
    """`emr-api demo`'s data (cli/demo.py) holds vital signs and laboratory results, and
    every one of its rows becomes a whole Observation."""
    from types import SimpleNamespace

    from emr_api.cli import demo
    from emr_api.db.engine import Database
    from emr_api.db.migrate import upgrade
    from emr_api.handlers.fhir import observation
    from emr_api.services import search as engine

    db = Database(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    try:
        upgrade(db.engine)
        demo.generate(SimpleNamespace(db=db), 20, seed=5)
        with db.read() as s:
            rows = engine.run(s, engine.Query(
                model=observation.ObservationRow, where=[],
                order=[engine.SortKey(observation.ObservationRow.id)], limit=10000)).rows
            resources = observation.represent(s, rows)
    finally:
        db.dispose()
    kinds = {(o["category"][0]["coding"][0]["code"], o["meta"]["profile"][0].rsplit("/", 1)[1])
             for o in resources}
    assert {("laboratory", "us-core-observation-lab"), ("vital-signs", "us-core-blood-pressure"),
            ("vital-signs", "us-core-body-weight"), ("vital-signs", "us-core-pulse-oximetry")
            } <= kinds
    assert all(o["subject"]["reference"].startswith("Patient/") and o["status"]
               and o["code"]["coding"][0]["system"] == "http://loinc.org" for o in resources)
