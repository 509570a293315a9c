"""Standard API: /patient/{puuid}/insurance, a patient's insurance policies. A policy
answers as OpenEMR's insurance_data row with its patient's `puuid` and its payer's
`insureruuid`, `accept_assignment` as TRUE/FALSE. A create answers the new policy, an
update the policy, a swap both policies it moved (`src`, `target`)."""

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
from emr_api.services import insurance, insurance_companies

# What these operations search and write (checked against the YAML by a test).
RESOURCE = insurance.SPEC
OUTPUT = ("id", "uuid", *insurance.WRITABLE, "pid")


def represent(session, patient, rows) -> list[dict]:
    """The rows as answered, with their payers' uuids (one query for all)."""
    payers = insurance_companies.uuids(session, {row.provider for row in rows})
    return [{**fields_of(row, OUTPUT),
             "accept_assignment": "TRUE" if row.accept_assignment else "FALSE",
             "insureruuid": payers[row.provider], "puuid": patient.uuid}
            for row in rows]


def search_patient_insurances(puuid, _limit=None, _offset=None, _sort=None, user=None,
                              token_info=None, **filters):
    # `user` and `token_info` are Connexion's security context, not filters.
    with reading() as s:
        patient, page = insurance.search(s, access(), puuid, filters, sort=_sort,
                                         limit=_limit, offset=_offset)
        touched_patient(patient.uuid)
        items = represent(s, patient, page.items)
    return listing(page, items, f"/patient/{puuid}/insurance", {**filters, "_sort": _sort})


def get_patient_insurance(puuid, uuid):
    with reading() as s:
        patient, row = insurance.find(s, access(), puuid, uuid)
        touched_patient(patient.uuid)
        return ok(represent(s, patient, [row])[0])


def create_patient_insurance(puuid, body):
    with writing() as s:
        patient, row = insurance.create(s, access(), puuid, body)
        touched_patient(patient.uuid)
        return created(represent(s, patient, [row])[0])


def update_patient_insurance(puuid, uuid, body):
    with writing() as s:
        patient, row = insurance.update(s, access(), puuid, uuid, body)
        touched_patient(patient.uuid)
        return ok(represent(s, patient, [row])[0])


def swap_patient_insurance(puuid, type, uuid):  # noqa: A002 - OpenEMR's parameter name
    with writing() as s:
        patient, source, target = insurance.swap(s, access(), puuid, type, uuid)
        touched_patient(patient.uuid)
        moved = represent(s, patient, [row for row in (source, target) if row is not None])
        return ok({"src": moved[0], "target": moved[1] if target is not None else None})
