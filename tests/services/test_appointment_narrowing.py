"""Appointments, called as a job or the CLI would call them (no HTTP, no request context):
a patient-context Access reaches only its own patient's appointments, in every query the
service makes (by pc_eid, by uuid, through a patient's path, across patients); staff and
system access see everyone's; and an appointment is never read or deleted through another
patient's path, whoever asks."""

from __future__ import annotations

import pytest

from emr_api.db.models import Appointment, Facility, Patient
from emr_api.errors import NotFound, ValidationFailed
from emr_api.identity import Access, Identity, Role
from emr_api.services import appointments, resources

STAFF = Access(Identity(Role.USER, user_uuid="staff"), acl_group="front")
SYSTEM = Access.system()


def patient_access(puuid: str) -> Access:
    return Access(Identity(Role.PATIENT, user_uuid=puuid, patient_uuid=puuid),
                  client_id="portal-app", scopes=frozenset({"patient/appointment.read"}))


@pytest.fixture(scope="module")
def booked(database, two_patients) -> dict:
    """Two appointments each for Ann and Bea: {name: (puuid, pid, [(eid, uuid), ...])}."""
    made = {}
    with database.write() as s:
        clinic = Facility(name="Narrow Clinic")
        s.add(clinic)
        s.flush()
        for name, (puuid, _) in two_patients.items():
            pid = s.query(Patient.pid).filter(Patient.uuid == puuid).scalar()
            rows = []
            for start in ("09:00", "10:30"):
                _, row = appointments.create(s, SYSTEM, pid, {
                    "pc_catid": 5, "pc_title": f"{name}'s visit", "pc_duration": 900,
                    "pc_hometext": "Narrowing", "pc_apptstatus": "-",
                    "pc_eventDate": "2024-06-03", "pc_startTime": start,
                    "pc_facility": clinic.id, "pc_billing_location": clinic.id})
                rows.append((row.pc_eid, row.uuid))
            made[name] = (puuid, pid, rows)
    return made


def eids(page) -> set:
    return {row.pc_eid for row in page.items}


@pytest.mark.parametrize("access", [STAFF, SYSTEM], ids=["staff", "system"])
def test_staff_and_system_see_every_patients_appointments(database, booked, access):
    with database.read() as s:
        _, everyone = appointments.search(s, access, {"pc_eventDate": "2024-06-03"})
        for puuid, pid, rows in booked.values():
            assert {eid for eid, _ in rows} <= eids(everyone)
            patient, own = appointments.search(s, access, {}, pid)
            assert patient.uuid == puuid and eids(own) == {eid for eid, _ in rows}
            for eid, auuid in rows:
                assert appointments.find(s, access, eid)[1].uuid == auuid
                assert appointments.find(s, access, eid, pid)[1].uuid == auuid


def test_a_patient_reaches_only_their_own_appointments(database, booked):
    ann, ann_pid, ann_rows = booked["Ann"]
    bea, bea_pid, bea_rows = booked["Bea"]
    access = patient_access(ann)
    with database.read() as s:
        _, everyone = appointments.search(s, access, {})
        assert eids(everyone) == {eid for eid, _ in ann_rows}
        assert eids(appointments.search(s, access, {}, ann_pid)[1]) == {e for e, _ in ann_rows}
        _, mine = appointments.search_mine(s, access, ann)
        assert eids(mine) == {eid for eid, _ in ann_rows}
        eid, auuid = ann_rows[0]
        assert appointments.find(s, access, eid)[1].uuid == auuid
        assert appointments.find_mine(s, access, ann, auuid)[1].pc_eid == eid

        their_eid, their_uuid = bea_rows[0]
        with pytest.raises(NotFound) as refused:
            appointments.find(s, access, their_eid)
        assert refused.value.fields == {"eid": ["not found"]}
        with pytest.raises(NotFound) as refused:
            appointments.search(s, access, {}, bea_pid)
        assert refused.value.fields == {"pid": ["not found"]}
        with pytest.raises(NotFound):
            appointments.find(s, access, their_eid, bea_pid)
        # Another patient's appointment through one's own path is not there either.
        with pytest.raises(NotFound):
            appointments.find(s, access, their_eid, ann_pid)
        with pytest.raises(NotFound) as refused:
            appointments.find_mine(s, access, ann, their_uuid)
        assert refused.value.fields == {"auuid": ["not found"]}
        with pytest.raises(NotFound):
            appointments.search_mine(s, access, bea)


def test_the_appointment_spec_narrows_on_its_own(database, booked):
    """Narrowing is in the spec's query, not only in the patient lookup before it."""
    ann, _, _ = booked["Ann"]
    _, _, bea_rows = booked["Bea"]
    with database.read() as s:
        page = resources.search(s, patient_access(ann), appointments.SPEC, {})
        assert not {eid for eid, _ in bea_rows} & eids(page)
        with pytest.raises(NotFound):
            resources.find(s, patient_access(ann), appointments.BY_UUID, bea_rows[0][1])


@pytest.mark.parametrize("access", [STAFF, SYSTEM], ids=["staff", "system"])
def test_no_one_deletes_an_appointment_through_another_patients_path(database, booked,
                                                                      access):
    _, ann_pid, _ = booked["Ann"]
    _, bea_pid, bea_rows = booked["Bea"]
    with pytest.raises(NotFound):
        with database.write() as s:
            appointments.delete(s, access, ann_pid, bea_rows[0][0])
    with database.read() as s:
        assert s.get(Appointment, bea_rows[0][0]).pc_pid == bea_pid


def test_a_patient_cannot_book_or_delete_for_another_patient(database, booked):
    ann, ann_pid, _ = booked["Ann"]
    _, bea_pid, bea_rows = booked["Bea"]
    with pytest.raises(NotFound):
        with database.write() as s:
            appointments.delete(s, patient_access(ann), bea_pid, bea_rows[1][0])
    with pytest.raises(NotFound):
        with database.write() as s:
            appointments.delete(s, patient_access(ann), ann_pid, bea_rows[1][0])
    with pytest.raises(NotFound):
        with database.write() as s:
            appointments.create(s, patient_access(ann), bea_pid, {
                "pc_catid": 5, "pc_title": "Sneaky", "pc_duration": 900, "pc_hometext": "x",
                "pc_apptstatus": "-", "pc_eventDate": "2024-06-04", "pc_startTime": "09:00",
                "pc_facility": 1, "pc_billing_location": 1})
    with database.read() as s:
        assert s.get(Appointment, bea_rows[1][0]) is not None
        _, page = appointments.search(s, STAFF, {}, bea_pid)
        assert eids(page) == {eid for eid, _ in bea_rows}


def test_a_refused_booking_writes_nothing(database, booked):
    _, ann_pid, ann_rows = booked["Ann"]
    with pytest.raises(ValidationFailed) as refused:
        with database.write() as s:
            appointments.create(s, STAFF, ann_pid, {
                "pc_catid": 5, "pc_title": "Nowhere", "pc_duration": 900, "pc_hometext": "x",
                "pc_apptstatus": "-", "pc_eventDate": "2024-06-04", "pc_startTime": "09:00",
                "pc_facility": 999_999, "pc_billing_location": 999_998, "pc_aid": 777_777})
    assert set(refused.value.fields) == {"pc_facility", "pc_billing_location", "pc_aid"}
    with database.read() as s:
        assert eids(appointments.search(s, STAFF, {}, ann_pid)[1]) == {e for e, _ in ann_rows}
