"""FHIR Goal, CarePlan, CareTeam and Device (US Core 6.1): care-plan form lines, care teams
and implantable devices written through the site's database (no API writes them), of a
patient and visits made through the Standard API; read and searched as US Core resources;
a patient sees only their own."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from emr_api.db.models import (
    CarePlanItem,
    CareTeam,
    CareTeamMember,
    Facility,
    Issue,
    Patient,
)
from tests.conftest import bearer, password_token, register_client
from tests.fhir.helpers import ids, included, read, write

FHIR = "/apis/default/fhir"
STANDARD = "/apis/default/api"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
NUCC = "http://nucc.org/provider-taxonomy"
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
GOAL_PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-goal"
PLAN_PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-careplan"
TEAM_PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-careteam"
DEVICE_PROFILE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-implantable-device"
CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
ALL_SCOPES = ("openid api:fhir user/Goal.rs user/CarePlan.rs user/CareTeam.rs user/Device.rs "
              "user/Patient.rs user/Practitioner.rs user/Organization.rs")
FUTURE = datetime(2099, 6, 30)


def created(r, key="uuid"):
    assert r.status_code == 201, r.text
    return r.json()["data"][key]


def line(pid: int, visit: dict, kind: str, **fields) -> CarePlanItem:
    when = datetime.fromisoformat(visit["date"].replace("Z", "")) if "date" in visit \
        else datetime(2024, 1, 15, 9, 0)
    fields.setdefault("last_updated", datetime(2024, 1, 15, 9, 30))
    return CarePlanItem(pid=pid, encounter=visit["encounter"], care_plan_type=kind,
                        date=when, user="admin", groupname="Default", **fields)


def visit(client, admin, puuid: str, when: str, provider_id: int | None = None) -> dict:
    body = {"date": when, "class_code": "AMB", "pc_catid": 5, "reason": "care plan"}
    if provider_id is not None:
        body["provider_id"] = provider_id
    r = client.post(f"{STANDARD}/patient/{puuid}/encounter", headers=admin, json=body)
    assert r.status_code == 201, r.text
    return {**r.json()["data"], "date": when.replace(" ", "T")}


@pytest.fixture(scope="module")
def chart(client, admin, app) -> dict:
    """A patient with four visits: the first with a care plan of three goals (one to come,
    one passed, one switched off) and two other lines; the second's plan has ended, the
    third's was switched off, the fourth has none. A practitioner saw them."""
    r = client.post(f"{STANDARD}/patient", headers=admin, json={
        "fname": "Carla", "lname": "Fhircare", "sex": "Female", "DOB": "1961-07-07"})
    assert r.status_code == 201, r.text
    pid, puuid = r.json()["data"]["pid"], r.json()["data"]["uuid"]
    r = client.post(f"{STANDARD}/practitioner", headers=admin, json={
        "fname": "Omar", "lname": "Fhircare", "npi": "1003000126"})
    assert r.status_code == 201, r.text
    doctor = r.json()["data"]
    first = visit(client, admin, puuid, "2024-01-15 09:00:00", doctor["id"])
    second = visit(client, admin, puuid, "2023-05-02 10:00:00", doctor["id"])
    third = visit(client, admin, puuid, "2022-02-02 11:00:00")
    fourth = visit(client, admin, puuid, "2021-01-01 08:00:00")
    a1c, diet, walk, teach, order, ended, off = write(
        app,
        line(pid, first, "goal", code="LOINC:4548-4", codetext="Hemoglobin A1c",
             description="Bring HbA1c below 7%", date_end=FUTURE),
        line(pid, first, "goal", code="SNOMED-CT:226234005", codetext="Healthy diet",
             description="Five portions of vegetables a day",
             date_end=datetime(2024, 4, 15)),
        line(pid, first, "goal", description="Walk <30> minutes & more", activity=False),
        line(pid, first, "plan_of_care", code="SNOMED-CT:386463000",
             codetext="Prescribed activity/exercise education",
             description="Graded walking programme"),
        line(pid, first, "test_or_order", code="LOINC:4548-4", codetext="Hemoglobin A1c",
             description="HbA1c in three months", date_end=datetime(2024, 4, 15)),
        line(pid, second, "goal", code="LOINC:8480-6", codetext="Systolic blood pressure",
             description="Systolic under 130", date_end=datetime(2023, 9, 1),
             last_updated=datetime(2023, 5, 3, 8, 0)),
        line(pid, third, "plan_of_care", description="Physiotherapy", activity=False),
    )
    return {"pid": pid, "puuid": puuid, "doctor": doctor, "visits": [first, second, third,
                                                                      fourth],
            "a1c": a1c.uuid, "diet": diet.uuid, "walk": walk.uuid, "teach": teach.uuid,
            "order": order.uuid, "ended": ended.uuid, "off": off.uuid,
            "plan": first["euuid"], "ended_plan": second["euuid"],
            "revoked_plan": third["euuid"], "no_plan": fourth["euuid"]}


