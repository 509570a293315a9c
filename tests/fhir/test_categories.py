"""The categories family: the Condition and Observation kinds beyond problems, vital signs
and laboratory results. Encounter diagnoses (each `issue_encounter` link of a problem to a
visit is a Condition with its own id) and health concerns (`lists` rows of type
health_concern) beside the problem list; smoking status (`history_data.tobacco`) and sexual
orientation (`patient_data.sexual_orientation`) as social-history Observations. Rows are
written through the site's database; searched alone and with the kinds already served;
a patient sees only their own."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from emr_api.db.models import (
    EmployerData,
    Encounter,
    HistoryData,
    Issue,
    IssueEncounter,
    ListOption,
    Patient,
)
from tests.conftest import bearer, password_token, register_client
from tests.standard.read_only import write
from tests.fhir.helpers import ids, included, search

FHIR = "/apis/default/fhir"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
ODH = "urn:oid:2.16.840.1.114222.4.5.327"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/"


@pytest.fixture(scope="module")
def chart(app) -> dict:
    """A patient (sexual orientation: homosexual) with three saved histories (a former
    smoker in 2023, a smoker in 2024, one that names no smoking status), two visits, two
    problems (hypertension, asthma that has ended) and a health concern; hypertension was
    diagnosed at the first visit, asthma at both, resolved at the second."""
    patient = write(app, Patient(fname="Cat", lname="Fhircategories", sex="Female",
                                 DOB=date(1980, 1, 2), sexual_orientation="38628009",
                                 last_updated=datetime(2024, 5, 1, 12, 0)))[0]
    first = datetime(2023, 3, 1, 9, 0)
    former, smoker, neither = write(
        app,
        HistoryData(pid=patient.pid, date=first, tobacco="Quit in 2019|quittobacco|20190101|3",
                    alcohol="|neveralcohol|"),
        HistoryData(pid=patient.pid, date=datetime(2024, 6, 1, 10, 30),
                    tobacco="|currenttobacco|20240101"),
        HistoryData(pid=patient.pid, date=datetime(2024, 7, 1, 10, 30),
                    tobacco="|not_applicable|"))
    with app.registry.get("default").db.write() as s:
        for list_id, code, title in (("OccupationODH", "29-1141.00", "Registered Nurses"),
                                     ("IndustryODH", "622110",
                                      "General Medical and Surgical Hospitals")):
            if s.get(ListOption, (list_id, code)) is None:
                s.add(ListOption(list_id=list_id, option_id=code, title=title,
                                 codes=f"ODH:{code}"))
    job, job2, _ = write(
        app,
        EmployerData(pid=patient.pid, name="Riverside Hospital", occupation="29-1141.00",
                     industry="622110", start_date=date(2019, 4, 1),
                     end_date=date(2023, 12, 31), date=datetime(2024, 8, 1, 8, 0)),
        EmployerData(pid=patient.pid, name="Hives & Co", occupation="Beekeeper",
                     date=datetime(2022, 1, 5, 8, 0)),
        EmployerData(pid=patient.pid, name="Unknown", date=datetime(2021, 1, 5, 8, 0)))
    visit1, visit2 = write(
        app, Encounter(pid=patient.pid, encounter=980001, date=datetime(2024, 1, 10, 9, 0)),
        Encounter(pid=patient.pid, encounter=980002, date=datetime(2024, 9, 15, 14, 0)))
    stamp = datetime(2024, 1, 10, 9, 30)
    ended = date.today() - timedelta(days=20)
    hypertension, asthma, concern = write(
        app,
        Issue(pid=patient.pid, type="medical_problem", title="Essential hypertension",
              diagnosis="ICD10:I10", begdate=date(2015, 6, 1), date=stamp, modifydate=stamp),
        Issue(pid=patient.pid, type="medical_problem", title="Asthma",
              diagnosis="ICD10:J45.909", begdate=date(1990, 1, 1), enddate=ended,
              date=stamp, modifydate=datetime(2024, 9, 15, 15, 0)),
        Issue(pid=patient.pid, type="health_concern", title="Food insecurity",
              diagnosis="ICD10:Z59.41", begdate=date(2024, 2, 2),
              date=datetime(2024, 2, 2, 8, 0), modifydate=datetime(2024, 2, 2, 8, 0)))
    dx1, dx2, dx3 = write(
        app, IssueEncounter(pid=patient.pid, list_id=hypertension.id, encounter=980001),
        IssueEncounter(pid=patient.pid, list_id=asthma.id, encounter=980001),
        IssueEncounter(pid=patient.pid, list_id=asthma.id, encounter=980002, resolved=True))
    return {"puuid": patient.uuid, "pid": patient.pid,
            "former": f"{former.uuid}-smoking", "smoker": f"{smoker.uuid}-smoking",
            "neither": f"{neither.uuid}-smoking",
            "orientation": f"{patient.uuid}-sexual-orientation",
            "job": f"{job.uuid}-occupation", "job2": f"{job2.uuid}-occupation",
            "visit1": visit1.uuid, "visit2": visit2.uuid, "hypertension": hypertension.uuid,
            "asthma": asthma.uuid, "concern": concern.uuid, "dx1": dx1.uuid, "dx2": dx2.uuid,
            "dx3": dx3.uuid, "ended": ended.isoformat()}


@pytest.fixture(scope="module")
def staff(client, app_client) -> dict:
    return bearer(password_token(client, app_client, scope=(
        "openid api:fhir user/Observation.rs user/Condition.rs user/Patient.rs "
        "user/Encounter.rs")))


def read(client, headers, type_, id_: str) -> dict:
    r = client.get(f"{FHIR}/{type_}/{id_}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def named(chart, names) -> set[str]:
    return {chart[n] for n in names}


def pages(client, headers, type_, params) -> tuple[list[dict], int]:
    """Every resource of a search, page by page over the `next` links."""
    seen, url, count = [], f"{FHIR}/{type_}", 0
    while url:
        r = client.get(url, params=params, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [e["resource"] for e in body.get("entry", []) if e["search"]["mode"] == "match"]
        nxt = [link["url"] for link in body["link"] if link["relation"] == "next"]
        url = f"{FHIR}/{type_}" if nxt else None
        params = {k: v[0] for k, v in parse_qs(urlsplit(nxt[0]).query).items()} if nxt else None
        count += 1
    return seen, count


# --- Observation: smoking status ----------------------------------------------------------

def test_a_smoking_status_is_a_us_core_smoking_status(client, staff, chart):
    o = read(client, staff, "Observation", chart["former"])
    assert o["id"] == chart["former"]
    assert o["meta"]["profile"] == [PROFILE + "us-core-smokingstatus"]
    assert o["meta"]["lastUpdated"] == "2023-03-01T09:00:00Z"
    assert o["status"] == "final"
    assert o["category"] == [{"coding": [{"system": OBS_CATEGORY, "code": "social-history",
                                          "display": "Social History"}]}]
    assert o["code"]["coding"] == [{"system": LOINC, "code": "72166-2",
                                    "display": "Tobacco smoking status"}]
    assert o["subject"] == {"reference": f"Patient/{chart['puuid']}"}
    assert o["effectiveDateTime"] == "2023-03-01T09:00:00Z"
    assert o["valueCodeableConcept"]["coding"] == [
        {"system": SNOMED, "code": "8517006", "display": "Former smoker"}]
    assert o["note"] == [{"text": "Quit in 2019"}]


def test_a_status_without_its_list_option_maps_the_status_itself(client, staff, chart):
    o = read(client, staff, "Observation", chart["smoker"])
    assert o["valueCodeableConcept"]["coding"] == [
        {"system": SNOMED, "code": "77176002", "display": "Smoker"}]
    assert o["effectiveDateTime"] == "2024-06-01T10:30:00Z" and "note" not in o


def test_a_history_naming_no_smoking_status_is_no_observation(client, staff, chart):
    r = client.get(f"{FHIR}/Observation/{chart['neither']}", headers=staff)
    assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome"
    found = search(client, staff, "Observation", patient=chart["puuid"], code="72166-2")
    assert ids(found) == named(chart, ["former", "smoker"]) and found["total"] == 2


# --- Observation: sexual orientation -------------------------------------------------------

def test_a_sexual_orientation_is_a_us_core_sexual_orientation(client, staff, chart):
    o = read(client, staff, "Observation", chart["orientation"])
    assert o["meta"]["profile"] == [PROFILE + "us-core-observation-sexual-orientation"]
    assert o["status"] == "final"
    assert o["category"][0]["coding"][0]["code"] == "social-history"
    assert o["code"]["coding"] == [{"system": LOINC, "code": "76690-7",
                                    "display": "Sexual orientation"}]
    assert o["subject"] == {"reference": f"Patient/{chart['puuid']}"}
    assert o["effectiveDateTime"] == "2024-05-01T12:00:00Z"
    assert o["valueCodeableConcept"] == {
        "coding": [{"system": SNOMED, "code": "38628009", "display": "Homosexual"}],
        "text": "Homosexual"}


def test_an_orientation_stored_as_another_option_reads_its_codes(client, staff, app):
    with app.registry.get("default").db.write() as s:
        if s.get(ListOption, ("sexual_orientation", "straight")) is None:
            s.add(ListOption(list_id="sexual_orientation", option_id="straight",
                             title="Straight or heterosexual", codes="SNOMED-CT:20430005"))
    listed, free = write(app, Patient(fname="Cat", lname="Listed", sex="Male",
                                      DOB=date(1970, 1, 1), sexual_orientation="straight"),
                         Patient(fname="Cat", lname="Free", sex="Male", DOB=date(1970, 1, 1),
                                 sexual_orientation="Pansexual"))
    o = read(client, staff, "Observation", f"{listed.uuid}-sexual-orientation")
    assert o["valueCodeableConcept"] == {
        "coding": [{"system": SNOMED, "code": "20430005",
                    "display": "Straight or heterosexual"}],
        "text": "Straight or heterosexual"}
    o = read(client, staff, "Observation", f"{free.uuid}-sexual-orientation")
    assert o["valueCodeableConcept"] == {"text": "Pansexual"}


def test_a_patient_without_an_answer_has_no_orientation(client, staff, app):
    other = write(app, Patient(fname="Cat", lname="Noanswer", sex="Male",
                               DOB=date(1990, 1, 1)))[0]
    assert client.get(f"{FHIR}/Observation/{other.uuid}-sexual-orientation",
                      headers=staff).status_code == 404
    assert ids(search(client, staff, "Observation", patient=other.uuid)) == set()


# --- Observation: occupation ---------------------------------------------------------------

def test_an_occupation_is_a_us_core_occupation(client, staff, chart):
    o = read(client, staff, "Observation", chart["job"])
    assert o["meta"]["profile"] == [PROFILE + "us-core-observation-occupation"]
    assert o["meta"]["lastUpdated"] == "2024-08-01T08:00:00Z"
    assert o["status"] == "final"
    assert o["category"][0]["coding"][0]["code"] == "social-history"
    assert o["code"]["coding"] == [{"system": LOINC, "code": "11341-5",
                                    "display": "History of Occupation"}]
    assert o["subject"] == {"reference": f"Patient/{chart['puuid']}"}
    assert o["effectivePeriod"] == {"start": "2019-04-01", "end": "2023-12-31"}
    assert o["valueCodeableConcept"] == {
        "coding": [{"system": ODH, "code": "29-1141.00", "display": "Registered Nurses"}],
        "text": "Registered Nurses"}
    assert o["component"] == [{
        "code": {"coding": [{"system": LOINC, "code": "86188-0",
                             "display": "History of Occupation industry"}],
                 "text": "History of Occupation industry"},
        "valueCodeableConcept": {
            "coding": [{"system": ODH, "code": "622110",
                        "display": "General Medical and Surgical Hospitals"}],
            "text": "General Medical and Surgical Hospitals"}}]


def test_an_uncoded_occupation_is_its_text(client, staff, chart):
    o = read(client, staff, "Observation", chart["job2"])
    assert o["valueCodeableConcept"] == {"text": "Beekeeper"}
    assert "effectivePeriod" not in o and "component" not in o


SOCIAL = {"former", "smoker", "orientation", "job", "job2"}


@pytest.mark.parametrize("params, expected", [
    ({"category": "social-history"}, SOCIAL),
    ({"category": f"{OBS_CATEGORY}|social-history"}, SOCIAL),
    ({"category": "http://example.org|social-history"}, set()),
    ({"category": "social-history,laboratory"}, SOCIAL),
    ({"category": "vital-signs"}, set()),
    ({"code": "72166-2"}, {"former", "smoker"}),
    ({"code": f"{LOINC}|76690-7"}, {"orientation"}),
    ({"code": f"{SNOMED}|76690-7"}, set()),
    ({"code": "72166-2,76690-7"}, {"former", "smoker", "orientation"}),
    ({"code": "11341-5"}, {"job", "job2"}),
    ({"code": "11341-5", "date": "eb2020"}, {"job"}),
    ({"code": "11341-5", "date": "2019-04-01"}, {"job"}),
    ({"code": "11341-5", "date": "gt2019-04-01"}, set()),
    ({"category": "social-history", "date": "ge2024"}, {"smoker", "orientation"}),
    ({"category": "social-history", "date": "lt2024-01-01"}, {"former", "job"}),
    ({"category": "social-history", "date": "2024-06-01"}, {"smoker"}),
    ({"category": "social-history", "date": "gt2024-06-01T10:30:00Z"}, set()),
    ({"category": "social-history", "date": "le2024-05-01T12:00:00Z"},
     {"former", "orientation", "job"}),
    ({"category": "social-history", "date:missing": "true"}, {"job2"}),
    ({"code": "72166-2", "date": "sa2023-12-31"}, {"smoker"}),
    ({"code": "72166-2", "date": "eb2024"}, {"former"}),
    ({"category": "social-history", "status": "final"}, SOCIAL),
    ({"category": "social-history", "status": "preliminary"}, set()),
    ({"category": "social-history", "_lastUpdated": "ge2024-05-01"},
     {"smoker", "orientation", "job"}),
])
def test_social_history_searches_with_the_patient(client, staff, chart, params, expected):
    found = search(client, staff, "Observation", patient=chart["puuid"], **params)
    assert ids(found) == named(chart, expected), params
    assert found["total"] == len(expected)


def test_id_search_and_subject_find_the_social_kinds(client, staff, chart):
    wanted = named(chart, ["smoker", "orientation"])
    assert ids(search(client, staff, "Observation", _id=",".join(wanted))) == wanted
    assert ids(search(client, staff, "Observation", category="social-history",
                      **{"subject:Patient": f"Patient/{chart['puuid']}"})) == named(chart, SOCIAL)


def test_social_history_pages_to_the_end_in_date_order(client, staff, chart):
    seen, count = pages(client, staff, "Observation", {
        "patient": chart["puuid"], "category": "social-history", "_count": "1",
        "_sort": "-date"})
    assert count == 5 and [o["id"] for o in seen] == [
        chart[n] for n in ("job", "smoker", "orientation", "former", "job2")]


def test_include_the_patient_of_a_smoking_status(client, staff, chart):
    found = search(client, staff, "Observation", _id=chart["smoker"],
                   _include="Observation:patient")
    assert included(found) == {("Patient", chart["puuid"])}
    r = client.get(f"{FHIR}/Patient", headers=staff, params={
        "_id": chart["puuid"], "_revinclude": "Observation:subject"})
    assert {i for t, i in included(r.json()) if t == "Observation"} == named(chart, SOCIAL)


# --- Condition: encounter diagnoses and health concerns ------------------------------------

def test_an_encounter_diagnosis_is_its_own_condition(client, staff, chart):
    c = read(client, staff, "Condition", chart["dx1"])
    assert c["id"] == chart["dx1"]
    assert c["meta"]["profile"] == [PROFILE + "us-core-condition-encounter-diagnosis"]
    assert c["meta"]["lastUpdated"] == "2024-01-10T09:30:00Z"
    assert c["category"] == [{"coding": [{"system": CATEGORY, "code": "encounter-diagnosis",
                                          "display": "Encounter Diagnosis"}]}]
    assert c["code"] == {"coding": [{"system": ICD10, "code": "I10",
                                     "display": "Essential hypertension"}],
                         "text": "Essential hypertension"}
    assert c["subject"] == {"reference": f"Patient/{chart['puuid']}"}
    assert c["encounter"] == {"reference": f"Encounter/{chart['visit1']}"}
    assert c["clinicalStatus"]["coding"][0]["code"] == "active"
    assert c["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert c["onsetDateTime"] == "2015-06-01" and "abatementDateTime" not in c
    assert c["recordedDate"] == "2024-01-10T09:00:00Z"
    # The problem itself stays a problem-list item, under its own id.
    problem = read(client, staff, "Condition", chart["hypertension"])
    assert problem["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert "encounter" not in problem
    assert problem["meta"]["profile"] == [PROFILE + "us-core-condition-problems-health-concerns"]


def test_a_diagnosis_resolved_at_its_visit_is_resolved(client, staff, chart):
    resolved = read(client, staff, "Condition", chart["dx3"])
    assert resolved["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert resolved["encounter"] == {"reference": f"Encounter/{chart['visit2']}"}
    assert resolved["recordedDate"] == "2024-09-15T14:00:00Z"
    assert resolved["abatementDateTime"] == chart["ended"]


def test_a_health_concern_is_a_us_core_health_concern(client, staff, chart):
    c = read(client, staff, "Condition", chart["concern"])
    assert c["meta"]["profile"] == [PROFILE + "us-core-condition-problems-health-concerns"]
    assert c["category"] == [{"coding": [{"system": US_CORE_CATEGORY, "code": "health-concern",
                                          "display": "Health Concern"}]}]
    assert c["code"]["coding"] == [{"system": ICD10, "code": "Z59.41",
                                    "display": "Food insecurity"}]
    assert c["clinicalStatus"]["coding"][0]["code"] == "active"
    assert c["onsetDateTime"] == "2024-02-02" and c["recordedDate"] == "2024-02-02T08:00:00Z"


ALL = {"hypertension", "asthma", "concern", "dx1", "dx2", "dx3"}
DIAGNOSES = {"dx1", "dx2", "dx3"}


@pytest.mark.parametrize("params, expected", [
    ({}, ALL),
    ({"category": "encounter-diagnosis"}, DIAGNOSES),
    ({"category": f"{CATEGORY}|encounter-diagnosis"}, DIAGNOSES),
    ({"category": "problem-list-item"}, {"hypertension", "asthma"}),
    ({"category": "health-concern"}, {"concern"}),
    ({"category": f"{US_CORE_CATEGORY}|health-concern"}, {"concern"}),
    ({"category": f"{CATEGORY}|health-concern"}, set()),
    ({"category": f"{US_CORE_CATEGORY}|"}, {"concern"}),
    ({"category": "health-concern,problem-list-item"}, {"hypertension", "asthma", "concern"}),
    ({"category": "encounter-diagnosis", "encounter": "{visit1}"}, {"dx1", "dx2"}),
    ({"category": "encounter-diagnosis", "encounter": "Encounter/{visit2}"}, {"dx3"}),
    ({"encounter": "https://x.org/fhir/Encounter/{visit2}"}, {"dx3"}),
    ({"encounter": "Patient/{visit2}"}, set()),
    ({"encounter:missing": "true"}, {"hypertension", "asthma", "concern"}),
    ({"clinical-status": "active"}, {"hypertension", "concern", "dx1"}),
    ({"clinical-status": "resolved"}, {"asthma", "dx2", "dx3"}),
    ({"clinical-status": "inactive"}, set()),
    ({"code": f"{ICD10}|I10"}, {"hypertension", "dx1"}),
    ({"code": "J45.909", "category": "encounter-diagnosis"}, {"dx2", "dx3"}),
    ({"code": f"{SNOMED}|I10"}, set()),
    ({"onset-date": "ge2010"}, {"hypertension", "concern", "dx1"}),
    ({"abatement-date:missing": "false"}, {"asthma", "dx2", "dx3"}),
    ({"recorded-date": "2024-09-15"}, {"dx3"}),
    ({"recorded-date": "gt2024-01-10T09:00:00Z"}, {"hypertension", "asthma", "concern", "dx3"}),
    ({"category": "encounter-diagnosis", "recorded-date": "lt2024-02"}, {"dx1", "dx2"}),
    ({"category": "encounter-diagnosis", "_lastUpdated": "ge2024-09-01"}, {"dx2", "dx3"}),
])
def test_condition_searches_with_the_patient(client, staff, chart, params, expected):
    params = {k: v.format(**chart) for k, v in params.items()}
    found = search(client, staff, "Condition", patient=chart["puuid"], **params)
    assert ids(found) == named(chart, expected), params
    assert found["total"] == len(expected)


def test_conditions_page_to_the_end_over_next_links(client, staff, chart):
    seen, count = pages(client, staff, "Condition", {
        "patient": chart["puuid"], "_count": "2", "_sort": "recorded-date"})
    assert count == 3 and {c["id"] for c in seen} == named(chart, ALL) and len(seen) == 6
    recorded = [c["recordedDate"] for c in seen]
    assert recorded == sorted(recorded)


def test_include_the_encounter_and_revinclude_the_diagnoses(client, staff, chart):
    found = search(client, staff, "Condition", patient=chart["puuid"],
                   category="encounter-diagnosis", _include="Condition:encounter")
    assert included(found) == {("Encounter", chart["visit1"]), ("Encounter", chart["visit2"])}
    r = client.get(f"{FHIR}/Encounter", headers=staff, params={
        "_id": chart["visit1"], "_revinclude": "Condition:encounter"})
    assert r.status_code == 200, r.text
    assert included(r.json()) == {("Condition", chart["dx1"]), ("Condition", chart["dx2"])}


# --- Who sees what ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def phil(app) -> dict:
    with app.registry.get("default").db.read() as s:
        found = s.execute(select(Patient.pid, Patient.uuid).where(
            Patient.fname == "Phil", Patient.lname == "Belford")).one()
    history = write(app, HistoryData(pid=found.pid, date=datetime(2024, 4, 4, 9, 0),
                                     tobacco="|nevertobacco||4"))[0]
    concern = write(app, Issue(pid=found.pid, type="health_concern", title="Stress",
                               diagnosis="ICD10:Z73.3"))[0]
    return {"puuid": found.uuid, "smoking": f"{history.uuid}-smoking",
            "concern": concern.uuid}


def test_a_patient_sees_only_their_own(client, chart, phil):
    app = register_client(client, scope="openid api:fhir api:port patient/Observation.rs "
                                        "patient/Condition.rs")
    token = bearer(password_token(client, app, role="patient", username="phil",
                                  password="phil", email="phil@example.com",
                                  scope="openid api:fhir patient/Observation.rs "
                                        "patient/Condition.rs"))
    smoking = search(client, token, "Observation", category="social-history")
    assert phil["smoking"] in ids(smoking)
    assert not ids(smoking) & named(chart, SOCIAL)
    assert all(o["subject"]["reference"] == f"Patient/{phil['puuid']}"
               for o in (e["resource"] for e in smoking["entry"]))
    never = read(client, token, "Observation", phil["smoking"])
    assert never["valueCodeableConcept"]["coding"][0]["code"] == "266919005"
    assert ids(search(client, token, "Observation", patient=chart["puuid"])) == set()
    concerns = search(client, token, "Condition", category="health-concern")
    assert ids(concerns) == {phil["concern"]}
    assert ids(search(client, token, "Condition", patient=chart["puuid"])) == set()
    for type_, id_ in (("Observation", chart["smoker"]), ("Observation", chart["orientation"]),
                       ("Condition", chart["dx1"]), ("Condition", chart["concern"])):
        assert client.get(f"{FHIR}/{type_}/{id_}", headers=token).status_code == 404, id_


def test_tokens_without_the_type_scope_are_refused(client, app_client, chart):
    token = bearer(password_token(client, app_client, scope="openid api:fhir user/Patient.rs"))
    for type_, id_ in (("Observation", chart["smoker"]), ("Condition", chart["dx1"])):
        assert client.get(f"{FHIR}/{type_}/{id_}", headers=token).status_code == 403
        assert client.get(f"{FHIR}/{type_}", params={"patient": chart["puuid"]},
                          headers=token).status_code == 403


def test_the_demo_data_gives_every_new_kind(tmp_path):
    """`emr-api demo` (cli/demo.py, cli/demo_categories.py) holds each new kind, every row
    of it a whole resource, and a second run adds nothing."""
    from types import SimpleNamespace

    from emr_api.cli import demo
    from emr_api.cli.demo_categories import demo_categories
    from emr_api.db.engine import Database
    from emr_api.db.migrate import upgrade
    from emr_api.handlers.fhir import condition, observation
    from emr_api.services import search as engine

    db = Database(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    try:
        upgrade(db.engine)
        site = SimpleNamespace(db=db)
        made = demo.generate(site, 40, seed=5)
        again = demo_categories(site, seed=5)
        with db.read() as s:
            found = {}
            for module, row in ((observation, observation.ObservationRow),
                                (condition, condition.ConditionRow)):
                rows = engine.run(s, engine.Query(model=row, where=[],
                                                  order=[engine.SortKey(row.id)],
                                                  limit=100000)).rows
                found[module] = module.represent(s, rows)
    finally:
        db.dispose()
    assert all(made[k] > 0 for k in ("history", "sexual_orientations", "occupations",
                                     "health_concerns", "encounter_diagnoses"))
    assert set(again.values()) == {0}
    kinds = {(o["category"][0]["coding"][0]["code"], o["code"]["coding"][0]["code"])
             for o in found[observation]}
    assert {("social-history", "72166-2"), ("social-history", "76690-7"),
            ("social-history", "11341-5")} <= kinds
    assert all(o["valueCodeableConcept"]["coding"][0]["system"] == SNOMED
               for o in found[observation] if o["code"]["coding"][0]["code"] == "72166-2")
    categories = {c["category"][0]["coding"][0]["code"] for c in found[condition]}
    assert categories == {"problem-list-item", "encounter-diagnosis", "health-concern"}
    assert all(c["encounter"]["reference"].startswith("Encounter/")
               for c in found[condition]
               if c["category"][0]["coding"][0]["code"] == "encounter-diagnosis")


def test_every_id_suffix_reads_its_own_kind(client, staff, app):
    """Ids end in their kind; the longer suffix wins (`-ped-bmi` is not a `-bmi`)."""
    from emr_api.db.models import Vital

    child = write(app, Patient(fname="Cat", lname="Child", sex="Female",
                               DOB=date(2020, 1, 1)))[0]
    vital = write(app, Vital(pid=child.pid, date=datetime(2024, 3, 3, 9, 0), BMI=22.5,
                             ped_bmi=55.0, head_circ=17.1, ped_head_circ=40.0))[0]
    for kind, code, value in (("bmi", "39156-5", 22.5), ("ped-bmi", "59576-9", 55),
                              ("head", "9843-4", 17.1), ("ped-head", "8289-1", 40)):
        o = read(client, staff, "Observation", f"{vital.uuid}-{kind}")
        assert o["code"]["coding"][0]["code"] == code
        assert o["valueQuantity"]["value"] == value


def test_deleting_a_problem_removes_its_encounter_diagnoses(client, admin, app):
    r = client.post("/apis/default/api/patient", headers=admin, json={
        "fname": "Linked", "lname": "Problem", "sex": "Male", "DOB": "1960-01-01"})
    puuid = r.json()["data"]["uuid"]
    r = client.post(f"/apis/default/api/patient/{puuid}/medical_problem", headers=admin, json={
        "title": "Gout", "begdate": "2020-01-01", "diagnosis": "ICD10:M10.9"})
    assert r.status_code == 201, r.text
    problem = r.json()["data"]
    pid = client.get(f"/apis/default/api/patient/{puuid}", headers=admin).json()["data"]["pid"]
    visit = client.post(f"/apis/default/api/patient/{puuid}/encounter", headers=admin, json={
        "date": "2024-01-10 09:30:00", "class_code": "AMB", "pc_catid": 5}).json()["data"]
    write(app, IssueEncounter(pid=pid, list_id=problem["id"], encounter=visit["encounter"]))
    linked = search(client, admin, "Condition", patient=puuid, category="encounter-diagnosis")
    assert len(ids(linked)) == 1
    r = client.delete(f"/apis/default/api/patient/{puuid}/medical_problem/{problem['uuid']}",
                      headers=admin)
    assert r.status_code == 200, r.text
    assert ids(search(client, admin, "Condition", patient=puuid)) == set()
