"""Patient Portal API: /patient/appointment, the token's own patient's appointments, in the
Standard API's envelope and row shape (handlers/standard/appointment.py). The patient is
the token's; the services narrow every query to it besides."""

from __future__ import annotations

from emr_api.handlers.standard import access, listing, ok, reading, touched_patient
from emr_api.handlers.standard.appointment import represent
from emr_api.services import appointments


def _mine() -> str:
    return access().patient_uuid


def search_appointments(_limit=None, _offset=None, _sort=None):
    with reading() as s:
        patient, page = appointments.search_mine(s, access(), _mine(), sort=_sort,
                                                 limit=_limit, offset=_offset)
        touched_patient(patient.uuid)
        items = represent(s, page.items)
    return listing(page, items, "/patient/appointment", {"_sort": _sort})


def get_appointment(auuid):
    with reading() as s:
        patient, row = appointments.find_mine(s, access(), _mine(), auuid)
        touched_patient(patient.uuid)
        return ok(represent(s, [row])[0])
