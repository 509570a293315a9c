"""Patient Portal API: the token's own patient's record, in the Standard API's envelope and
shapes (the portal reuses the Standard handlers' representations, as DESIGN.md allows).

The patient is the token's, always: no operation takes a patient id, and the services
narrow every query to the caller's patient besides (`ResourceSpec.owner`). Only patients'
tokens reach these handlers (the API row says `patient_only`; auth/bearer.py refuses others)."""

from __future__ import annotations

from emr_api.handlers.standard import access, listing, ok, reading, touched_patient
from emr_api.handlers.standard.encounter import to_api as encounter_to_api
from emr_api.handlers.standard.patient import to_api as patient_to_api
from emr_api.services import encounters, patients


def _mine() -> str:
    return access().patient_uuid


def get_patient():
    with reading() as s:
        patient = patients.find(s, access(), _mine())
        touched_patient(patient.uuid)
        return ok(patient_to_api(patient))


def search_encounters(_limit=None, _offset=None, _sort=None):
    with reading() as s:
        patient, page = encounters.search(s, access(), _mine(), sort=_sort, limit=_limit,
                                          offset=_offset)
        touched_patient(patient.uuid)
        names = encounters.labels(s, page.items)
        items = [encounter_to_api(e, patient, names) for e in page.items]
    return listing(page, items, "/patient/encounter", {"_sort": _sort})


def get_encounter(euuid):
    with reading() as s:
        patient, encounter = encounters.find(s, access(), _mine(), euuid)
        touched_patient(patient.uuid)
        return ok(encounter_to_api(encounter, patient, encounters.labels(s, [encounter])))