@pytest.fixture(scope="module")
def staff(client) -> dict:
    return bearer(password_token(client, register_client(client), scope=ALL_SCOPES))


def search(client, headers, type_, params=None, **more) -> dict:
    r = client.get(f"{FHIR}/{type_}", params=params if params is not None else more,
                   headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def every_page(client, headers, type_, **params) -> list[str]:
    """The ids of every match, following `next` links to the end."""
    found, body = [], search(client, headers, type_, **params)
    while True:
        found += [e["resource"]["id"] for e in body.get("entry", [])
                  if e["search"]["mode"] == "match"]
        following = [link["url"] for link in body["link"] if link["relation"] == "next"]
        if not following:
            return found
        url = urlsplit(following[0])
        r = client.get(f"{url.path}?{url.query}", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()


# --- Goal


def test_a_goal_line_is_a_us_core_goal(client, staff, chart):
    goal = read(client, staff, "Goal", chart["a1c"])
    assert goal == {
        "resourceType": "Goal", "id": chart["a1c"],
        "meta": {"versionId": "1", "lastUpdated": "2024-01-15T09:30:00Z",
                 "profile": [GOAL_PROFILE]},
        "lifecycleStatus": "active",
        "description": {"coding": [{"system": LOINC, "code": "4548-4",
                                    "display": "Hemoglobin A1c"}],
                        "text": "Bring HbA1c below 7%"},
        "subject": {"reference": f"Patient/{chart['puuid']}"},
        "startDate": "2024-01-15",
        "target": [{"dueDate": "2099-06-30"}],
        "expressedBy": {"reference": f"Practitioner/{chart['doctor']['uuid']}"},
    }
    diet = read(client, staff, "Goal", chart["diet"])
    assert diet["lifecycleStatus"] == "completed"
    assert diet["description"]["coding"] == [{"system": SNOMED, "code": "226234005",
                                              "display": "Healthy diet"}]
    walk = read(client, staff, "Goal", chart["walk"])
    assert walk["lifecycleStatus"] == "cancelled" and "target" not in walk
    assert walk["description"] == {"text": "Walk <30> minutes & more"}


def test_lines_that_are_not_goals_are_not_goals(client, staff, chart):
    for name in ("teach", "order", "off"):
        assert client.get(f"{FHIR}/Goal/{chart[name]}", headers=staff).status_code == 404
    assert client.get(f"{FHIR}/Goal/{chart['plan']}", headers=staff).status_code == 404


@pytest.mark.parametrize("params, expected", [
    ({}, {"a1c", "diet", "walk", "ended"}),
    ({"lifecycle-status": "active"}, {"a1c"}),
    ({"lifecycle-status": "completed"}, {"diet", "ended"}),
    ({"lifecycle-status": "cancelled,active"}, {"walk", "a1c"}),
    ({"lifecycle-status": "http://hl7.org/fhir/goal-status|completed"}, {"diet", "ended"}),
    ({"lifecycle-status": "http://example.org|active"}, set()),
    ({"target-date": "2024-04-15"}, {"diet"}),
    ({"target-date": "ge2024"}, {"a1c", "diet"}),
    ({"target-date": "lt2024-01"}, {"ended"}),
    ({"target-date": "gt2050"}, {"a1c"}),
    ({"target-date": "le2023-09-01"}, {"ended"}),
    ({"description": f"{LOINC}|4548-4"}, {"a1c"}),
    ({"description": "226234005"}, {"diet"}),
    ({"description": f"{SNOMED}|4548-4"}, set()),
    ({"description": f"{LOINC}|"}, {"a1c", "ended"}),
    ({"_lastUpdated": "lt2024"}, {"ended"}),
])
def test_goal_searches_with_the_patient(client, staff, chart, params, expected):
    found = search(client, staff, "Goal", patient=chart["puuid"], **params)
    assert ids(found) == {chart[name] for name in expected}, params
    assert found["total"] == len(expected)


def test_goal_by_id_and_pages_to_the_end(client, staff, chart):
    assert ids(search(client, staff, "Goal", _id=chart["diet"])) == {chart["diet"]}
    pages = every_page(client, staff, "Goal", patient=f"Patient/{chart['puuid']}", _count=1)
    assert sorted(pages) == sorted(chart[n] for n in ("a1c", "diet", "walk", "ended"))


def test_goal_includes_its_patient_and_the_patient_its_goals(client, staff, chart):
    found = search(client, staff, "Goal", patient=chart["puuid"], _include="Goal:patient",
                   **{"lifecycle-status": "active"})
    assert included(found) == {("Patient", chart["puuid"])}
    found = search(client, staff, "Patient", params=[
        ("_id", chart["puuid"]), ("_revinclude", "Goal:patient"),
        ("_revinclude", "CarePlan:patient")])
    assert included(found) == {("Goal", chart[n]) for n in ("a1c", "diet", "walk", "ended")} \
        | {("CarePlan", chart[n]) for n in ("plan", "ended_plan", "revoked_plan")}


# --- CarePlan


def test_a_visits_care_plan_form_is_a_us_core_care_plan(client, staff, chart):
    plan = read(client, staff, "CarePlan", chart["plan"])
    assert plan["meta"] == {"versionId": "1", "lastUpdated": "2024-01-15T09:30:00Z",
                            "profile": [PLAN_PROFILE]}
    assert plan["status"] == "active" and plan["intent"] == "plan"
    assert plan["category"] == [{"coding": [{
        "system": CATEGORY, "code": "assess-plan",
        "display": "Assessment and Plan of Treatment"}]}]
    assert plan["subject"] == {"reference": f"Patient/{chart['puuid']}"}
    assert plan["encounter"] == {"reference": f"Encounter/{chart['plan']}"}
    assert plan["period"] == {"start": "2024-01-15T09:00:00Z"}  # a line has no end
    assert plan["goal"] == [{"reference": f"Goal/{chart[n]}"} for n in ("a1c", "diet", "walk")]
    text = plan["text"]
    assert text["status"] == "additional"
    assert text["div"].startswith('<div xmlns="http://www.w3.org/1999/xhtml"><ul><li>')
    assert "<b>Goal</b>: Bring HbA1c below 7% &#8212; Hemoglobin A1c [4548-4 " \
        "(http://loinc.org)], by 2099-06-30</li>" in text["div"]
    assert "<b>Plan of care</b>: Graded walking programme" in text["div"]
    assert "<b>Test or order</b>: HbA1c in three months" in text["div"]
    assert "Walk &lt;30&gt; minutes &amp; more (cancelled)</li>" in text["div"]
    assert text["div"].count("<li>") == 5


def test_care_plan_status_and_period_follow_its_lines(client, staff, chart):
    ended = read(client, staff, "CarePlan", chart["ended_plan"])
    assert ended["status"] == "completed"
    assert ended["period"] == {"start": "2023-05-02T10:00:00Z", "end": "2023-09-01T00:00:00Z"}
    assert ended["meta"]["lastUpdated"] == "2023-05-03T08:00:00Z"
    revoked = read(client, staff, "CarePlan", chart["revoked_plan"])
    assert revoked["status"] == "revoked" and "goal" not in revoked
    assert client.get(f"{FHIR}/CarePlan/{chart['no_plan']}", headers=staff).status_code == 404


ASSESS = f"{CATEGORY}|assess-plan"


@pytest.mark.parametrize("params, expected", [
    ({}, {"plan", "ended_plan", "revoked_plan"}),
    ({"category": "assess-plan"}, {"plan", "ended_plan", "revoked_plan"}),
    ({"category": ASSESS}, {"plan", "ended_plan", "revoked_plan"}),
    ({"category": "careteam"}, set()),
    ({"category": ASSESS, "date": "ge2023"}, {"plan", "ended_plan"}),
    ({"category": ASSESS, "date": "2024-01-15"}, {"plan"}),
    ({"category": ASSESS, "date": "lt2023-05-02T10:00:00Z"}, {"revoked_plan"}),
    ({"category": ASSESS, "status": "active"}, {"plan"}),
    ({"category": "assess-plan", "status": "completed,revoked"}, {"ended_plan", "revoked_plan"}),
    ({"category": ASSESS, "status": "http://hl7.org/fhir/request-status|revoked"},
     {"revoked_plan"}),
    ({"category": ASSESS, "status": "draft"}, set()),
    ({"category": ASSESS, "status": "active,completed", "date": "ge2023-06"}, {"plan"}),
    ({"category": ASSESS, "status": "completed", "date": "le2023-12-31"}, {"ended_plan"}),
])
def test_care_plan_searches_with_the_patient(client, staff, chart, params, expected):
    found = search(client, staff, "CarePlan", patient=chart["puuid"], **params)
    assert ids(found) == {chart[name] for name in expected}, params


def test_care_plan_by_id_sorted_and_paged(client, staff, chart):
    assert ids(search(client, staff, "CarePlan", _id=chart["plan"])) == {chart["plan"]}
    assert ids(search(client, staff, "CarePlan", _id=chart["no_plan"])) == set()
    pages = every_page(client, staff, "CarePlan", patient=chart["puuid"], _count=1,
                       _sort="-date")
    assert pages == [chart["plan"], chart["ended_plan"], chart["revoked_plan"]]
    found = search(client, staff, "CarePlan", patient=chart["puuid"],
                   _include="CarePlan:patient", status="active")
    assert included(found) == {("Patient", chart["puuid"])}


# --- access


@pytest.fixture(scope="module")
def phil(app) -> dict:
    with app.registry.get("default").db.read() as s:
        found = s.execute(select(Patient.pid, Patient.uuid).where(
            Patient.portal_username == "phil")).one()
    return {"pid": found.pid, "puuid": found.uuid}


def patient_token(client, scopes: str) -> dict:
    app_ = register_client(client, scope=f"{scopes} api:port")
    return bearer(password_token(client, app_, role="patient", username="phil",
                                 password="phil", email="phil@example.com", scope=scopes))


def test_a_patient_sees_only_their_own_goals_and_plans(client, admin, app, chart, phil):
    own = visit(client, admin, phil["puuid"], "2024-03-03 09:00:00")
    goal, = write(app, line(phil["pid"], own, "goal", description="Sleep seven hours",
                            date_end=FUTURE))
    token = patient_token(client, "openid api:fhir patient/Goal.rs patient/CarePlan.rs")
    assert ids(search(client, token, "Goal")) == {goal.uuid}
    assert ids(search(client, token, "CarePlan")) == {own["euuid"]}
    assert read(client, token, "CarePlan", own["euuid"])["goal"] == [
        {"reference": f"Goal/{goal.uuid}"}]
    assert ids(search(client, token, "Goal", patient=chart["puuid"])) == set()
    assert ids(search(client, token, "CarePlan", patient=chart["puuid"])) == set()
    for type_, id_ in (("Goal", chart["a1c"]), ("CarePlan", chart["plan"])):
        r = client.get(f"{FHIR}/{type_}/{id_}", headers=token)
        assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome"


def test_a_missing_scope_is_403(client, app_client, chart):
    token = bearer(password_token(client, app_client, scope="openid api:fhir user/Patient.rs"))
    for type_, id_ in (("Goal", chart["a1c"]), ("CarePlan", chart["plan"])):
        r = client.get(f"{FHIR}/{type_}", headers=token)
        assert r.status_code == 403, type_
        assert f"user/{type_}.s" in r.json()["issue"][0]["diagnostics"]
        assert client.get(f"{FHIR}/{type_}/{id_}", headers=token).status_code == 403


# --- CareTeam


@pytest.fixture(scope="module")
def teams(client, admin, app, chart) -> dict:
    """Two teams of the chart's patient: an active one (its doctor as primary care
    physician for a clinic, a nurse, the patient) and an inactive one (a cardiologist);
    and a team without members yet."""
    r = client.post(f"{STANDARD}/practitioner", headers=admin, json={
        "fname": "Ines", "lname": "Fhircare", "npi": "1003000142"})
    assert r.status_code == 201, r.text
    nurse = r.json()["data"]
    clinic, = write(app, Facility(name="Fhircare Clinic", city="Springfield"))
    doctor = chart["doctor"]["id"]
    active, inactive, empty = write(
        app,
        CareTeam(pid=chart["pid"], status="active", team_name="Diabetes team",
                 note="Meets monthly", date_updated=datetime(2024, 2, 1, 12, 0)),
        CareTeam(pid=chart["pid"], status="inactive", team_name="Heart team",
                 date_updated=datetime(2022, 3, 1, 12, 0)),
        CareTeam(pid=chart["pid"], status="proposed", date_updated=datetime(2024, 3, 1)))
    write(app,
          CareTeamMember(care_team_id=active.id, user_id=doctor, role="primary_care_provider",
                         facility_id=clinic.id, provider_since=date(2019, 4, 1)),
          CareTeamMember(care_team_id=active.id, user_id=nurse["id"], role="nurse"),
          CareTeamMember(care_team_id=active.id, role="patient"),
          CareTeamMember(care_team_id=inactive.id, user_id=doctor, role="cardiology"))
    return {"active": active.uuid, "inactive": inactive.uuid, "empty": empty.uuid,
            "nurse": nurse["uuid"], "clinic": clinic.uuid}


def test_a_care_team_is_a_us_core_care_team(client, staff, chart, teams):
    team = read(client, staff, "CareTeam", teams["active"])
    assert team == {
        "resourceType": "CareTeam", "id": teams["active"],
        "meta": {"versionId": "1", "lastUpdated": "2024-02-01T12:00:00Z",
                 "profile": [TEAM_PROFILE]},
        "status": "active", "name": "Diabetes team",
        "subject": {"reference": f"Patient/{chart['puuid']}"},
        "participant": [
            {"role": [{"coding": [{"system": SNOMED, "code": "446050000",
                                   "display": "Primary care physician"}],
                       "text": "Primary care physician"}],
             "member": {"reference": f"Practitioner/{chart['doctor']['uuid']}"},
             "onBehalfOf": {"reference": f"Organization/{teams['clinic']}",
                            "display": "Fhircare Clinic"},
             "period": {"start": "2019-04-01"}},
            {"role": [{"coding": [{"system": SNOMED, "code": "224535009",
                                   "display": "Registered nurse"}],
                       "text": "Registered nurse"}],
             "member": {"reference": f"Practitioner/{teams['nurse']}"}},
            {"role": [{"coding": [{"system": SNOMED, "code": "116154003",
                                   "display": "Patient"}], "text": "Patient"}],
             "member": {"reference": f"Patient/{chart['puuid']}"}},
        ],
        "note": [{"text": "Meets monthly"}],
    }
    heart = read(client, staff, "CareTeam", teams["inactive"])
    assert heart["status"] == "inactive"
    assert heart["participant"][0]["role"][0]["coding"] == [
        {"system": NUCC, "code": "207RC0000X", "display": "Cardiovascular Disease Physician"}]
    empty = read(client, staff, "CareTeam", teams["empty"])
    assert "name" not in empty and empty["participant"] == [{
        "role": [{"extension": [{
            "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
            "valueCode": "unknown"}]}],
        "member": {"reference": f"Patient/{chart['puuid']}"}}]


@pytest.mark.parametrize("params, expected", [
    ({}, {"active", "inactive", "empty"}),
    ({"status": "active"}, {"active"}),
    ({"status": "http://hl7.org/fhir/care-team-status|inactive,proposed"},
     {"inactive", "empty"}),
    ({"status": "http://example.org|active"}, set()),
    ({"role": f"{SNOMED}|224535009"}, {"active"}),
    ({"role": "207RC0000X"}, {"inactive"}),
    ({"role": f"{NUCC}|"}, {"inactive"}),
    ({"role": f"{NUCC}|224535009"}, set()),
    ({"role": "446050000,207RC0000X"}, {"active", "inactive"}),
    ({"role": "116154003", "status": "active"}, {"active"}),
    ({"_lastUpdated": "ge2024-02"}, {"active", "empty"}),
])
def test_care_team_searches_with_the_patient(client, staff, chart, teams, params, expected):
    found = search(client, staff, "CareTeam", patient=chart["puuid"], **params)
    assert ids(found) == {teams[name] for name in expected}, params


def test_care_team_searches_without_the_patient(client, staff, chart, teams):
    assert {teams["active"]} <= ids(search(client, staff, "CareTeam", status="active"))
    assert teams["inactive"] not in ids(search(client, staff, "CareTeam", status="active"))
    assert ids(search(client, staff, "CareTeam", role=f"{NUCC}|207RC0000X")) >= \
        {teams["inactive"]}
    assert ids(search(client, staff, "CareTeam", _id=teams["empty"])) == {teams["empty"]}
    pages = every_page(client, staff, "CareTeam", patient=chart["puuid"], _count=2)
    assert sorted(pages) == sorted(teams[n] for n in ("active", "inactive", "empty"))
    found = search(client, staff, "CareTeam", patient=chart["puuid"], status="active",
                   _include="CareTeam:patient")
    assert included(found) == {("Patient", chart["puuid"])}
    found = search(client, staff, "Patient", _id=chart["puuid"],
                   _revinclude="CareTeam:patient")
    assert included(found) == {("CareTeam", teams[n]) for n in ("active", "inactive", "empty")}


def test_a_patient_sees_only_their_own_care_teams(client, app, chart, teams, phil):
    own, = write(app, CareTeam(pid=phil["pid"], status="active", team_name="Phil's team"))
    token = patient_token(client, "openid api:fhir patient/CareTeam.rs")
    assert ids(search(client, token, "CareTeam")) == {own.uuid}
    assert ids(search(client, token, "CareTeam", status="active")) == {own.uuid}
    assert ids(search(client, token, "CareTeam", patient=chart["puuid"])) == set()
    assert client.get(f"{FHIR}/CareTeam/{teams['active']}", headers=token).status_code == 404
    token = bearer(password_token(client, register_client(client),
                                  scope="openid api:fhir user/Patient.rs"))
    assert client.get(f"{FHIR}/CareTeam", headers=token).status_code == 403
    assert client.get(f"{FHIR}/CareTeam/{teams['active']}", headers=token).status_code == 403


# --- Device


def udi_data(di: str, **more) -> str:
    return json.dumps({"standard_elements": {
        "udi": f"(01){di}(11)200101(17)300101(10)L123(21)S456", "issuingAgency": "GS1",
        "di": di, "manufacturingDate": "2020-01-01", "expirationDate": "2030-01-01",
        "lotNumber": "L123", "serialNumber": "S456", **more},
        "device": {"brandName": "Demo Pulse DR", "versionModelNumber": "PDR-200",
                   "companyName": "Example Medical Devices Inc.",
                   "deviceDescription": "Dual-chamber pacemaker"}})


@pytest.fixture(scope="module")
def devices(app, chart) -> dict:
    """Three devices of the chart's patient: a pacemaker with its full UDI, a hip
    prosthesis taken out, a device known only by name; and a problem beside them."""
    pid = chart["pid"]
    pacemaker, hip, unnamed, problem = write(
        app,
        Issue(pid=pid, type="medical_device", title="Cardiac pacemaker",
              diagnosis="SNOMED-CT:14106009", begdate=date(2021, 6, 1),
              udi="(01)00643169007222(11)200101(17)300101(10)L123(21)S456",
              udi_data=udi_data("00643169007222", donationId="D-77"),
              comments="Checked yearly", modifydate=datetime(2021, 6, 2, 8, 0)),
        Issue(pid=pid, type="medical_device", title="Total hip replacement prosthesis",
              diagnosis="SNOMED-CT:304120007", begdate=date(2015, 3, 3),
              enddate=date(2020, 3, 3), udi="(01)00844588003288(21)HIP1",
              udi_data="not json", modifydate=datetime(2020, 3, 4, 8, 0)),
        Issue(pid=pid, type="medical_device", title="Old implant", activity=False,
              modifydate=datetime(2024, 5, 5, 8, 0)),
        Issue(pid=pid, type="medical_problem", title="Bradycardia", diagnosis="ICD10:R00.1",
              begdate=date(2021, 5, 1)))
    return {"pacemaker": pacemaker.uuid, "hip": hip.uuid, "unnamed": unnamed.uuid,
            "problem": problem.uuid}


def test_an_implanted_device_is_a_us_core_implantable_device(client, staff, chart, devices):
    device = read(client, staff, "Device", devices["pacemaker"])
    assert device == {
        "resourceType": "Device", "id": devices["pacemaker"],
        "meta": {"versionId": "1", "lastUpdated": "2021-06-02T08:00:00Z",
                 "profile": [DEVICE_PROFILE]},
        "udiCarrier": [{"deviceIdentifier": "00643169007222",
                        "issuer": "http://hl7.org/fhir/NamingSystem/gs1-di",
                        "jurisdiction": "http://hl7.org/fhir/NamingSystem/fda-udi",
                        "carrierHRF": "(01)00643169007222(11)200101(17)300101(10)L123(21)S456"}],
        "distinctIdentifier": "D-77",
        "status": "active",
        "manufactureDate": "2020-01-01", "expirationDate": "2030-01-01",
        "lotNumber": "L123", "serialNumber": "S456",
        "deviceName": [{"name": "Demo Pulse DR", "type": "manufacturer-name"}],
        "modelNumber": "PDR-200", "manufacturer": "Example Medical Devices Inc.",
        "type": {"coding": [{"system": SNOMED, "code": "14106009",
                             "display": "Cardiac pacemaker"}], "text": "Cardiac pacemaker"},
        "patient": {"reference": f"Patient/{chart['puuid']}"},
        "note": [{"text": "Dual-chamber pacemaker"}, {"text": "Checked yearly"}],
    }
    hip = read(client, staff, "Device", devices["hip"])
    assert hip["status"] == "inactive"
    assert hip["udiCarrier"] == [{"carrierHRF": "(01)00844588003288(21)HIP1"}]
    assert "lotNumber" not in hip and "manufactureDate" not in hip
    unnamed = read(client, staff, "Device", devices["unnamed"])
    assert unnamed["type"] == {"text": "Old implant"} and unnamed["status"] == "inactive"
    assert "udiCarrier" not in unnamed


def test_devices_are_not_problems_and_problems_not_devices(client, staff, admin, chart,
                                                           devices):
    assert client.get(f"{FHIR}/Device/{devices['problem']}", headers=staff).status_code == 404
    token = bearer(password_token(client, register_client(client),
                                  scope="openid api:fhir user/Condition.rs"))
    assert client.get(f"{FHIR}/Condition/{devices['pacemaker']}",
                      headers=token).status_code == 404
    r = client.get(f"{STANDARD}/patient/{chart['puuid']}/medical_problem", headers=admin)
    assert r.status_code == 200, r.text
    assert {row["uuid"] for row in r.json()["data"]} == {devices["problem"]}


@pytest.mark.parametrize("params, expected", [
    ({}, {"pacemaker", "hip", "unnamed"}),
    ({"type": f"{SNOMED}|14106009"}, {"pacemaker"}),
    ({"type": "304120007,14106009"}, {"pacemaker", "hip"}),
    ({"type": f"{SNOMED}|"}, {"pacemaker", "hip"}),
    ({"type": "http://hl7.org/fhir/sid/icd-10-cm|R00.1"}, set()),
    ({"type": "R00.1"}, set()),
    ({"_lastUpdated": "ge2021"}, {"pacemaker", "unnamed"}),
    ({"_lastUpdated": "lt2021-06-02T09:00:00Z"}, {"pacemaker", "hip"}),
    ({"_lastUpdated": "2020-03-04"}, {"hip"}),
])
def test_device_searches_with_the_patient(client, staff, chart, devices, params, expected):
    found = search(client, staff, "Device", patient=chart["puuid"], **params)
    assert ids(found) == {devices[name] for name in expected}, params


def test_device_by_id_paged_and_included(client, staff, chart, devices):
    assert ids(search(client, staff, "Device", _id=devices["hip"])) == {devices["hip"]}
    pages = every_page(client, staff, "Device", patient=chart["puuid"], _count=1,
                       _sort="-_lastUpdated")
    assert pages == [devices["unnamed"], devices["pacemaker"], devices["hip"]]
    found = search(client, staff, "Device", patient=chart["puuid"], _include="Device:patient")
    assert included(found) == {("Patient", chart["puuid"])}
    found = search(client, staff, "Patient", _id=chart["puuid"], _revinclude="Device:patient")
    assert included(found) == {("Device", devices[n]) for n in ("pacemaker", "hip", "unnamed")}


def test_a_patient_sees_only_their_own_devices(client, app, chart, devices, phil):
    own, = write(app, Issue(pid=phil["pid"], type="medical_device", title="Cochlear prosthesis",
                            diagnosis="SNOMED-CT:43252007"))
    token = patient_token(client, "openid api:fhir patient/Device.rs")
    assert ids(search(client, token, "Device")) == {own.uuid}
    assert ids(search(client, token, "Device", type="43252007")) == {own.uuid}
    assert ids(search(client, token, "Device", patient=chart["puuid"])) == set()
    assert client.get(f"{FHIR}/Device/{devices['pacemaker']}", headers=token).status_code == 404
    token = bearer(password_token(client, register_client(client),
                                  scope="openid api:fhir user/Patient.rs"))
    assert client.get(f"{FHIR}/Device", headers=token).status_code == 403
    assert client.get(f"{FHIR}/Device/{devices['pacemaker']}", headers=token).status_code == 403


# --- demo data


def test_the_demo_gives_every_care_type_rows_once(tmp_path):
    """`generate` (what `make run` shows) adds care plans with goals, care teams with
    members and implanted devices in proportion to the patients; a second run of the care
    part adds none; the same seed makes the same rows."""
    from emr_api.cli import demo
    from emr_api.cli.demo_care import demo_care
    from emr_api.server.app import create_app
    from emr_api.settings import Settings

    def made(folder):
        application = create_app(Settings(data_dir=tmp_path / folder))
        site = application.registry.get("default")
        demo.seed_users(site)
        counts = demo.generate(site, 60, seed=3)
        again = demo_care(site, seed=3)
        with site.db.read() as s:
            kinds = set(s.execute(select(CarePlanItem.care_plan_type)).scalars())
            roles = set(s.execute(select(CareTeamMember.role)).scalars())
            devices = s.execute(select(Issue.title, Issue.udi_data).where(
                Issue.type == "medical_device").order_by(Issue.id)).all()
        application.close()
        return counts, again, kinds, roles, devices

    counts, again, kinds, roles, devices = made("one")
    assert counts["care_plans"] > 0 and counts["care_plan_lines"] >= counts["care_plans"]
    assert 0 < counts["care_teams"] <= 61 and counts["care_team_members"] >= 3 * counts[
        "care_teams"]
    assert counts["devices"] == len(devices) > 0
    assert again == {"care_plans": 0, "care_plan_lines": 0, "care_teams": 0,
                     "care_team_members": 0, "devices": 0}
    assert "goal" in kinds and {"primary_care_provider", "patient"} <= roles
    parts = json.loads(devices[0].udi_data)["standard_elements"]
    assert len(parts["di"]) == 14 and parts["udi"].startswith(f"(01){parts['di']}(11)")
    assert made("two")[4] == devices
