"""/medical_problem and /patient/{puuid}/medical_problem (OpenEMR's `lists` rows of type
medical_problem): OpenEMR's ConditionValidator (title and begdate required, dates as
YYYY-MM-DD), partial updates, delete, another patient's row, paging, scopes, and OpenEMR's
split ACL: the lists need encounters/notes, one problem by the patient's path and every
write need patients/med."""

from __future__ import annotations

import secrets
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from emr_api.auth.passwords import hash_password
from emr_api.db.models import AuditLog, User
from tests.conftest import BASE_URL, bearer, password_token, register_client
from tests.standard.answers import invalid

API = "/apis/default/api"


def make_patient(client, admin, lname="Problem") -> dict:
    r = client.post(f"{API}/patient", json={"fname": "Bo", "lname": lname, "sex": "Male",
                                            "DOB": "1960-07-08"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def problem_body(**overrides) -> dict:
    body = {"title": "Essential hypertension", "begdate": "2018-06-01", "diagnosis": "ICD10:I10"}
    body.update(overrides)
    return body


def base(puuid: str) -> str:
    return f"{API}/patient/{puuid}/medical_problem"


def create(client, headers, owner, **overrides) -> dict:
    r = client.post(base(owner), json=problem_body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def read(client, headers, owner, muuid) -> dict:
    r = client.get(f"{base(owner)}/{muuid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


@pytest.fixture()
def mine(client, admin) -> dict:
    return make_patient(client, admin)


@pytest.fixture()
def theirs(client, admin) -> dict:
    return make_patient(client, admin, lname="Other")


@pytest.fixture(scope="module")
def no_acl(client, app, app_client) -> dict:
    """A user whose ACL group holds no section at all (every scope in the token)."""
    username = "noacl_" + secrets.token_hex(4)
    with app.registry.get("default").db.write() as s:
        s.add(User(username=username, password_hash=hash_password("no-acl-pass"),
                   acl_group="none", fname="No", lname="Acl", email=f"{username}@example.com"))
    return bearer(password_token(client, app_client, username=username, password="no-acl-pass"))


# --- create and read ------------------------------------------------------------------

def test_create_answers_201_with_id_and_uuid_and_reads_back(client, admin, mine):
    ids = create(client, admin, mine["uuid"], enddate="2020-01-01")
    assert set(ids) == {"id", "uuid"} and isinstance(ids["id"], int)
    data = read(client, admin, mine["uuid"], ids["uuid"])
    assert (data["id"], data["uuid"], data["type"]) == (ids["id"], ids["uuid"], "medical_problem")
    assert data["title"] == "Essential hypertension" and data["diagnosis"] == "ICD10:I10"
    assert (data["begdate"], data["enddate"]) == ("2018-06-01", "2020-01-01")
    assert (data["pid"], data["puuid"], data["activity"]) == (mine["pid"], mine["uuid"], 1)


@pytest.mark.parametrize("field", ["title", "begdate"])
def test_title_and_begdate_are_required(client, admin, mine, field):
    body = problem_body()
    del body[field]
    invalid(client.post(base(mine["uuid"]), json=body, headers=admin), field)
    invalid(client.post(base(mine["uuid"]), json={**body, field: None}, headers=admin), field)


@pytest.mark.parametrize("field, value", [
    ("title", "x"),
    ("title", "x" * 256),
    ("diagnosis", "I"),
    ("begdate", "2018-06-01 10:00:00"),  # ConditionValidator: Y-m-d only
    ("begdate", "2018-02-30"),
    ("begdate", "1 June 2018"),
    ("enddate", "2019-04-31"),
    ("enddate", "2019-04-01T00:00"),
])
def test_invalid_values_are_400_naming_the_field(client, admin, mine, field, value):
    invalid(client.post(base(mine["uuid"]), json=problem_body(**{field: value}), headers=admin),
            field)
    assert client.get(base(mine["uuid"]), headers=admin).json()["data"] == []


def test_the_body_cannot_choose_the_patient_the_id_or_the_type(client, admin, mine, theirs):
    forced = str(uuid.uuid4())
    ids = create(client, admin, mine["uuid"], pid=theirs["pid"], id=7, uuid=forced,
                 type="allergy")
    assert ids["uuid"] != forced
    data = read(client, admin, mine["uuid"], ids["uuid"])
    assert (data["pid"], data["type"]) == (mine["pid"], "medical_problem")
    assert client.get(base(theirs["uuid"]), headers=admin).json()["data"] == []


# --- lists ----------------------------------------------------------------------------

def test_the_patients_list_pages_with_links(client, admin, mine, theirs):
    made = [create(client, admin, mine["uuid"], title=f"Problem {i}")["uuid"] for i in range(3)]
    create(client, admin, theirs["uuid"])
    first = client.get(base(mine["uuid"]), params={"_limit": 2}, headers=admin).json()
    assert [p["uuid"] for p in first["data"]] == made[:2]
    nxt = urlsplit(first["links"]["next"])
    assert BASE_URL + nxt.path == BASE_URL + f"/apis/default/api/patient/{mine['uuid']}/medical_problem"
    assert parse_qs(nxt.query) == {"_limit": ["2"], "_offset": ["2"]}
    second = client.get(base(mine["uuid"]), params={"_limit": 2, "_offset": 2},
                        headers=admin).json()
    assert [p["uuid"] for p in second["data"]] == made[2:]
    assert second["links"]["next"] is None and second["links"]["previous"] is not None


def test_the_list_across_patients_holds_problems_only(client, admin, mine, theirs):
    tag = "Rare syndrome " + secrets.token_hex(3)
    a = create(client, admin, mine["uuid"], title=tag)
    b = create(client, admin, theirs["uuid"], title=tag)
    r = client.post(f"{API}/patient/{mine['uuid']}/allergy", json={"title": tag}, headers=admin)
    assert r.status_code == 201
    body = client.get(f"{API}/medical_problem", params={"title": tag}, headers=admin).json()
    assert [(p["uuid"], p["puuid"]) for p in body["data"]] == [(a["uuid"], mine["uuid"]),
                                                              (b["uuid"], theirs["uuid"])]
    page = client.get(f"{API}/medical_problem", params={"title": tag, "_limit": 1,
                                                        "_sort": "-id"}, headers=admin).json()
    assert [p["uuid"] for p in page["data"]] == [b["uuid"]] and page["links"]["next"]
    one = client.get(f"{API}/medical_problem/{a['uuid']}", headers=admin)
    assert one.status_code == 200 and one.json()["data"]["title"] == tag
    allergy = r.json()["data"]["uuid"]
    assert client.get(f"{API}/medical_problem/{allergy}", headers=admin).status_code == 404


# --- update and delete ----------------------------------------------------------------

def test_update_changes_only_the_fields_sent(client, admin, mine):
    ids = create(client, admin, mine["uuid"])
    r = client.put(f"{base(mine['uuid'])}/{ids['uuid']}",
                   json={"enddate": "2023-05-06", "diagnosis": None, "pid": 1, "id": 1},
                   headers=admin)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["enddate"], data["diagnosis"]) == ("2023-05-06", None)
    assert (data["title"], data["begdate"]) == ("Essential hypertension", "2018-06-01")
    assert (data["id"], data["pid"]) == (ids["id"], mine["pid"])
    assert read(client, admin, mine["uuid"], ids["uuid"]) == data


@pytest.mark.parametrize("body, field", [
    ({"title": None}, "title"),
    ({"begdate": None}, "begdate"),
    ({"begdate": "2018-13-01"}, "begdate"),
    ({"title": "Changed", "enddate": "2018-06-01 12:00:00"}, "enddate"),
])
def test_a_refused_update_changes_nothing(client, admin, mine, body, field):
    ids = create(client, admin, mine["uuid"])
    invalid(client.put(f"{base(mine['uuid'])}/{ids['uuid']}", json=body, headers=admin), field)
    data = read(client, admin, mine["uuid"], ids["uuid"])
    assert (data["title"], data["begdate"]) == ("Essential hypertension", "2018-06-01")


def test_delete_removes_the_row(client, admin, mine):
    ids = create(client, admin, mine["uuid"])
    r = client.delete(f"{base(mine['uuid'])}/{ids['uuid']}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"uuid": ids["uuid"]}
    assert client.get(f"{API}/medical_problem/{ids['uuid']}", headers=admin).status_code == 404
    assert client.get(base(mine["uuid"]), headers=admin).json()["data"] == []


def test_another_patients_problem_is_not_reachable_through_this_patient(client, admin, mine,
                                                                        theirs):
    their = create(client, admin, theirs["uuid"], title="Private problem")
    path = f"{base(mine['uuid'])}/{their['uuid']}"
    for r in (client.get(path, headers=admin),
              client.put(path, json={"title": "Tampered"}, headers=admin),
              client.delete(path, headers=admin)):
        assert r.status_code == 404, r.text
        assert "muuid" in r.json()["internalErrors"][0]
    assert read(client, admin, theirs["uuid"], their["uuid"])["title"] == "Private problem"


def test_unknown_and_malformed_ids(client, admin, mine):
    missing = str(uuid.uuid4())
    assert client.get(base(missing), headers=admin).status_code == 404
    assert client.post(base(missing), json=problem_body(), headers=admin).status_code == 404
    assert client.get(f"{base(mine['uuid'])}/{missing}", headers=admin).status_code == 404
    assert client.get(f"{API}/medical_problem/{missing}", headers=admin).status_code == 404
    invalid(client.get(f"{base(mine['uuid'])}/42", headers=admin), "muuid")
    invalid(client.put(f"{API}/patient/42/medical_problem/{missing}", json={"title": "xy"},
                       headers=admin), "puuid")


# --- scopes, ACLs, audit --------------------------------------------------------------

def test_each_operation_needs_its_scope(client, app_client, admin, mine):
    ids = create(client, admin, mine["uuid"])
    one = f"{base(mine['uuid'])}/{ids['uuid']}"
    allergy_reader = bearer(password_token(client, app_client,
                                           scope="api:oemr user/allergy.read"))
    reader = bearer(password_token(client, app_client, scope="api:oemr user/medical_problem.read"))
    for url in (f"{API}/medical_problem", f"{API}/medical_problem/{ids['uuid']}",
                base(mine["uuid"]), one):
        assert client.get(url, headers=allergy_reader).status_code == 403, url
        assert client.get(url, headers=reader).status_code == 200, url
    assert client.post(base(mine["uuid"]), json=problem_body(), headers=reader).status_code == 403
    assert client.put(one, json={"title": "xy"}, headers=reader).status_code == 403
    assert client.delete(one, headers=reader).status_code == 403
    v2 = register_client(client, scope="api:oemr user/medical_problem.u")
    updater = bearer(password_token(client, v2, scope="api:oemr user/medical_problem.u"))
    assert client.put(one, json={"title": "Hypertension"}, headers=updater).status_code == 200
    assert client.get(one, headers=updater).status_code == 403
    assert client.delete(one, headers=updater).status_code == 403
    assert read(client, admin, mine["uuid"], ids["uuid"])["title"] == "Hypertension"


def test_front_office_may_list_problems_but_not_read_one_by_patient_or_write(
        client, admin, front_office, mine):
    """OpenEMR: the lists need encounters/notes (the front office has it); one problem
    through the patient's path and every write need patients/med (it has not)."""
    ids = create(client, admin, mine["uuid"], title="Untouched")
    one = f"{base(mine['uuid'])}/{ids['uuid']}"
    for url in (f"{API}/medical_problem", f"{API}/medical_problem/{ids['uuid']}",
                base(mine["uuid"])):
        assert client.get(url, headers=front_office).status_code == 200, url
    refused = [client.get(one, headers=front_office),
               client.post(base(mine["uuid"]), json=problem_body(), headers=front_office),
               client.put(one, json={"title": "Tampered"}, headers=front_office),
               client.delete(one, headers=front_office)]
    assert [r.status_code for r in refused] == [403] * 4
    assert all("patients/med" in r.json()["internalErrors"][0] for r in refused)
    assert [p["title"] for p in client.get(base(mine["uuid"]), headers=admin).json()["data"]] \
        == ["Untouched"]


def test_a_user_without_encounters_notes_may_not_list_problems(client, admin, no_acl, mine):
    ids = create(client, admin, mine["uuid"])
    for url in (f"{API}/medical_problem", f"{API}/medical_problem/{ids['uuid']}",
                base(mine["uuid"])):
        r = client.get(url, headers=no_acl)
        assert r.status_code == 403, url
        assert "encounters/notes" in r.json()["internalErrors"][0]


def test_the_audit_row_names_the_patient(client, app, admin, mine):
    ids = create(client, admin, mine["uuid"])
    site = app.registry.get("default")
    for r in (client.get(f"{API}/medical_problem/{ids['uuid']}", headers=admin),
              client.get(base(mine["uuid"]), headers=admin),
              client.delete(f"{base(mine['uuid'])}/{ids['uuid']}", headers=admin)):
        assert r.status_code == 200, r.text
        with site.db.read() as s:
            row = s.execute(select(AuditLog).where(
                AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
            assert row.patient_uuid == mine["uuid"]
