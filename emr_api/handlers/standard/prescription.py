"""Standard API: /prescription, OpenEMR's prescriptions. The row carries every column under
the name a create takes, the uuids of what it names (`puuid`, `pruuid`, `euuid`,
`drug_uuid`), and what OpenEMR's prescription service answers beside them: `status`,
`intent`/`category` with their titles, `prescription_drug_size`, and the titles and codes
of the route, unit and interval options. A create answers `{id, uuid}`, a delete (the
prescription stops; the row stays) `{uuid}`."""

from __future__ import annotations

from emr_api.handlers.standard import (
    access,
    created,
    fields_of,
    listing,
    ok,
    reading,
    touched_patient,
    writing,
)
from emr_api.services import prescriptions

# What these operations search and write (checked against the YAML by a test).
RESOURCE = prescriptions.SPEC
COLUMNS = ("id", "uuid", "patient_id", "provider_id", "encounter", "drug", "drug_id",
           "rxnorm_drugcode", "form", "dosage", "quantity", "size", "unit", "route", "interval",
           "refills", "date_added", "date_modified", "start_date", "end_date", "note",
           "diagnosis", "drug_dosage_instructions", "request_intent", "usage_category")


def to_api(p, d: prescriptions.Details) -> dict:
    body = {
        **fields_of(p, COLUMNS),
        "active": 1 if p.active else 0,
        "medication": 1 if p.medication else 0,
        "puuid": d.patients.get(p.patient_id),
        "pruuid": d.providers.get(p.provider_id),
        "euuid": d.encounters.get((p.patient_id, p.encounter)),
        "drug_uuid": d.drugs.get(p.drug_id),
        "status": prescriptions.status(p),
        "intent": p.request_intent,
        "intent_title": prescriptions.INTENT_TITLES.get(p.request_intent),
        "category": p.usage_category,
        "category_title": prescriptions.CATEGORY_TITLES.get(p.usage_category),
        "prescription_drug_size": p.size,
    }
    for name in ("route", "unit", "interval"):
        option = d.options.get((prescriptions.OPTION_LISTS[name], getattr(p, name)))
        body[f"{name}_title"] = option.title if option else None
        body[f"{name}_codes"] = option.codes if option else None
        if name == "interval":  # the plain words of the abbreviation (q.d.: once a day)
            body["interval_notes"] = option.notes if option else None
    return body


def represent(session, rows) -> list[dict]:
    found = prescriptions.details(session, rows)
    return [to_api(row, found) for row in rows]


def search_prescriptions(_limit=None, _offset=None, _sort=None, patient_id=None, drug=None,
                         rxnorm_drugcode=None, active=None, date_added=None, start_date=None):
    filters = {"patient_id": patient_id, "drug": drug, "rxnorm_drugcode": rxnorm_drugcode,
               "active": active, "date_added": date_added, "start_date": start_date}
    with reading() as s:
        page = prescriptions.search(s, access(), filters, sort=_sort, limit=_limit,
                                    offset=_offset)
        items = represent(s, page.items)
    return listing(page, items, "/prescription", {**filters, "_sort": _sort})


def get_prescription(uuid):
    with reading() as s:
        row = prescriptions.find(s, access(), uuid)
        body = represent(s, [row])[0]
        touched_patient(body["puuid"])
        return ok(body)


def create_prescription(body):
    with writing() as s:
        patient, row = prescriptions.create(s, access(), body)
        touched_patient(patient.uuid)
        return created({"id": row.id, "uuid": row.uuid})


def delete_prescription(uuid, patient_uuid=None):
    with writing() as s:
        patient, row = prescriptions.delete(s, access(), uuid, patient_uuid)
        touched_patient(patient.uuid)
        return ok({"uuid": row.uuid})
