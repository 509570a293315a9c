"""Standard API: /patient/{puuid}/employer, the patient's employer data as OpenEMR's
EmployerService answers it: the employer_data row with the patient's `puuid`, the
recording user's `user_uuid`, and the codes and titles of the coded occupation and
industry."""

from __future__ import annotations

from emr_api.handlers.standard import access, fields_of, listing, reading, touched_patient
from emr_api.services import employers

# What this operation searches (checked against the YAML by a test).
RESOURCE = employers.SPEC
OUTPUT = ("id", "uuid", "name", "street", "street_line_2", "postal_code", "city", "state",
          "country", "date", "start_date", "end_date", "pid", "created_by", "occupation",
          "industry")


def to_api(row, puuid: str, found: employers.Details) -> dict:
    body = {**fields_of(row, OUTPUT), "puuid": puuid,
            "user_uuid": found.users.get(row.created_by)}
    for field, list_id in employers.CODED.items():
        option = found.codes.get((list_id, getattr(row, field)))
        body[f"{field}_codes"] = option.codes if option else None
        body[f"{field}_codes_display"] = option.title if option else None
    return body


def search_patient_employers(puuid, _limit=None, _offset=None, _sort=None):
    with reading() as s:
        patient, page = employers.search(s, access(), puuid, sort=_sort, limit=_limit,
                                         offset=_offset)
        touched_patient(patient.uuid)
        found = employers.details(s, page.items)
        items = [to_api(row, patient.uuid, found) for row in page.items]
    return listing(page, items, f"/patient/{puuid}/employer", {"_sort": _sort})
