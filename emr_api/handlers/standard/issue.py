"""Standard API: the rows of OpenEMR's `lists` (allergies, medical problems, medications,
surgeries, dental issues), and here /patient/{pid}/medication, /surgery, /dental_issue.

Every kind answers the same row: the `lists` columns with the patient's `pid` and `puuid`,
`activity` as 0/1. What a write answers follows OpenEMR per kind: allergies and medical
problems answer `{id, uuid}` on create, the row on update and `{uuid}` on delete;
medications, surgeries and dental issues answer `{id}` to each."""

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
from emr_api.handlers.standard.resource import ResourceOperations
from emr_api.services import lists
from emr_api.services.lists import Kind

OUTPUT = ("id", "uuid", "type", "title", "begdate", "enddate", "diagnosis", "comments",
          "occurrence", "outcome", "severity_al", "reaction", "date", "modifydate", "pid")


def to_api(row, puuid: str) -> dict:
    return {**fields_of(row, OUTPUT), "activity": 1 if row.activity else 0, "puuid": puuid}


class IssueOperations(ResourceOperations):
    """The operations of one kind, bound to its spec: `search` and `get` across patients
    (GET /allergy, /allergy/{auuid}), the rest through one patient's path. The patient is
    named by `puuid`, or by `pid` for the kinds addressed by integer ids."""

    def __init__(self, kind: Kind, collection: str):
        # Every operation is its own below: a row is shaped with its patient's uuid, which
        # the base class's one-argument `represent` cannot see.
        super().__init__(kind.spec, f"/{collection}", represent=None)
        self.kind = kind
        self.patient_param = "pid" if kind.by_id else "puuid"

    def _path(self, patient) -> str:
        return f"/patient/{patient}{self.collection}"

    def _answer(self, row, deleted: bool = False) -> dict:
        if self.kind.by_id:
            return {"id": row.id}
        return {"uuid": row.uuid} if deleted else {"id": row.id, "uuid": row.uuid}

    def search(self, _limit=None, _offset=None, _sort=None, user=None, token_info=None,
               **filters):
        with reading() as s:
            _, page = lists.search(s, access(), self.kind, filters, sort=_sort, limit=_limit,
                                   offset=_offset)
            uuids = lists.patient_uuids(s, page.items)
            items = [to_api(row, uuids[row.pid]) for row in page.items]
        return listing(page, items, self.collection, {**filters, "_sort": _sort})

    def get(self, user=None, token_info=None, **path):
        with reading() as s:
            patient, row = lists.find(s, access(), self.kind, path[self.spec.id_name])
            touched_patient(patient.uuid)
            return ok(to_api(row, patient.uuid))

    def search_of_patient(self, _limit=None, _offset=None, _sort=None, user=None,
                          token_info=None, **params):
        key = params.pop(self.patient_param)
        with reading() as s:
            patient, page = lists.search(s, access(), self.kind, params, key, sort=_sort,
                                         limit=_limit, offset=_offset)
            touched_patient(patient.uuid)
            items = [to_api(row, patient.uuid) for row in page.items]
        return listing(page, items, self._path(key), {**params, "_sort": _sort})

    def get_of_patient(self, user=None, token_info=None, **path):
        with reading() as s:
            patient, row = lists.find(s, access(), self.kind, path[self.spec.id_name],
                                      path[self.patient_param])
            touched_patient(patient.uuid)
            return ok(to_api(row, patient.uuid))

    def create(self, body, user=None, token_info=None, **path):
        with writing() as s:
            patient, row = lists.create(s, access(), self.kind, path[self.patient_param], body)
            touched_patient(patient.uuid)
            return created(self._answer(row))

    def update(self, body, user=None, token_info=None, **path):
        with writing() as s:
            patient, row = lists.update(s, access(), self.kind, path[self.patient_param],
                                        path[self.spec.id_name], body)
            touched_patient(patient.uuid)
            return ok(self._answer(row) if self.kind.by_id else to_api(row, patient.uuid))

    def delete(self, user=None, token_info=None, **path):
        with writing() as s:
            patient, row = lists.delete(s, access(), self.kind, path[self.patient_param],
                                        path[self.spec.id_name])
            touched_patient(patient.uuid)
            return ok(self._answer(row, deleted=True))


_medication = IssueOperations(lists.MEDICATION, "medication")
search_medications = _medication.search_of_patient
get_medication = _medication.get_of_patient
create_medication = _medication.create
update_medication = _medication.update
delete_medication = _medication.delete

_surgery = IssueOperations(lists.SURGERY, "surgery")
search_surgeries = _surgery.search_of_patient
get_surgery = _surgery.get_of_patient
create_surgery = _surgery.create
update_surgery = _surgery.update
delete_surgery = _surgery.delete

_dental = IssueOperations(lists.DENTAL_ISSUE, "dental_issue")
search_dental_issues = _dental.search_of_patient
get_dental_issue = _dental.get_of_patient
create_dental_issue = _dental.create
update_dental_issue = _dental.update
delete_dental_issue = _dental.delete
