"""Standard API: /patient/{pid}/message, messages between users about a patient
(OpenEMR's pnotes). OpenEMR's API only writes them: a create, a change and a delete each
answer the message's id, `{"mid": N}` (in the envelope, where OpenEMR answered it bare,
and `true` for a delete)."""

from __future__ import annotations

from emr_api.handlers.standard import access, created, ok, touched_patient, writing
from emr_api.services import messages

# What these operations write (checked against the YAML by a test).
RESOURCE = messages.SPEC


def create_message(pid, body):
    with writing() as s:
        patient, row = messages.create(s, access(), pid, body)
        touched_patient(patient.uuid)
        return created({"mid": row.id})


def update_message(pid, mid, body):
    with writing() as s:
        patient, row = messages.update(s, access(), pid, mid, body)
        touched_patient(patient.uuid)
        return ok({"mid": row.id})


def delete_message(pid, mid):
    with writing() as s:
        patient, row = messages.delete(s, access(), pid, mid)
        touched_patient(patient.uuid)
        return ok({"mid": row.id})
