"""Standard API: /patient/{pid}/transaction and /transaction/{tid}, a patient's
transactions (OpenEMR's `transactions` with their layout's fields). The row is what
OpenEMR's list answers (`form_id`, `title`, `groupname`, `authorized`, `body` and the
`refer_*` fields), typed, with the transaction's `id`, `uuid`, `date` and its patient's
`pid` and `puuid`. A create answers `{id, form_id}` (both the new transaction's id, as
OpenEMR names them), a change the row."""

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
from emr_api.services import transactions

# What these operations search and write (checked against the YAML by a test).
RESOURCE = transactions.SPEC
OUTPUT = ("id", "uuid", "date", "title", "groupname", "body", "refer_date", "refer_diag",
          "refer_from", "refer_to", "refer_risk_level", "refer_authorization", "refer_visits",
          "refer_validFrom", "refer_validThrough")


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def to_api(row, patient) -> dict:
    return {**fields_of(row, OUTPUT), "form_id": row.id, "authorized": _flag(row.authorized),
            "refer_vitals": _flag(row.refer_vitals), "pid": patient.pid, "puuid": patient.uuid}


def search_patient_transactions(pid, _limit=None, _offset=None, _sort=None):
    with reading() as s:
        patient, page = transactions.search(s, access(), pid, sort=_sort, limit=_limit,
                                            offset=_offset)
        touched_patient(patient.uuid)
        items = [to_api(row, patient) for row in page.items]
    return listing(page, items, f"/patient/{pid}/transaction", {"_sort": _sort})


def create_transaction(pid, body):
    with writing() as s:
        patient, row = transactions.create(s, access(), pid, body)
        touched_patient(patient.uuid)
        return created({"id": row.id, "form_id": row.id})


def update_transaction(tid, body):
    with writing() as s:
        patient, row = transactions.update(s, access(), tid, body)
        touched_patient(patient.uuid)
        return ok(to_api(row, patient))
