"""/patient/{pid}/medication, /surgery and /dental_issue (OpenEMR's `lists` rows of type
medication, surgery, dental), each reached by the patient's integer pid and the row's
integer id: OpenEMR's ListService rules (title 2-255 required, also on update; a PUT
writes the row whole), `{id}` answers, delete, another patient's or another type's row,
paging, scopes, the patients/med ACL and the audit row."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from emr_api.db.models import AuditLog
from tests.conftest import BASE_URL, bearer, password_token, register_client
from tests.standard.answers import invalid

API = "/apis/default/api"
# (path segment, id parameter, stored type)
KINDS = [("medication", "mid", "medication"), ("surgery", "sid", "surgery"),
         ("dental_issue", "did", "dental")]


@pytest.fixture(params=KINDS, ids=[k[0] for k in KINDS])
def kind(request):
    return request.param


def make_patient(client, admin, lname="Issues") -> dict:
    r = client.post(f"{API}/patient", json={"fname": "Cy", "lname": lname, "sex": "Female",
                                            "DOB": "1975-03-04"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def issue_body(**overrides) -> dict:
    body = {"title": "Lisinopril 10 mg", "begdate": "2023-01-15 00:00:00",
            "diagnosis": "ICD10:I10"}
    body.update(overrides)
    return body


def base(kind, owner) -> str:
    return f"{API}/patient/{owner}/{kind[0]}"


def create(client, headers, kind, owner, **overrides) -> dict:
    r = client.post(base(kind, owner), json=issue_body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def read(client, headers, kind, owner, item) -> dict:
    r = client.get(f"{base(kind, owner)}/{item}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def listed(client, headers, kind, owner, **params) -> list[dict]:
    r = client.get(base(kind, owner), params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


@pytest.fixture()
def mine(client, admin) -> dict:
    return make_patient(client, admin)


@pytest.fixture()
def theirs(client, admin) -> dict:
    return make_patient(client, admin, lname="Other")


# --- create and read ------------------------------------------------------------------

def test_create_answers_201_with_the_id_and_reads_back(client, admin, kind, mine):
    ids = create(client, admin, kind, mine["pid"], enddate="2023-02-01")
    assert set(ids) == {"id"} and isinstance(ids["id"], int)
    data = read(client, admin, kind, mine["pid"], ids["id"])
    assert (data["id"], data["type"], data["title"]) == (ids["id"], kind[2], "Lisinopril 10 mg")
    assert (data["begdate"], data["enddate"]) == ("2023-01-15", "2023-02-01")
    assert data["diagnosis"] == "ICD10:I10" and data["activity"] == 1
    assert (data["pid"], data["puuid"]) == (mine["pid"], mine["uuid"])


def test_only_the_title_is_required_and_dates_may_be_plain_days(client, admin, kind, mine):
    r = client.post(base(kind, mine["pid"]), json={"title": "Aspirin"}, headers=admin)
    assert r.status_code == 201, r.text
    data = read(client, admin, kind, mine["pid"], r.json()["data"]["id"])
    assert (data["begdate"], data["enddate"], data["diagnosis"]) == (None, None, None)
    ids = create(client, admin, kind, mine["pid"], begdate="2022-12-31")
    assert read(client, admin, kind, mine["pid"], ids["id"])["begdate"] == "2022-12-31"


def test_the_body_cannot_choose_the_patient_the_id_or_the_type(client, admin, kind, mine,
                                                               theirs):
    ids = create(client, admin, kind, mine["pid"], pid=theirs["pid"], id=987654,
                 uuid="00000000-0000-4000-8000-000000000000", type="allergy")
    assert ids["id"] != 987654
    data = read(client, admin, kind, mine["pid"], ids["id"])
    assert (data["pid"], data["type"]) == (mine["pid"], kind[2])
    assert data["uuid"] != "00000000-0000-4000-8000-000000000000"
    assert listed(client, admin, kind, theirs["pid"]) == []


@pytest.mark.parametrize("field, value", [
    ("title", None),
    ("title", "x"),
    ("title", "x" * 256),
    ("title", "nul\x00"),
    ("diagnosis", "x"),
    ("begdate", "2023-02-29"),
    ("begdate", "2023-01-15 24:00:00"),
    ("begdate", "15/01/2023"),
    ("enddate", "2023-04-31 10:00"),
])
def test_invalid_values_are_400_naming_the_field(client, admin, kind, mine, field, value):
    invalid(client.post(base(kind, mine["pid"]), json=issue_body(**{field: value}),
                        headers=admin), field)
    assert listed(client, admin, kind, mine["pid"]) == []


def test_lone_surrogates_are_400_naming_the_field(client, admin, kind, mine):
    for field in ("title", "diagnosis"):
        raw = json.dumps(issue_body(**{field: "ab\udc00cd"})).encode()
        invalid(client.post(base(kind, mine["pid"]), content=raw,
                            headers={**admin, "Content-Type": "application/json"}), field)
    assert listed(client, admin, kind, mine["pid"]) == []


def test_title_is_required(client, admin, kind, mine):
    invalid(client.post(base(kind, mine["pid"]), json={"begdate": "2020-01-01"}, headers=admin),
            "title")


# --- list -----------------------------------------------------------------------------

def test_the_list_holds_this_patients_rows_of_this_type_newest_first(client, admin, kind,
                                                                     mine, theirs):
    older = create(client, admin, kind, mine["pid"], title="Older")
    newer = create(client, admin, kind, mine["pid"], title="Newer")
    create(client, admin, kind, theirs["pid"], title="Theirs")
    other = "surgery" if kind[0] != "surgery" else "medication"
    r = client.post(f"{API}/patient/{mine['pid']}/{other}", json={"title": "Other type"},
                    headers=admin)
    assert r.status_code == 201
    rows = listed(client, admin, kind, mine["pid"])
    assert [x["id"] for x in rows] == [newer["id"], older["id"]]
    assert {x["type"] for x in rows} == {kind[2]}
    assert [x["id"] for x in listed(client, admin, kind, mine["pid"], _sort="id")] == \
        [older["id"], newer["id"]]
    assert [x["id"] for x in listed(client, admin, kind, mine["pid"], title="Older")] == \
        [older["id"]]


def test_the_list_pages_with_links(client, admin, kind, mine):
    made = [create(client, admin, kind, mine["pid"], title=f"Row {i}")["id"] for i in range(3)]
    r = client.get(base(kind, mine["pid"]), params={"_limit": 2}, headers=admin)
    body = r.json()
    assert [x["id"] for x in body["data"]] == made[::-1][:2]
    nxt = urlsplit(body["links"]["next"])
    assert f"{nxt.scheme}://{nxt.netloc}{nxt.path}" == \
        f"{BASE_URL}/apis/default/api/patient/{mine['pid']}/{kind[0]}"
    assert parse_qs(nxt.query) == {"_limit": ["2"], "_offset": ["2"]}
    second = client.get(body["links"]["next"].removeprefix(BASE_URL), headers=admin).json()
    assert [x["id"] for x in second["data"]] == [made[0]] and second["links"]["next"] is None


# --- update ---------------------------------------------------------------------------

def test_update_writes_the_row_whole_and_answers_its_id(client, admin, kind, mine):
    """As OpenEMR's ListService: title, begdate, enddate and diagnosis are written
    together; one left out is cleared."""
    ids = create(client, admin, kind, mine["pid"], enddate="2023-06-30")
    path = f"{base(kind, mine['pid'])}/{ids['id']}"
    r = client.put(path, json={"title": "Lisinopril 20 mg", "begdate": "2023-07-01"},
                   headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"id": ids["id"]}
    data = read(client, admin, kind, mine["pid"], ids["id"])
    assert (data["title"], data["begdate"]) == ("Lisinopril 20 mg", "2023-07-01")
    assert (data["enddate"], data["diagnosis"]) == (None, None)


def test_update_cannot_move_the_row_or_change_its_ids(client, admin, kind, mine, theirs):
    ids = create(client, admin, kind, mine["pid"])
    before = read(client, admin, kind, mine["pid"], ids["id"])
    r = client.put(f"{base(kind, mine['pid'])}/{ids['id']}",
                   json={**issue_body(title="Moved?"), "pid": theirs["pid"], "id": 1,
                         "uuid": "00000000-0000-4000-8000-000000000000", "type": "allergy"},
                   headers=admin)
    assert r.status_code == 200, r.text
    data = read(client, admin, kind, mine["pid"], ids["id"])
    assert (data["title"], data["pid"], data["uuid"], data["type"]) == \
        ("Moved?", mine["pid"], before["uuid"], kind[2])
    assert listed(client, admin, kind, theirs["pid"]) == []


@pytest.mark.parametrize("body, field", [
    ({"begdate": "2020-01-01"}, "title"),
    ({"title": None}, "title"),
    ({"title": "Changed", "begdate": "2020-02-30"}, "begdate"),
    ({"title": "Changed", "diagnosis": "x"}, "diagnosis"),
])
def test_a_refused_update_changes_nothing(client, admin, kind, mine, body, field):
    ids = create(client, admin, kind, mine["pid"])
    invalid(client.put(f"{base(kind, mine['pid'])}/{ids['id']}", json=body, headers=admin), field)
    data = read(client, admin, kind, mine["pid"], ids["id"])
    assert (data["title"], data["begdate"]) == ("Lisinopril 10 mg", "2023-01-15")


# --- delete ---------------------------------------------------------------------------

def test_delete_removes_the_row_and_its_id_is_never_reused(client, admin, kind, mine):
    keep = create(client, admin, kind, mine["pid"], title="Keep")
    gone = create(client, admin, kind, mine["pid"], title="Gone")
    path = f"{base(kind, mine['pid'])}/{gone['id']}"
    r = client.delete(path, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"validationErrors": [], "internalErrors": [], "data": {"id": gone["id"]}}
    assert client.get(path, headers=admin).status_code == 404
    assert client.delete(path, headers=admin).status_code == 404
    assert [x["id"] for x in listed(client, admin, kind, mine["pid"])] == [keep["id"]]
    assert create(client, admin, kind, mine["pid"])["id"] > gone["id"]


# --- another patient's row, another type's row, unknown ids ---------------------------

def test_another_patients_row_is_not_reachable_through_this_patient(client, admin, kind, mine,
                                                                    theirs):
    their = create(client, admin, kind, theirs["pid"], title="Private")
    path = f"{base(kind, mine['pid'])}/{their['id']}"
    for r in (client.get(path, headers=admin),
              client.put(path, json=issue_body(title="Tampered"), headers=admin),
              client.delete(path, headers=admin)):
        assert r.status_code == 404, r.text
        assert r.json()["data"] == [] and kind[1] in r.json()["internalErrors"][0]
    assert read(client, admin, kind, theirs["pid"], their["id"])["title"] == "Private"


def test_a_row_of_another_type_is_not_found_by_this_types_path(client, admin, kind, mine):
    other = "dental_issue" if kind[0] != "dental_issue" else "surgery"
    r = client.post(f"{API}/patient/{mine['pid']}/{other}", json={"title": "Other type"},
                    headers=admin)
    assert r.status_code == 201
    path = f"{base(kind, mine['pid'])}/{r.json()['data']['id']}"
    assert client.get(path, headers=admin).status_code == 404
    assert client.put(path, json=issue_body(), headers=admin).status_code == 404
    assert client.delete(path, headers=admin).status_code == 404
    data = client.get(f"{API}/patient/{mine['pid']}/{other}/{r.json()['data']['id']}",
                      headers=admin).json()["data"]
    assert data["title"] == "Other type"


def test_unknown_patient_is_404_naming_the_pid(client, admin, kind):
    responses = [client.get(base(kind, 2147483000), headers=admin),
                 client.post(base(kind, 2147483000), json=issue_body(), headers=admin),
                 client.get(f"{base(kind, 2147483000)}/1", headers=admin),
                 client.put(f"{base(kind, 2147483000)}/1", json=issue_body(), headers=admin),
                 client.delete(f"{base(kind, 2147483000)}/1", headers=admin)]
    assert [r.status_code for r in responses] == [404] * 5
    assert all("pid 2147483000" in r.json()["internalErrors"][0] for r in responses)


@pytest.mark.parametrize("pid, item, field", [
    ("abc", "1", "pid"), ("0", "1", "pid"), ("2147483648", "1", "pid"),
    ("1", "abc", None), ("1", "0", None), ("1", "1.5", None),
])
def test_malformed_ids_are_400(client, admin, kind, pid, item, field):
    invalid(client.get(f"{API}/patient/{pid}/{kind[0]}/{item}", headers=admin), field or kind[1])


# --- scopes, ACL, audit ---------------------------------------------------------------

def test_each_operation_needs_its_scope(client, app_client, admin, kind, mine):
    ids = create(client, admin, kind, mine["pid"])
    one = f"{base(kind, mine['pid'])}/{ids['id']}"
    resource = kind[0]
    wrong = "surgery" if resource != "surgery" else "medication"
    other = bearer(password_token(client, app_client, scope=f"api:oemr user/{wrong}.read"))
    reader = bearer(password_token(client, app_client, scope=f"api:oemr user/{resource}.read"))
    for url in (base(kind, mine["pid"]), one):
        assert client.get(url, headers=other).status_code == 403
        assert client.get(url, headers=reader).status_code == 200
    assert client.post(base(kind, mine["pid"]), json=issue_body(), headers=reader).status_code == 403
    assert client.put(one, json=issue_body(), headers=reader).status_code == 403
    assert client.delete(one, headers=reader).status_code == 403
    v2 = register_client(client, scope=f"api:oemr user/{resource}.d")
    deleter = bearer(password_token(client, v2, scope=f"api:oemr user/{resource}.d"))
    assert client.get(one, headers=deleter).status_code == 403
    assert client.put(one, json=issue_body(), headers=deleter).status_code == 403
    assert client.delete(one, headers=deleter).status_code == 200
    assert client.get(one, headers=admin).status_code == 404


def test_front_office_lacks_patients_med(client, admin, front_office, kind, mine):
    ids = create(client, admin, kind, mine["pid"], title="Untouched")
    one = f"{base(kind, mine['pid'])}/{ids['id']}"
    responses = [client.get(base(kind, mine["pid"]), headers=front_office),
                 client.post(base(kind, mine["pid"]), json=issue_body(), headers=front_office),
                 client.get(one, headers=front_office),
                 client.put(one, json=issue_body(title="Tampered"), headers=front_office),
                 client.delete(one, headers=front_office)]
    assert [r.status_code for r in responses] == [403] * 5
    assert all("patients/med" in r.json()["internalErrors"][0] for r in responses)
    assert [x["title"] for x in listed(client, admin, kind, mine["pid"])] == ["Untouched"]


def test_the_audit_row_names_the_patient(client, app, admin, kind, mine):
    site = app.registry.get("default")
    made = client.post(base(kind, mine["pid"]), json=issue_body(), headers=admin)
    one = f"{base(kind, mine['pid'])}/{made.json()['data']['id']}"
    for r in (made, client.get(base(kind, mine["pid"]), headers=admin),
              client.get(one, headers=admin), client.put(one, json=issue_body(), headers=admin),
              client.delete(one, headers=admin)):
        assert r.status_code in (200, 201), r.text
        with site.db.read() as s:
            row = s.execute(select(AuditLog).where(
                AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
            assert row.patient_uuid == mine["uuid"]
