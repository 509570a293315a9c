"""/patient/{pid}/encounter/{eid}/soap_note (OpenEMR's form_soap, linked to the encounter
by `forms`): OpenEMR's documented body, sections of 2-65535 characters or empty, `{sid,
fid}` answers, a PUT writing the note whole; a note of another encounter or patient never
read or changed through this path; paging; scopes, the encounters/notes ACL and the audit
row."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from emr_api.auth.passwords import hash_password
from emr_api.db.models import AuditLog, EncounterForm, SoapNote, User
from tests.conftest import bearer, password_token, register_client
from tests.standard.answers import invalid, not_found

API = "/apis/default/api"
# OpenEMR's documented example body (swagger).
OPENEMR_EXAMPLE = {"subjective": "The patient with mechanical fall and cut finger.",
                   "objective": "The patient with finger laceration on exam.",
                   "assessment": "The patient with finger laceration requiring sutures.",
                   "plan": "Sutured finger laceration."}
SECTIONS = ("subjective", "objective", "assessment", "plan")


def make_patient(client, admin, lname="Soapy") -> dict:
    r = client.post(f"{API}/patient", json={"fname": "Sam", "lname": lname, "sex": "Female",
                                            "DOB": "1977-09-10"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def make_encounter(client, admin, patient) -> int:
    """A new encounter of the patient; its number (OpenEMR's `eid` in these paths)."""
    r = client.post(f"{API}/patient/{patient['uuid']}/encounter",
                    json={"pc_catid": 5, "class_code": "AMB", "reason": "Cut finger"},
                    headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]["encounter"]


def base(patient: dict, eid: int) -> str:
    return f"{API}/patient/{patient['pid']}/encounter/{eid}/soap_note"


def create(client, headers, patient, eid, body=None) -> dict:
    r = client.post(base(patient, eid), json=OPENEMR_EXAMPLE if body is None else body,
                    headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def read(client, headers, patient, eid, sid) -> dict:
    r = client.get(f"{base(patient, eid)}/{sid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def listed(client, headers, patient, eid, **params) -> list[dict]:
    r = client.get(base(patient, eid), params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


@pytest.fixture()
def mine(client, admin) -> dict:
    patient = make_patient(client, admin)
    return {**patient, "eid": make_encounter(client, admin, patient)}


@pytest.fixture()
def theirs(client, admin) -> dict:
    patient = make_patient(client, admin, lname="Other")
    return {**patient, "eid": make_encounter(client, admin, patient)}


# --- create and read ------------------------------------------------------------------

def test_openemrs_documented_example_creates_and_reads_back(client, app, admin, mine):
    ids = create(client, admin, mine, mine["eid"])
    assert set(ids) == {"sid", "fid"}
    assert isinstance(ids["sid"], int) and isinstance(ids["fid"], int)
    data = read(client, admin, mine, mine["eid"], ids["sid"])
    assert {name: data[name] for name in SECTIONS} == OPENEMR_EXAMPLE
    assert data["id"] == ids["sid"]
    assert (data["pid"], data["puuid"], data["eid"]) == (mine["pid"], mine["uuid"], mine["eid"])
    assert (data["authorized"], data["activity"], data["user"]) == (1, 1, "admin")
    with app.registry.get("default").db.read() as s:
        link = s.get(EncounterForm, ids["fid"])
        assert (link.formdir, link.form_name, link.form_id) == ("soap", "SOAP", ids["sid"])
        assert (link.pid, link.encounter) == (mine["pid"], mine["eid"])


def test_sections_are_optional_and_may_be_empty(client, admin, mine):
    ids = create(client, admin, mine, mine["eid"], {"subjective": "Feels fine", "plan": ""})
    data = read(client, admin, mine, mine["eid"], ids["sid"])
    assert (data["subjective"], data["objective"], data["plan"]) == ("Feels fine", None, "")
    assert create(client, admin, mine, mine["eid"], {})["sid"] > ids["sid"]


def test_a_section_may_be_65535_characters_of_any_script(client, admin, mine):
    """65,535 characters of utf8mb4 are more bytes than MariaDB's TEXT holds."""
    long = "é😀" * 32767 + "x"
    ids = create(client, admin, mine, mine["eid"], {"plan": long})
    assert read(client, admin, mine, mine["eid"], ids["sid"])["plan"] == long


@pytest.mark.parametrize("field, value", [
    ("subjective", "x"),
    ("objective", "x" * 65536),
    ("assessment", 5),
    ("plan", ["a", "b"]),
    ("plan", "nul\x00here"),
])
def test_invalid_values_are_400_naming_the_field(client, admin, mine, field, value):
    invalid(client.post(base(mine, mine["eid"]), json={**OPENEMR_EXAMPLE, field: value},
                        headers=admin), field)
    assert listed(client, admin, mine, mine["eid"]) == []


def test_lone_surrogates_are_400_naming_the_field(client, admin, mine):
    invalid(client.post(base(mine, mine["eid"]), content=b'{"objective": "ab\\ud800cd"}',
                        headers={**admin, "Content-Type": "application/json"}), "objective")


def test_the_body_cannot_choose_the_patient_the_encounter_or_the_ids(client, admin, mine,
                                                                    theirs):
    ids = create(client, admin, mine, mine["eid"],
                 {**OPENEMR_EXAMPLE, "pid": theirs["pid"], "eid": theirs["eid"], "id": 987654,
                  "sid": 987654, "uuid": "00000000-0000-4000-8000-000000000000"})
    assert ids["sid"] != 987654
    data = read(client, admin, mine, mine["eid"], ids["sid"])
    assert (data["pid"], data["eid"]) == (mine["pid"], mine["eid"])
    assert data["uuid"] != "00000000-0000-4000-8000-000000000000"
    assert listed(client, admin, theirs, theirs["eid"]) == []


# --- list -----------------------------------------------------------------------------

def test_the_list_holds_this_encounters_notes_newest_first(client, admin, mine, theirs):
    older = create(client, admin, mine, mine["eid"], {"subjective": "Older"})
    newer = create(client, admin, mine, mine["eid"], {"subjective": "Newer"})
    later_encounter = make_encounter(client, admin, mine)
    create(client, admin, mine, later_encounter, {"subjective": "Later encounter"})
    create(client, admin, theirs, theirs["eid"], {"subjective": "Theirs"})
    r = client.post(f"{API}/patient/{mine['pid']}/encounter/{mine['eid']}/vital",
                    json={"pulse": "60"}, headers=admin)
    assert r.status_code == 201
    rows = listed(client, admin, mine, mine["eid"])
    assert [x["subjective"] for x in rows] == ["Newer", "Older"]
    assert [x["id"] for x in listed(client, admin, mine, mine["eid"], _sort="id")] == \
        [older["sid"], newer["sid"]]
    page = client.get(base(mine, mine["eid"]), params={"_limit": 1}, headers=admin).json()
    assert [x["id"] for x in page["data"]] == [newer["sid"]] and page["links"]["next"]


# --- update ---------------------------------------------------------------------------

def test_update_writes_the_note_whole_and_answers_its_sid(client, app, admin, mine):
    """As OpenEMR: the four sections are written together; one left out is cleared."""
    ids = create(client, admin, mine, mine["eid"])
    with app.registry.get("default").db.write() as s:
        s.get(SoapNote, ids["sid"]).date = s.get(SoapNote, ids["sid"]).date.replace(year=2001)
    path = f"{base(mine, mine['eid'])}/{ids['sid']}"
    r = client.put(path, json={"subjective": "Revised", "plan": "Suture removal in 10 days."},
                   headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"validationErrors": [], "internalErrors": [], "data": {"sid": ids["sid"]}}
    data = read(client, admin, mine, mine["eid"], ids["sid"])
    assert [data[name] for name in SECTIONS] == \
        ["Revised", None, None, "Suture removal in 10 days."]
    assert not data["date"].startswith("2001")


def test_update_cannot_move_the_note_or_change_its_ids(client, admin, mine, theirs):
    ids = create(client, admin, mine, mine["eid"])
    before = read(client, admin, mine, mine["eid"], ids["sid"])
    r = client.put(f"{base(mine, mine['eid'])}/{ids['sid']}",
                   json={**OPENEMR_EXAMPLE, "pid": theirs["pid"], "eid": theirs["eid"], "id": 1,
                         "uuid": "00000000-0000-4000-8000-000000000000"}, headers=admin)
    assert r.status_code == 200, r.text
    data = read(client, admin, mine, mine["eid"], ids["sid"])
    assert (data["pid"], data["eid"], data["uuid"]) == (mine["pid"], mine["eid"], before["uuid"])


def test_a_refused_update_changes_nothing(client, admin, mine):
    ids = create(client, admin, mine, mine["eid"])
    invalid(client.put(f"{base(mine, mine['eid'])}/{ids['sid']}",
                       json={"subjective": "Changed", "plan": "x"}, headers=admin), "plan")
    data = read(client, admin, mine, mine["eid"], ids["sid"])
    assert {name: data[name] for name in SECTIONS} == OPENEMR_EXAMPLE


# --- another patient's or encounter's note, unknown and malformed ids -----------------

def test_another_patients_note_is_never_read_or_changed_through_this_path(client, admin, mine,
                                                                         theirs):
    their = create(client, admin, theirs, theirs["eid"])
    for patient, eid, field in ((mine, mine["eid"], "sid"), (mine, theirs["eid"], "eid"),
                                (theirs, mine["eid"], "eid")):
        path = f"{base(patient, eid)}/{their['sid']}"
        not_found(client.get(path, headers=admin), field)
        not_found(client.put(path, json={"plan": "Tampered"}, headers=admin), field)
    assert read(client, admin, theirs, theirs["eid"], their["sid"])["plan"] == \
        OPENEMR_EXAMPLE["plan"]


def test_another_encounters_note_is_never_read_or_changed_through_this_path(client, admin,
                                                                           mine):
    other_eid = make_encounter(client, admin, mine)
    their = create(client, admin, mine, other_eid)
    path = f"{base(mine, mine['eid'])}/{their['sid']}"
    not_found(client.get(path, headers=admin), "sid")
    not_found(client.put(path, json={"plan": "Tampered"}, headers=admin), "sid")
    assert read(client, admin, mine, other_eid, their["sid"])["plan"] == OPENEMR_EXAMPLE["plan"]


def test_unknown_patient_and_encounter_are_404(client, admin, mine):
    not_found(client.get(base({"pid": 2147483000}, mine["eid"]), headers=admin), "pid")
    not_found(client.post(base(mine, 2147483000), json=OPENEMR_EXAMPLE, headers=admin), "eid")
    not_found(client.put(f"{base(mine, mine['eid'])}/2147483000", json=OPENEMR_EXAMPLE,
                         headers=admin), "sid")


@pytest.mark.parametrize("pid, eid, sid, field", [
    ("abc", "1", "1", "pid"), ("1", "-1", "1", "eid"), ("1", "1", "one", "sid"),
])
def test_malformed_ids_are_400(client, admin, pid, eid, sid, field):
    invalid(client.get(f"{API}/patient/{pid}/encounter/{eid}/soap_note/{sid}", headers=admin),
            field)


# --- scopes, ACL, audit ---------------------------------------------------------------

def test_no_token_is_401(client, mine):
    assert client.get(base(mine, mine["eid"])).status_code == 401
    assert client.post(base(mine, mine["eid"]), json=OPENEMR_EXAMPLE).status_code == 401


def test_each_operation_needs_its_scope(client, app_client, admin, mine):
    ids = create(client, admin, mine, mine["eid"])
    one = f"{base(mine, mine['eid'])}/{ids['sid']}"
    other = bearer(password_token(client, app_client, scope="api:oemr user/vital.read"))
    reader = bearer(password_token(client, app_client, scope="api:oemr user/soap_note.read"))
    for url in (base(mine, mine["eid"]), one):
        assert client.get(url, headers=other).status_code == 403
        assert client.get(url, headers=reader).status_code == 200
    assert client.post(base(mine, mine["eid"]), json=OPENEMR_EXAMPLE,
                       headers=reader).status_code == 403
    assert client.put(one, json=OPENEMR_EXAMPLE, headers=reader).status_code == 403
    v2 = register_client(client, scope="api:oemr user/soap_note.c")
    creator = bearer(password_token(client, v2, scope="api:oemr user/soap_note.c"))
    assert client.post(base(mine, mine["eid"]), json=OPENEMR_EXAMPLE,
                       headers=creator).status_code == 201
    assert client.put(one, json=OPENEMR_EXAMPLE, headers=creator).status_code == 403
    assert client.get(one, headers=creator).status_code == 403


def test_the_encounters_notes_acl_is_needed(client, app, app_client, admin, mine):
    site = app.registry.get("default")
    with site.db.write() as s:
        if s.execute(select(User.id).where(User.username == "soap-billing")).first() is None:
            s.add(User(username="soap-billing", password_hash=hash_password("billing-pass"),
                       acl_group="billing", fname="Bill", lname="Ing"))
    outsider = bearer(password_token(client, app_client, username="soap-billing",
                                     password="billing-pass"))
    ids = create(client, admin, mine, mine["eid"])
    one = f"{base(mine, mine['eid'])}/{ids['sid']}"
    responses = [client.get(base(mine, mine["eid"]), headers=outsider),
                 client.post(base(mine, mine["eid"]), json=OPENEMR_EXAMPLE, headers=outsider),
                 client.get(one, headers=outsider),
                 client.put(one, json={"plan": "Tampered"}, headers=outsider)]
    assert [r.status_code for r in responses] == [403] * 4
    assert all("encounters/notes" in r.json()["internalErrors"][0] for r in responses)
    assert read(client, admin, mine, mine["eid"], ids["sid"])["plan"] == OPENEMR_EXAMPLE["plan"]


def test_the_audit_row_names_the_patient(client, app, admin, mine):
    site = app.registry.get("default")
    made = client.post(base(mine, mine["eid"]), json=OPENEMR_EXAMPLE, headers=admin)
    one = f"{base(mine, mine['eid'])}/{made.json()['data']['sid']}"
    for r in (made, client.get(base(mine, mine["eid"]), headers=admin),
              client.get(one, headers=admin), client.put(one, json=OPENEMR_EXAMPLE, headers=admin)):
        assert r.status_code in (200, 201), r.text
        with site.db.read() as s:
            row = s.execute(select(AuditLog).where(
                AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
            assert row.patient_uuid == mine["uuid"]
