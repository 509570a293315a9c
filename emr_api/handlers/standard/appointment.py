"""Standard API: /appointment and /patient/{pid}/appointment, OpenEMR's calendar events
of patients. The row is what OpenEMR's appointment service answers: the event's fields
(`pc_eid`, `pc_uuid`, ...) with its patient's `pid`, `puuid`, names and DOB, its provider's
uuid, NPI and names (`pce_aid_*`) and its facility's and billing location's names and
uuids; `id` repeats `pc_eid`. A create answers `{id, pc_eid, pc_uuid}`, a delete OpenEMR's
`{"message": "record deleted"}`."""

from __future__ import annotations

from datetime import time

from emr_api.handlers.standard import (
    access,
    created,
    listing,
    ok,
    reading,
    touched_patient,
    wire_value,
    writing,
)
from emr_api.services import appointments

# What these operations search and write (checked against the YAML by a test).
RESOURCE = appointments.SPEC
EVENT = ("pc_eid", "pc_pid", "pc_catid", "pc_title", "pc_hometext", "pc_eventDate",
         "pc_duration", "pc_time", "pc_apptstatus", "pc_room", "pc_aid", "pc_facility",
         "pc_billing_location")


def _clock(value: time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M:%S")


def to_api(a, d: appointments.Details) -> dict:
    patient = d.patients.get(a.pc_pid)
    provider = d.providers.get(a.pc_aid)
    facility = d.facilities.get(a.pc_facility)
    billing = d.facilities.get(a.pc_billing_location)
    return {
        **{name: wire_value(getattr(a, name)) for name in EVENT},
        "id": a.pc_eid,
        "pc_uuid": a.uuid,
        "pc_startTime": _clock(a.pc_startTime),
        "pc_endTime": _clock(a.pc_endTime),
        "pid": patient.pid,
        "puuid": patient.uuid,
        "fname": patient.fname,
        "lname": patient.lname,
        "DOB": wire_value(patient.DOB),
        "pce_aid_uuid": provider.uuid if provider else None,
        "pce_aid_npi": provider.npi if provider else None,
        "pce_aid_fname": provider.fname if provider else None,
        "pce_aid_lname": provider.lname if provider else None,
        "facility_name": facility.name if facility else None,
        "facility_uuid": facility.uuid if facility else None,
        "billing_location_name": billing.name if billing else None,
        "billing_location_uuid": billing.uuid if billing else None,
    }


def represent(session, rows) -> list[dict]:
    found = appointments.details(session, rows)
    return [to_api(row, found) for row in rows]


def search_appointments(_limit=None, _offset=None, _sort=None, pc_eventDate=None, pc_aid=None,
                        pc_facility=None, pc_apptstatus=None):
    filters = {"pc_eventDate": pc_eventDate, "pc_aid": pc_aid, "pc_facility": pc_facility,
               "pc_apptstatus": pc_apptstatus}
    with reading() as s:
        _, page = appointments.search(s, access(), filters, sort=_sort, limit=_limit,
                                      offset=_offset)
        items = represent(s, page.items)
    return listing(page, items, "/appointment", {**filters, "_sort": _sort})


def get_appointment(eid):
    with reading() as s:
        patient, row = appointments.find(s, access(), eid)
        touched_patient(patient.uuid)
        return ok(represent(s, [row])[0])


def search_patient_appointments(pid, _limit=None, _offset=None, _sort=None, pc_eventDate=None,
                                pc_aid=None, pc_facility=None, pc_apptstatus=None):
    filters = {"pc_eventDate": pc_eventDate, "pc_aid": pc_aid, "pc_facility": pc_facility,
               "pc_apptstatus": pc_apptstatus}
    with reading() as s:
        patient, page = appointments.search(s, access(), filters, pid, sort=_sort,
                                            limit=_limit, offset=_offset)
        touched_patient(patient.uuid)
        items = represent(s, page.items)
    return listing(page, items, f"/patient/{pid}/appointment", {**filters, "_sort": _sort})


def get_patient_appointment(pid, eid):
    with reading() as s:
        patient, row = appointments.find(s, access(), eid, pid)
        touched_patient(patient.uuid)
        return ok(represent(s, [row])[0])


def create_appointment(pid, body):
    with writing() as s:
        patient, row = appointments.create(s, access(), pid, body)
        touched_patient(patient.uuid)
        return created({"id": row.pc_eid, "pc_eid": row.pc_eid, "pc_uuid": row.uuid})


def delete_appointment(pid, eid):
    with writing() as s:
        patient, _ = appointments.delete(s, access(), pid, eid)
        touched_patient(patient.uuid)
        return ok({"message": "record deleted"})
