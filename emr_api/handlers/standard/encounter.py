"""Standard API: /patient/{puuid}/encounter. OpenEMR's encounter row: `id` is the row's id,
`eid` the encounter number (as OpenEMR's encounter service answers it, and as the vital and
SOAP note paths take it), `uuid` is `euuid`, with the patient's ids, the class title, the category's and the billing
facility's names, and the billing state OpenEMR's billing keeps."""

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
from emr_api.services import encounters

# What these operations search and write (checked against the YAML by a test).
RESOURCE = encounters.SPEC
OUTPUT = ("encounter", "date", "onset_date", "reason", "facility", "facility_id",
          "billing_facility", "sensitivity", "pc_catid", "class_code", "pos_code",
          "provider_id", "supervisor_id", "referring_provider_id", "external_id", "pid",
          "referral_source", "billing_note", "invoice_refno", "last_level_billed",
          "last_level_closed", "last_stmt_date", "stmt_count", "last_updated")


def to_api(e, patient, labels: encounters.Labels) -> dict:
    return {**fields_of(e, OUTPUT), "id": e.eid, "eid": e.encounter, "uuid": e.uuid,
            "euuid": e.uuid,
            "puuid": patient.uuid, "class_title": encounters.CLASS_TITLES.get(e.class_code or ""),
            "pc_catname": labels.categories.get(e.pc_catid),
            "billing_facility_name": labels.facilities.get(e.billing_facility)}


def search_encounters(puuid, _limit=None, _offset=None, _sort=None):
    with reading() as s:
        patient, page = encounters.search(s, access(), puuid, sort=_sort, limit=_limit,
                                          offset=_offset)
        touched_patient(patient.uuid)
        names = encounters.labels(s, page.items)
        items = [to_api(e, patient, names) for e in page.items]
    return listing(page, items, f"/patient/{puuid}/encounter", {"_sort": _sort})


def get_encounter(puuid, euuid):
    with reading() as s:
        patient, e = encounters.find(s, access(), puuid, euuid)
        touched_patient(patient.uuid)
        return ok(to_api(e, patient, encounters.labels(s, [e])))


def create_encounter(puuid, body):
    with writing() as s:
        patient, e = encounters.create(s, access(), puuid, body)
        touched_patient(patient.uuid)
        return created({"id": e.eid, "eid": e.encounter, "euuid": e.uuid,
                        "encounter": e.encounter, "uuid": e.uuid})


def update_encounter(puuid, euuid, body):
    with writing() as s:
        patient, e = encounters.update(s, access(), puuid, euuid, body)
        touched_patient(patient.uuid)
        return ok(to_api(e, patient, encounters.labels(s, [e])))
