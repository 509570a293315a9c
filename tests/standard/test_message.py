"""/patient/{pid}/message (OpenEMR's pnotes): send, change (the body appended to the
thread) and delete (marked deleted) through the patient's path only, where another
patient's message is 404 and never changed; OpenEMR's rules (every field required, the
lengths) and the references it never checked (users, the note_type and message_status
lists); a body's ids moving nothing; scopes, the patients/notes ACL and the audit row.
OpenEMR's API has no read of messages: the rows are looked at in the database."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select, update

from emr_api.codegen import operations
from emr_api.db.models import AuditLog, PatientMessage
from emr_api.services.messages import MAX_THREAD
from tests.conftest import bearer, password_token, register_client
from tests.standard.answers import invalid, not_found

API = "/apis/default/api"
LINE = r"\n\d{4}-\d{2}-\d{2} \d{2}:\d{2} \(%s to %s\) %s"


def make_patient(client, admin, lname="Messaged") -> dict:
    r = client.post(f"{API}/patient", json={"fname": "Mia", "lname": lname, "sex": "Female",
                                            "DOB": "1966-07-08"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture()
def mine(client, admin) -> dict:
    return make_patient(client, admin)


@pytest.fixture()
def theirs(client, admin) -> dict:
    return make_patient(client, admin, lname="Other")


def message_body(**overrides) -> dict:
    """OpenEMR's documented example, from a user that exists here."""
    body = {"body": "Test 456", "groupname": "Default", "from": "physician", "to": "admin",
            "title": "Other", "message_status": "New"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def base(pid) -> str:
    return f"{API}/patient/{pid}/message"


def send(client, headers, patient, **overrides) -> int:
    r = client.post(base(patient), json=message_body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["validationErrors"] == [] and body["internalErrors"] == []
    assert set(body["data"]) == {"mid"}
    return body["data"]["mid"]


def stored(app, mid: int) -> PatientMessage:
    with app.registry.get("default").db.read() as s:
        return s.get(PatientMessage, mid)


def messages_of(app, pid: int) -> list[PatientMessage]:
    with app.registry.get("default").db.read() as s:
        return s.execute(select(PatientMessage).where(PatientMessage.pid == pid)
                         .order_by(PatientMessage.id)).scalars().all()


def fields(row: PatientMessage) -> tuple:
    return (row.pid, row.body, row.groupname, row.user, row.assigned_to, row.title,
            row.message_status, row.deleted)


# --- send -----------------------------------------------------------------------------

def test_send_answers_201_with_the_mid_and_keeps_openemrs_row(client, app, admin, mine):
    mid = send(client, admin, mine["pid"])
    row = stored(app, mid)
    assert re.fullmatch(LINE % ("physician", "admin", "Test 456"), row.body)
    assert (row.pid, row.groupname, row.user, row.assigned_to, row.title, row.message_status,
            row.activity, row.authorized, row.deleted) == (
        mine["pid"], "Default", "physician", "admin", "Other", "New", True, True, False)


def test_the_pid_may_be_sent_as_digits_with_any_option_of_the_lists(client, app, admin, mine):
    for title, status in (("Lab Results", "Read"), ("Prior Auth", "Forwarded"),
                          ("Patient Reminders", "Done")):
        mid = send(client, admin, str(mine["pid"]), title=title, message_status=status)
        assert (stored(app, mid).title, stored(app, mid).message_status) == (title, status)


def test_the_lists_a_message_picks_from_are_served(client, admin):
    statuses = client.get(f"{API}/list/message_status", headers=admin).json()["data"]
    assert [o["option_id"] for o in statuses] == ["Done", "Forwarded", "New", "Read"]
    types = [o["option_id"] for o in
             client.get(f"{API}/list/note_type", headers=admin).json()["data"]]
    assert types[:3] == ["Unassigned", "Chart Note", "Insurance"] and "Other" in types


def test_the_body_cannot_choose_the_patient_or_the_id(client, app, admin, mine, theirs):
    mid = send(client, admin, mine["pid"], pid=theirs["pid"], id=999999, mid=999999,
               deleted=1)
    assert mid != 999999
    assert fields(stored(app, mid))[0] == mine["pid"] and not stored(app, mid).deleted
    assert messages_of(app, theirs["pid"]) == []


@pytest.mark.parametrize("field", ["body", "groupname", "from", "to", "title",
                                   "message_status"])
def test_every_field_is_required(client, app, admin, mine, field):
    invalid(client.post(base(mine["pid"]), json=message_body(**{field: ...}), headers=admin),
            field)
    assert messages_of(app, mine["pid"]) == []


@pytest.mark.parametrize("field, value", [
    ("body", "x"),
    ("body", ""),
    ("body", None),
    ("body", 12),
    ("body", "x" * 65536),
    ("body", "bad\x00body"),
    ("groupname", "x"),
    ("groupname", "x" * 256),
    ("from", "x"),
    ("from", "Matthew"),  # OpenEMR's example sender: no such user here
    ("from", "ADMIN"),
    ("from", "admin "),
    ("to", "x" * 256),
    ("to", "nobody"),
    ("title", "x"),
    ("title", "other"),
    ("title", "Bogus"),
    ("message_status", "x" * 21),
    ("message_status", "new"),
    ("message_status", "Unread"),
])
def test_invalid_values_are_400_naming_the_field(client, app, admin, mine, field, value):
    invalid(client.post(base(mine["pid"]), json=message_body(**{field: value}), headers=admin),
            field)
    assert messages_of(app, mine["pid"]) == []


def test_every_reference_at_fault_is_named_at_once(client, app, admin, mine):
    r = client.post(base(mine["pid"]), json=message_body(**{
        "from": "nobody", "to": "noone", "title": "Bogus", "message_status": "Lost"}),
        headers=admin)
    invalid(r, "from")
    assert set(r.json()["validationErrors"]) == {"from", "to", "title", "message_status"}


def test_lone_surrogates_are_400_naming_the_field(client, app, admin, mine):
    """JSON may escape a lone surrogate (`\\ud800`), which no database can store."""
    for field in ("body", "groupname"):
        raw = json.dumps(message_body(**{field: "ab\ud800cd"})).encode()
        invalid(client.post(base(mine["pid"]), content=raw,
                            headers={**admin, "Content-Type": "application/json"}), field)
    assert messages_of(app, mine["pid"]) == []


# --- change ---------------------------------------------------------------------------

def test_a_change_appends_to_the_thread_and_sets_the_other_fields(client, app, admin, mine):
    mid = send(client, admin, mine["pid"])
    r = client.put(f"{base(mine['pid'])}/{mid}", json=message_body(
        body="Results reviewed", **{"from": "admin", "to": "receptionist"},
        title="Lab Results", message_status="Read", groupname="Clinic"), headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"mid": mid}
    row = stored(app, mid)
    assert re.fullmatch(LINE % ("physician", "admin", "Test 456")
                        + LINE % ("admin", "receptionist", "Results reviewed"), row.body)
    assert fields(row)[2:] == ("Clinic", "admin", "receptionist", "Lab Results", "Read", False)


@pytest.mark.parametrize("body, field", [
    (message_body(title=...), "title"),
    (message_body(body="x"), "body"),
    (message_body(to="nobody"), "to"),
    (message_body(message_status="Gone"), "message_status"),
])
def test_a_refused_change_changes_nothing(client, app, admin, mine, body, field):
    mid = send(client, admin, mine["pid"])
    before = fields(stored(app, mid))
    invalid(client.put(f"{base(mine['pid'])}/{mid}", json=body, headers=admin), field)
    assert fields(stored(app, mid)) == before


def test_a_thread_cannot_outgrow_its_column(client, app, admin, mine):
    mid = send(client, admin, mine["pid"])
    long = "x" * (MAX_THREAD - 20)
    with app.registry.get("default").db.write() as s:
        s.execute(update(PatientMessage).where(PatientMessage.id == mid).values(body=long))
    invalid(client.put(f"{base(mine['pid'])}/{mid}", json=message_body(), headers=admin),
            "body")
    assert stored(app, mid).body == long


# --- delete ---------------------------------------------------------------------------

def test_delete_marks_the_message_deleted_and_it_is_gone_afterwards(client, app, admin, mine):
    mid = send(client, admin, mine["pid"])
    one = f"{base(mine['pid'])}/{mid}"
    r = client.delete(one, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"validationErrors": [], "internalErrors": [], "data": {"mid": mid}}
    assert stored(app, mid).deleted is True
    not_found(client.delete(one, headers=admin), "mid")
    not_found(client.put(one, json=message_body(), headers=admin), "mid")
    assert stored(app, mid).body.count("\n") == 1


# --- another patient's, unknown and malformed ids ---------------------------------------

def test_another_patients_message_is_404_through_this_patient_and_never_changed(
        client, app, admin, mine, theirs):
    mid = send(client, admin, theirs["pid"])
    before = fields(stored(app, mid))
    wrong = f"{base(mine['pid'])}/{mid}"
    not_found(client.put(wrong, json=message_body(body="Tampered"), headers=admin), "mid")
    not_found(client.delete(wrong, headers=admin), "mid")
    assert fields(stored(app, mid)) == before
    assert client.delete(f"{base(theirs['pid'])}/{mid}", headers=admin).status_code == 200


def test_unknown_patient_or_message_is_404_naming_it(client, app, admin, mine):
    not_found(client.post(base(2147483647), json=message_body(), headers=admin), "pid")
    not_found(client.put(f"{base(2147483647)}/1", json=message_body(), headers=admin), "pid")
    not_found(client.delete(f"{base(2147483647)}/1", headers=admin), "pid")
    not_found(client.put(f"{base(mine['pid'])}/2147483647", json=message_body(),
                         headers=admin), "mid")
    not_found(client.delete(f"{base(mine['pid'])}/2147483647", headers=admin), "mid")


@pytest.mark.parametrize("pid, mid, field", [
    ("abc", "1", "pid"), ("0", "1", "pid"), ("1", "x", "mid"), ("1", "0", "mid"),
    ("1", "99999999999", "mid"),
])
def test_malformed_ids_are_400(client, admin, pid, mid, field):
    invalid(client.delete(f"{base(pid)}/{mid}", headers=admin), field)
    invalid(client.put(f"{base(pid)}/{mid}", json=message_body(), headers=admin), field)


# --- scopes, ACL, audit ---------------------------------------------------------------

def test_no_token_is_401(client, mine):
    assert client.post(base(mine["pid"]), json=message_body()).status_code == 401
    assert client.put(f"{base(mine['pid'])}/1", json=message_body()).status_code == 401
    assert client.delete(f"{base(mine['pid'])}/1").status_code == 401


def test_each_operation_needs_its_scope(client, app, app_client, admin, mine):
    one = f"{base(mine['pid'])}/{send(client, admin, mine['pid'])}"
    other = bearer(password_token(client, app_client, scope="api:oemr user/patient.read"))
    assert client.post(base(mine["pid"]), json=message_body(), headers=other).status_code == 403
    assert client.put(one, json=message_body(), headers=other).status_code == 403
    assert client.delete(one, headers=other).status_code == 403

    v2 = register_client(client, scope="api:oemr user/message.c user/message.u user/message.d")
    creator = bearer(password_token(client, v2, scope="api:oemr user/message.c"))
    made = client.post(base(mine["pid"]), json=message_body(), headers=creator)
    assert made.status_code == 201, made.text
    assert client.put(one, json=message_body(), headers=creator).status_code == 403
    assert client.delete(one, headers=creator).status_code == 403
    changer = bearer(password_token(client, v2, scope="api:oemr user/message.u user/message.d"))
    assert client.post(base(mine["pid"]), json=message_body(), headers=changer).status_code == 403
    assert client.put(one, json=message_body(), headers=changer).status_code == 200
    assert client.delete(one, headers=changer).status_code == 200

    writer = bearer(password_token(client, app_client, scope="api:oemr user/message.write"))
    assert client.post(base(mine["pid"]), json=message_body(), headers=writer).status_code == 201
    assert len(messages_of(app, mine["pid"])) == 3


def test_every_operation_needs_patients_notes():
    ours = [op for op in operations.of_api("standard")
            if op.operation_id.startswith("emr_api.handlers.standard.message.")]
    assert len(ours) == 3
    assert {tuple(op.acl) for op in ours} == {("patients", "notes")}


def test_front_office_lacks_patients_notes(client, app, admin, front_office, mine):
    mid = send(client, admin, mine["pid"])
    one = f"{base(mine['pid'])}/{mid}"
    responses = [client.post(base(mine["pid"]), json=message_body(), headers=front_office),
                 client.put(one, json=message_body(body="Tampered"), headers=front_office),
                 client.delete(one, headers=front_office)]
    assert [r.status_code for r in responses] == [403] * 3
    assert all("patients/notes" in r.json()["internalErrors"][0] for r in responses)
    assert [fields(row)[1].count("\n") for row in messages_of(app, mine["pid"])] == [1]
    assert stored(app, mid).deleted is False


def test_a_physician_may_send_change_and_delete(client, app, app_client, mine):
    physician = bearer(password_token(client, app_client, username="physician",
                                      password="physician"))
    mid = send(client, physician, mine["pid"], **{"from": "physician", "to": "receptionist"})
    one = f"{base(mine['pid'])}/{mid}"
    assert client.put(one, json=message_body(), headers=physician).status_code == 200
    assert client.delete(one, headers=physician).status_code == 200
    assert stored(app, mid).deleted is True


def test_the_audit_row_names_the_patient(client, app, admin, mine):
    made = client.post(base(mine["pid"]), json=message_body(), headers=admin)
    one = f"{base(mine['pid'])}/{made.json()['data']['mid']}"
    site = app.registry.get("default")
    for r in (made, client.put(one, json=message_body(), headers=admin),
              client.delete(one, headers=admin)):
        assert r.status_code in (200, 201), r.text
        with site.db.read() as s:
            row = s.execute(select(AuditLog).where(
                AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
            assert row.patient_uuid == mine["uuid"], (r.request.method, r.request.url)
