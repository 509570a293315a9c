"""/patient/{pid}/encounter/{eid}/vital (OpenEMR's form_vitals, linked to the encounter by
`forms`): OpenEMR's documented bodies, numbers as strings or numbers, ranges, `{vid, fid}`
answers, a PUT writing the form whole, the encounter meant by its number; a vitals form
of another encounter or patient never read or changed through this path; paging; scopes,
the encounters/notes ACL and the audit row."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from emr_api.auth.passwords import hash_password
from emr_api.db.models import AuditLog, Encounter, EncounterForm, User, Vital
from tests.conftest import BASE_URL, bearer, password_token, register_client
from tests.standard.answers import invalid, not_found

API = "/apis/default/api"
# OpenEMR's documented example body (API_README, swagger).
OPENEMR_EXAMPLE = {"bps": "130", "bpd": "80", "weight": "220", "height": "70",
                   "temperature": "98", "temp_method": "Oral", "pulse": "60",
                   "respiration": "20", "note": "...", "waist_circ": "37", "head_circ": "22.2",
                   "oxygen_saturation": "80"}
# The same in metric units, as clients send it too.
METRIC_EXAMPLE = {**OPENEMR_EXAMPLE, "weight": "100", "height": "180", "temperature": "38"}


def make_patient(client, admin, lname="Vitals") -> dict:
    r = client.post(f"{API}/patient", json={"fname": "Vic", "lname": lname, "sex": "Male",
                                            "DOB": "1968-07-08"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def make_encounter(client, admin, patient) -> int:
    """A new encounter of the patient; its number (OpenEMR's `eid` in these paths)."""
    r = client.post(f"{API}/patient/{patient['uuid']}/encounter",
                    json={"pc_catid": 5, "class_code": "AMB", "reason": "Check-up"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]["encounter"]


def base(patient: dict, eid: int) -> str:
    return f"{API}/patient/{patient['pid']}/encounter/{eid}/vital"


def create(client, headers, patient, eid, body=None) -> dict:
    r = client.post(base(patient, eid), json=OPENEMR_EXAMPLE if body is None else body,
                    headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def read(client, headers, patient, eid, vid) -> dict:
    r = client.get(f"{base(patient, eid)}/{vid}", headers=headers)
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

def test_openemrs_documented_example_creates_and_reads_back(client, admin, mine):
    ids = create(client, admin, mine, mine["eid"])
    assert set(ids) == {"vid", "fid"}
    assert isinstance(ids["vid"], int) and isinstance(ids["fid"], int)
    data = read(client, admin, mine, mine["eid"], ids["vid"])
    assert data["id"] == ids["vid"]
    assert (data["pid"], data["puuid"], data["eid"]) == (mine["pid"], mine["uuid"], mine["eid"])
    assert (data["bps"], data["bpd"]) == ("130", "80")
    assert (data["weight"], data["height"], data["temperature"]) == (220, 70, 98)
    assert (data["pulse"], data["respiration"], data["oxygen_saturation"]) == (60, 20, 80)
    assert (data["waist_circ"], data["head_circ"]) == (37, 22.2)
    assert (data["temp_method"], data["note"]) == ("Oral", "...")
    assert data["BMI"] is None and data["BMI_status"] is None
    assert (data["authorized"], data["activity"], data["user"]) == (1, 1, "admin")
    assert len(data["date"]) == 19 and data["uuid"]


def test_metric_values_and_json_numbers_are_accepted(client, admin, mine):
    ids = create(client, admin, mine, mine["eid"], METRIC_EXAMPLE)
    data = read(client, admin, mine, mine["eid"], ids["vid"])
    assert (data["weight"], data["height"], data["temperature"]) == (100, 180, 38)
    ids = create(client, admin, mine, mine["eid"],
                 {"bps": 128.5, "bpd": 79, "weight": 70.25, "BMI": 22.9, "BMI_status": "Normal",
                  "oxygen_saturation": 97.125, "oxygen_flow_rate": "2",
                  "inhaled_oxygen_concentration": 28, "ped_bmi": "55.5"})
    data = read(client, admin, mine, mine["eid"], ids["vid"])
    assert (data["bps"], data["bpd"]) == ("128.5", "79")
    assert (data["weight"], data["BMI"], data["BMI_status"]) == (70.25, 22.9, "Normal")
    assert data["oxygen_saturation"] == 97.13  # OpenEMR's column keeps two places
    assert (data["oxygen_flow_rate"], data["inhaled_oxygen_concentration"]) == (2, 28)
    assert data["ped_bmi"] == 55.5


def test_numbers_are_kept_to_openemrs_places(client, admin, mine):
    """Six places (two for oxygen saturation), rounded half away from zero, as MariaDB
    rounds OpenEMR's DECIMAL columns; bps/bpd text the same way (found by Schemathesis:
    2.2e-308 written out did not fit the 40-character column)."""
    ids = create(client, admin, mine, mine["eid"],
                 {"bps": 2.225073858507203e-308, "bpd": "99.63080779605902",
                  "weight": 0.0000005, "height": "70.1234567", "oxygen_saturation": "99.995"})
    data = read(client, admin, mine, mine["eid"], ids["vid"])
    assert (data["bps"], data["bpd"]) == ("0", "99.630808")
    assert (data["weight"], data["height"], data["oxygen_saturation"]) == (0.000001, 70.123457, 100)


def test_every_field_is_optional_and_empty_means_not_measured(client, admin, mine):
    ids = create(client, admin, mine, mine["eid"], {})
    data = read(client, admin, mine, mine["eid"], ids["vid"])
    assert all(data[f] is None for f in ("bps", "weight", "temperature", "note", "pulse"))
    ids = create(client, admin, mine, mine["eid"],
                 {"bps": "", "weight": "", "pulse": None, "note": "", "temperature": "0"})
    data = read(client, admin, mine, mine["eid"], ids["vid"])
    assert (data["bps"], data["weight"], data["pulse"]) == (None, None, None)
    assert (data["note"], data["temperature"]) == ("", 0)


@pytest.mark.parametrize("field, value", [
    ("bps", "abc"),
    ("bps", "-5"),
    ("bps", "401"),
    ("bpd", -1),
    ("weight", "2000.5"),
    ("weight", "1e2"),
    ("weight", "12,5"),
    ("height", True),
    ("temperature", 201),
    ("pulse", [60]),
    ("respiration", "20 "),
    ("BMI", 1000),
    ("oxygen_saturation", "100.01"),
    ("oxygen_saturation", 150),
    ("head_circ", "NaN"),
    ("ped_head_circ", "101"),
    ("note", "x" * 256),
    ("note", "nul\x00"),
    ("temp_method", 5),
    ("BMI_status", {"a": 1}),
])
def test_invalid_values_are_400_naming_the_field(client, admin, mine, field, value):
    invalid(client.post(base(mine, mine["eid"]), json={**OPENEMR_EXAMPLE, field: value},
                        headers=admin), field)
    assert listed(client, admin, mine, mine["eid"]) == []


@pytest.mark.parametrize("raw, field", [
    (b'{"weight": NaN}', "weight"),
    (b'{"pulse": Infinity}', "pulse"),
    (b'{"bps": -Infinity}', "bps"),
    (b'{"note": "ab\\udc00cd"}', "note"),
])
def test_what_json_parsers_let_through_is_400_naming_the_field(client, admin, mine, raw, field):
    invalid(client.post(base(mine, mine["eid"]), content=raw,
                        headers={**admin, "Content-Type": "application/json"}), field)
    assert listed(client, admin, mine, mine["eid"]) == []


def test_the_body_cannot_choose_the_patient_the_encounter_or_the_ids(client, admin, mine,
                                                                    theirs):
    ids = create(client, admin, mine, mine["eid"],
                 {**OPENEMR_EXAMPLE, "pid": theirs["pid"], "eid": theirs["eid"], "id": 987654,
                  "vid": 987654, "uuid": "00000000-0000-4000-8000-000000000000",
                  "encounter": theirs["eid"], "date": "2001-01-01 00:00:00", "user": "mallory"})
    assert ids["vid"] != 987654
    data = read(client, admin, mine, mine["eid"], ids["vid"])
    assert (data["pid"], data["eid"], data["user"]) == (mine["pid"], mine["eid"], "admin")
    assert data["uuid"] != "00000000-0000-4000-8000-000000000000"
    assert not data["date"].startswith("2001")
    assert listed(client, admin, theirs, theirs["eid"]) == []


def test_the_forms_row_links_the_vitals_to_the_encounter(client, app, admin, mine):
    ids = create(client, admin, mine, mine["eid"])
    with app.registry.get("default").db.read() as s:
        link = s.get(EncounterForm, ids["fid"])
        assert (link.formdir, link.form_name, link.form_id) == ("vitals", "Vitals", ids["vid"])
        assert (link.pid, link.encounter, link.deleted, link.user) == \
            (mine["pid"], mine["eid"], False, "admin")


# --- the encounter is meant by its number ---------------------------------------------

def test_eid_is_the_encounter_number_not_the_row_id(client, app, admin, mine):
    """OpenEMR's routes mean form_encounter.encounter by `eid`."""
    site = app.registry.get("default")
    other = make_patient(client, admin, lname="Numbered")
    with site.db.write() as s:
        highest = s.execute(select(func.max(Encounter.encounter))).scalar() or 0
        row = Encounter(pid=other["pid"], encounter=highest + 1000, pc_catid=5,
                        class_code="AMB", date=datetime(2024, 5, 6, 10, 0))
        s.add(row)
        s.flush()
        row_id, number = row.eid, row.encounter
    assert row_id != number
    ids = create(client, admin, other, number)
    assert read(client, admin, other, number, ids["vid"])["eid"] == number
    not_found(client.get(base(other, row_id), headers=admin), "eid")
    not_found(client.post(base(other, row_id), json=OPENEMR_EXAMPLE, headers=admin), "eid")


# --- list -----------------------------------------------------------------------------

def test_the_list_holds_this_encounters_vitals_newest_first(client, admin, mine, theirs):
    older = create(client, admin, mine, mine["eid"], {"pulse": 61})
    newer = create(client, admin, mine, mine["eid"], {"pulse": 62})
    later_encounter = make_encounter(client, admin, mine)
    create(client, admin, mine, later_encounter, {"pulse": 63})
    create(client, admin, theirs, theirs["eid"], {"pulse": 64})
    rows = listed(client, admin, mine, mine["eid"])
    assert [x["id"] for x in rows] == [newer["vid"], older["vid"]]
    assert {(x["pid"], x["eid"]) for x in rows} == {(mine["pid"], mine["eid"])}
    assert [x["id"] for x in listed(client, admin, mine, mine["eid"], _sort="id")] == \
        [older["vid"], newer["vid"]]
    assert [x["pulse"] for x in listed(client, admin, mine, later_encounter)] == [63]


def test_the_list_pages_with_links(client, admin, mine):
    made = [create(client, admin, mine, mine["eid"], {"pulse": 60 + i})["vid"] for i in range(3)]
    r = client.get(base(mine, mine["eid"]), params={"_limit": 2}, headers=admin)
    body = r.json()
    assert [x["id"] for x in body["data"]] == made[::-1][:2]
    nxt = urlsplit(body["links"]["next"])
    assert f"{nxt.scheme}://{nxt.netloc}{nxt.path}" == BASE_URL + base(mine, mine["eid"])
    assert parse_qs(nxt.query) == {"_limit": ["2"], "_offset": ["2"]}
    second = client.get(body["links"]["next"].removeprefix(BASE_URL), headers=admin).json()
    assert [x["id"] for x in second["data"]] == [made[0]] and second["links"]["next"] is None


@pytest.mark.parametrize("params, field", [
    ({"_sort": "weight"}, "_sort"), ({"_limit": 201}, "_limit"), ({"_offset": -1}, "_offset"),
])
def test_bad_list_parameters_are_400(client, admin, mine, params, field):
    invalid(client.get(base(mine, mine["eid"]), params=params, headers=admin), field)


# --- update ---------------------------------------------------------------------------

def test_update_writes_the_form_whole_and_answers_its_vid(client, app, admin, mine):
    """As OpenEMR: every field is written; one left out is cleared; `date` becomes now."""
    ids = create(client, admin, mine, mine["eid"])
    with app.registry.get("default").db.write() as s:
        s.get(Vital, ids["vid"]).date = s.get(Vital, ids["vid"]).date.replace(year=2001)
    path = f"{base(mine, mine['eid'])}/{ids['vid']}"
    r = client.put(path, json={**OPENEMR_EXAMPLE, "bps": "140", "note": None,
                               "oxygen_saturation": None, "weight": 99.5}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"validationErrors": [], "internalErrors": [], "data": {"vid": ids["vid"]}}
    data = read(client, admin, mine, mine["eid"], ids["vid"])
    assert (data["bps"], data["weight"], data["note"], data["oxygen_saturation"]) == \
        ("140", 99.5, None, None)
    assert not data["date"].startswith("2001")
    r = client.put(path, json={"pulse": "72"}, headers=admin)
    assert r.status_code == 200, r.text
    data = read(client, admin, mine, mine["eid"], ids["vid"])
    assert data["pulse"] == 72 and data["bps"] is None and data["temp_method"] is None


def test_update_cannot_move_the_form_or_change_its_ids(client, admin, mine, theirs):
    ids = create(client, admin, mine, mine["eid"])
    before = read(client, admin, mine, mine["eid"], ids["vid"])
    r = client.put(f"{base(mine, mine['eid'])}/{ids['vid']}",
                   json={**OPENEMR_EXAMPLE, "pid": theirs["pid"], "eid": theirs["eid"], "id": 1,
                         "uuid": "00000000-0000-4000-8000-000000000000"}, headers=admin)
    assert r.status_code == 200, r.text
    data = read(client, admin, mine, mine["eid"], ids["vid"])
    assert (data["pid"], data["eid"], data["uuid"]) == (mine["pid"], mine["eid"], before["uuid"])
    assert listed(client, admin, theirs, theirs["eid"]) == []


@pytest.mark.parametrize("body, field", [
    ({"bps": "abc"}, "bps"),
    ({"pulse": 1000}, "pulse"),
    ({"note": "x" * 256}, "note"),
])
def test_a_refused_update_changes_nothing(client, admin, mine, body, field):
    ids = create(client, admin, mine, mine["eid"])
    invalid(client.put(f"{base(mine, mine['eid'])}/{ids['vid']}", json=body, headers=admin), field)
    data = read(client, admin, mine, mine["eid"], ids["vid"])
    assert (data["bps"], data["pulse"], data["note"]) == ("130", 60, "...")


# --- another patient's or encounter's form, unknown and malformed ids -----------------

def test_another_patients_vitals_are_never_read_or_changed_through_this_path(client, admin,
                                                                            mine, theirs):
    their = create(client, admin, theirs, theirs["eid"])
    # Their form through my patient and my encounter, through my patient and their
    # encounter, and through their patient with my encounter.
    for patient, eid, field in ((mine, mine["eid"], "vid"), (mine, theirs["eid"], "eid"),
                                (theirs, mine["eid"], "eid")):
        path = f"{base(patient, eid)}/{their['vid']}"
        not_found(client.get(path, headers=admin), field)
        not_found(client.put(path, json={**OPENEMR_EXAMPLE, "bps": "1"}, headers=admin), field)
    assert read(client, admin, theirs, theirs["eid"], their["vid"])["bps"] == "130"


def test_another_encounters_vitals_are_never_read_or_changed_through_this_path(client, admin,
                                                                              mine):
    other_eid = make_encounter(client, admin, mine)
    their = create(client, admin, mine, other_eid)
    path = f"{base(mine, mine['eid'])}/{their['vid']}"
    not_found(client.get(path, headers=admin), "vid")
    not_found(client.put(path, json={"bps": "1"}, headers=admin), "vid")
    assert read(client, admin, mine, other_eid, their["vid"])["bps"] == "130"


def test_a_soap_notes_id_is_not_a_vitals_id(client, admin, mine):
    r = client.post(f"{API}/patient/{mine['pid']}/encounter/{mine['eid']}/soap_note",
                    json={"subjective": "Feels fine"}, headers=admin)
    assert r.status_code == 201, r.text
    sid = r.json()["data"]["sid"]
    not_found(client.get(f"{base(mine, mine['eid'])}/{sid}", headers=admin), "vid")


def test_an_encounter_of_another_patient_is_404_naming_the_eid(client, admin, mine, theirs):
    for r in (client.get(base(mine, theirs["eid"]), headers=admin),
              client.post(base(mine, theirs["eid"]), json=OPENEMR_EXAMPLE, headers=admin)):
        not_found(r, "eid")
    assert listed(client, admin, theirs, theirs["eid"]) == []


def test_unknown_patient_is_404_naming_the_pid(client, admin, mine):
    missing = {"pid": 2147483000}
    for r in (client.get(base(missing, mine["eid"]), headers=admin),
              client.post(base(missing, mine["eid"]), json=OPENEMR_EXAMPLE, headers=admin),
              client.get(f"{base(missing, mine['eid'])}/1", headers=admin),
              client.put(f"{base(missing, mine['eid'])}/1", json=OPENEMR_EXAMPLE, headers=admin)):
        not_found(r, "pid")


@pytest.mark.parametrize("pid, eid, vid, field", [
    ("abc", "1", "1", "pid"), ("0", "1", "1", "pid"), ("2147483648", "1", "1", "pid"),
    ("1", "x", "1", "eid"), ("1", "0", "1", "eid"), ("1", "1", "1.5", "vid"),
    ("1", "1", "0", "vid"), ("1", "1", "2147483648", "vid"),
])
def test_malformed_ids_are_400(client, admin, pid, eid, vid, field):
    invalid(client.get(f"{API}/patient/{pid}/encounter/{eid}/vital/{vid}", headers=admin), field)


# --- scopes, ACL, audit ---------------------------------------------------------------

def test_no_token_is_401(client, mine):
    assert client.get(base(mine, mine["eid"])).status_code == 401
    assert client.post(base(mine, mine["eid"]), json=OPENEMR_EXAMPLE).status_code == 401


def test_each_operation_needs_its_scope(client, app_client, admin, mine):
    ids = create(client, admin, mine, mine["eid"])
    one = f"{base(mine, mine['eid'])}/{ids['vid']}"
    other = bearer(password_token(client, app_client, scope="api:oemr user/soap_note.read"))
    reader = bearer(password_token(client, app_client, scope="api:oemr user/vital.read"))
    for url in (base(mine, mine["eid"]), one):
        assert client.get(url, headers=other).status_code == 403
        assert client.get(url, headers=reader).status_code == 200
    assert client.post(base(mine, mine["eid"]), json=OPENEMR_EXAMPLE,
                       headers=reader).status_code == 403
    assert client.put(one, json=OPENEMR_EXAMPLE, headers=reader).status_code == 403
    v2 = register_client(client, scope="api:oemr user/vital.cu")
    writer = bearer(password_token(client, v2, scope="api:oemr user/vital.cu"))
    assert client.get(base(mine, mine["eid"]), headers=writer).status_code == 403
    assert client.get(one, headers=writer).status_code == 403
    assert client.post(base(mine, mine["eid"]), json=OPENEMR_EXAMPLE,
                       headers=writer).status_code == 201
    assert client.put(one, json=OPENEMR_EXAMPLE, headers=writer).status_code == 200


def test_the_encounters_notes_acl_is_needed(client, app, app_client, admin, front_office, mine):
    """OpenEMR checks encounters/notes: the front office holds it, a group without it is
    refused."""
    site = app.registry.get("default")
    with site.db.write() as s:
        if s.execute(select(User.id).where(User.username == "vitals-billing")).first() is None:
            s.add(User(username="vitals-billing", password_hash=hash_password("billing-pass"),
                       acl_group="billing", fname="Bill", lname="Ing"))
    outsider = bearer(password_token(client, app_client, username="vitals-billing",
                                     password="billing-pass"))
    ids = create(client, admin, mine, mine["eid"])
    one = f"{base(mine, mine['eid'])}/{ids['vid']}"
    responses = [client.get(base(mine, mine["eid"]), headers=outsider),
                 client.post(base(mine, mine["eid"]), json=OPENEMR_EXAMPLE, headers=outsider),
                 client.get(one, headers=outsider),
                 client.put(one, json={"bps": "1"}, headers=outsider)]
    assert [r.status_code for r in responses] == [403] * 4
    assert all("encounters/notes" in r.json()["internalErrors"][0] for r in responses)
    assert read(client, admin, mine, mine["eid"], ids["vid"])["bps"] == "130"
    assert client.get(one, headers=front_office).status_code == 200


def test_the_audit_row_names_the_patient(client, app, admin, mine):
    site = app.registry.get("default")
    made = client.post(base(mine, mine["eid"]), json=OPENEMR_EXAMPLE, headers=admin)
    one = f"{base(mine, mine['eid'])}/{made.json()['data']['vid']}"
    for r in (made, client.get(base(mine, mine["eid"]), headers=admin),
              client.get(one, headers=admin), client.put(one, json=OPENEMR_EXAMPLE, headers=admin)):
        assert r.status_code in (200, 201), r.text
        with site.db.read() as s:
            row = s.execute(select(AuditLog).where(
                AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
            assert row.patient_uuid == mine["uuid"]


def test_the_answer_is_what_the_spec_says(client, admin, mine):
    """Numbers are JSON numbers, bps/bpd text, flags 0/1 (response validation is on too)."""
    ids = create(client, admin, mine, mine["eid"])
    raw = json.loads(client.get(f"{base(mine, mine['eid'])}/{ids['vid']}", headers=admin).text)
    data = raw["data"]
    assert isinstance(data["weight"], float) and isinstance(data["bps"], str)
    assert data["authorized"] == 1 and data["activity"] == 1
