"""Messages and transactions with no HTTP, as a job or the CLI would call them: a
patient-context Access (a portal patient, or a user launched in one patient's chart)
reaches only its own patient's messages and transactions, in every query; staff and system
access reach everyone's; through a patient's path another patient's message is never
changed or deleted, whoever asks; and `/transaction/{tid}`, which names no patient, changes
only the caller's patient's transaction."""

from __future__ import annotations

from datetime import date

import pytest

from emr_api.auth.passwords import hash_password
from emr_api.db.models import Patient, PatientMessage, Transaction, User
from emr_api.errors import NotFound, ValidationFailed
from emr_api.identity import Access, Identity, Role
from emr_api.services import messages, transactions

SYSTEM = Access.system()
STAFF = Access(Identity(Role.USER, user_uuid="staff"), acl_group="doc")


def portal(puuid: str) -> Access:
    return Access(Identity(Role.PATIENT, user_uuid=puuid, patient_uuid=puuid),
                  client_id="portal-app")


def launched(puuid: str) -> Access:
    """A staff user whose token was launched in one patient's chart."""
    return Access(Identity(Role.USER, user_uuid="staff", patient_uuid=puuid), acl_group="doc")


def note(**overrides) -> dict:
    return {"body": "Call back", "groupname": "Default", "from": "svc-sender",
            "to": "svc-recipient", "title": "Other", "message_status": "New", **overrides}


@pytest.fixture(scope="module")
def charts(database) -> dict:
    """Two patients with a message and a transaction each: {name: {pid, uuid, mid, tid}}."""
    made = {}
    with database.write() as s:
        for username in ("svc-sender", "svc-recipient"):
            s.add(User(username=username, password_hash=hash_password("pw"), acl_group="doc"))
        s.flush()
        for first in ("Noor", "Otto"):
            p = Patient(fname=first, lname="Noted", sex="Female", DOB=date(1980, 5, 6))
            s.add(p)
            s.flush()
            _, message = messages.create(s, SYSTEM, p.pid, note(body=f"About {first}"))
            _, transaction = transactions.create(s, SYSTEM, p.pid, {
                "type": "LBTbill", "groupname": "Default", "body": f"{first}'s bill"})
            made[first] = {"pid": p.pid, "uuid": p.uuid, "mid": message.id,
                           "tid": transaction.id}
    return made


def body_of(database, mid: int) -> str:
    with database.read() as s:
        return s.get(PatientMessage, mid).body


@pytest.mark.parametrize("access_of", [portal, launched], ids=["portal", "launched"])
def test_a_patient_context_reaches_only_its_own_messages(database, charts, access_of):
    noor, otto = charts["Noor"], charts["Otto"]
    access = access_of(noor["uuid"])
    with database.write() as s:
        patient, row = messages.update(s, access, noor["pid"], noor["mid"], note(body="Seen"))
        assert (patient.uuid, row.id) == (noor["uuid"], noor["mid"])
        with pytest.raises(NotFound) as refused:
            messages.update(s, access, otto["pid"], otto["mid"], note(body="Tampered"))
        assert refused.value.fields == {"pid": ["not found"]}
        with pytest.raises(NotFound):
            messages.create(s, access, otto["pid"], note())
        with pytest.raises(NotFound):
            messages.delete(s, access, otto["pid"], otto["mid"])
    assert "Tampered" not in body_of(database, otto["mid"])


@pytest.mark.parametrize("access", [STAFF, SYSTEM], ids=["staff", "system"])
def test_nobody_changes_a_message_through_another_patients_path(database, charts, access):
    noor, otto = charts["Noor"], charts["Otto"]
    before = body_of(database, otto["mid"])
    with database.write() as s:
        for call in (lambda: messages.update(s, access, noor["pid"], otto["mid"], note()),
                     lambda: messages.delete(s, access, noor["pid"], otto["mid"])):
            with pytest.raises(NotFound) as refused:
                call()
            assert refused.value.fields == {"mid": ["not found"]}
    with database.read() as s:
        assert (s.get(PatientMessage, otto["mid"]).body, s.get(PatientMessage, otto["mid"])
                .deleted) == (before, False)


def test_the_thread_grows_by_one_dated_line_a_change(database, charts):
    noor = charts["Noor"]
    with database.write() as s:
        _, made = messages.create(s, SYSTEM, noor["pid"], note(body="First"))
        messages.update(s, STAFF, noor["pid"], made.id, note(body="Second",
                                                             **{"from": "svc-recipient"}))
    lines = body_of(database, made.id).split("\n")
    assert lines[0] == "" and len(lines) == 3
    assert lines[1].endswith(" (svc-sender to svc-recipient) First")
    assert lines[2].endswith(" (svc-recipient to svc-recipient) Second")


def test_references_are_checked_before_anything_is_written(database, charts):
    noor = charts["Noor"]
    with database.write() as s:
        with pytest.raises(ValidationFailed) as refused:
            messages.create(s, SYSTEM, noor["pid"], note(to="ghost", title="Unknown"))
        assert set(refused.value.fields) == {"to", "title"}
        count = s.query(PatientMessage).filter(PatientMessage.pid == noor["pid"]).count()
    with database.read() as s:
        assert s.query(PatientMessage).filter(PatientMessage.pid == noor["pid"]).count() == count


@pytest.mark.parametrize("access_of", [portal, launched], ids=["portal", "launched"])
def test_a_patient_context_reaches_only_its_own_transactions(database, charts, access_of):
    noor, otto = charts["Noor"], charts["Otto"]
    access = access_of(noor["uuid"])
    with database.write() as s:
        patient, page = transactions.search(s, access, noor["pid"])
        assert patient.uuid == noor["uuid"] and noor["tid"] in {t.id for t in page.items}
        assert {t.pid for t in page.items} == {noor["pid"]}
        with pytest.raises(NotFound) as refused:
            transactions.search(s, access, otto["pid"])
        assert refused.value.fields == {"pid": ["not found"]}
        patient, row = transactions.update(s, access, noor["tid"], {"visits": 2})
        assert (patient.uuid, row.refer_visits) == (noor["uuid"], 2)
        with pytest.raises(NotFound) as refused:
            transactions.update(s, access, otto["tid"], {"body": "Tampered"})
        assert refused.value.fields == {"tid": ["not found"]}
        with pytest.raises(NotFound):
            transactions.create(s, access, otto["pid"], {"type": "LBTbill",
                                                         "groupname": "Default"})
    with database.read() as s:
        assert s.get(Transaction, otto["tid"]).body == "Otto's bill"


@pytest.mark.parametrize("access", [STAFF, SYSTEM], ids=["staff", "system"])
def test_staff_and_system_reach_every_patients_transactions(database, charts, access):
    with database.write() as s:
        for name, chart in charts.items():
            _, page = transactions.search(s, access, chart["pid"])
            assert chart["tid"] in {t.id for t in page.items}
            _, row = transactions.update(s, access, chart["tid"], {"authorization": name})
            assert row.refer_authorization == name
