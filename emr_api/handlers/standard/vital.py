"""Standard API: /patient/{pid}/encounter/{eid}/vital, OpenEMR's form_vitals of one
encounter (`eid` is the encounter's number, as in OpenEMR's routes). Also the operations
every encounter form shares (`FormOperations`, used by soap_note.py).

A form's row is its table's columns with `authorized`/`activity` as 0/1, the patient's
`pid`/`puuid` and the encounter's `eid` (number) and `euuid`. A create answers the new
ids as OpenEMR names them (`{vid, fid}`, `{sid, fid}`), an update the form's id
(`{vid}`, `{sid}`)."""

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
from emr_api.services import encounter_forms
from emr_api.services.encounter_forms import Kind, Place

COMMON = ("id", "uuid", "date", "user", "groupname")
OUTPUT = {
    "vital": COMMON + ("bps", "bpd", "weight", "height", "temperature", "temp_method", "pulse",
                       "respiration", "note", "BMI", "BMI_status", "waist_circ", "head_circ",
                       "oxygen_saturation", "oxygen_flow_rate", "inhaled_oxygen_concentration",
                       "ped_weight_height", "ped_bmi", "ped_head_circ", "external_id",
                       "last_updated"),
    "soap_note": COMMON + encounter_forms.SOAP_SECTIONS,
}
# Numbers as numbers on every database (SQLite may hand back an integral value as int).
MEASURES = frozenset(encounter_forms.VITAL_MEASURES)


class FormOperations(ResourceOperations):
    """The four operations of one kind of encounter form, bound to its spec: the patient,
    the encounter and the form all come from the path."""

    def __init__(self, kind: Kind, collection: str):
        # Every operation is its own below: a row is shaped with its patient and
        # encounter, which the base class's one-argument `represent` cannot see.
        super().__init__(kind.spec, f"/{collection}", represent=None)
        self.kind = kind
        self.output = OUTPUT[kind.spec.name]

    def to_api(self, row, where: Place) -> dict:
        data = fields_of(row, self.output)
        for name in MEASURES.intersection(data):
            data[name] = None if data[name] is None else float(data[name])
        return {**data, "authorized": 1 if row.authorized else 0,
                "activity": 1 if row.activity else 0,
                "pid": where.patient.pid, "puuid": where.patient.uuid,
                "eid": where.encounter.encounter, "euuid": where.encounter.uuid}

    def _path(self, pid, eid) -> str:
        return f"/patient/{pid}/encounter/{eid}{self.collection}"

    def search(self, pid, eid, _limit=None, _offset=None, _sort=None, user=None,
               token_info=None, **filters):
        with reading() as s:
            where, page = encounter_forms.search(s, access(), self.kind, pid, eid, sort=_sort,
                                                 limit=_limit, offset=_offset)
            touched_patient(where.patient.uuid)
            items = [self.to_api(row, where) for row in page.items]
        return listing(page, items, self._path(pid, eid), {"_sort": _sort})

    def get(self, pid, eid, user=None, token_info=None, **path):
        with reading() as s:
            where, row = encounter_forms.find(s, access(), self.kind, pid, eid,
                                              path[self.spec.id_name])
            touched_patient(where.patient.uuid)
            return ok(self.to_api(row, where))

    def create(self, pid, eid, body, user=None, token_info=None):
        with writing() as s:
            where, row, link = encounter_forms.create(s, access(), self.kind, pid, eid, body)
            touched_patient(where.patient.uuid)
            return created({self.spec.id_name: row.id, "fid": link.id})

    def update(self, pid, eid, body, user=None, token_info=None, **path):
        with writing() as s:
            where, row = encounter_forms.update(s, access(), self.kind, pid, eid,
                                                path[self.spec.id_name], body)
            touched_patient(where.patient.uuid)
            return ok({self.spec.id_name: row.id})


_ops = FormOperations(encounter_forms.VITALS, "vital")
search_vitals = _ops.search
get_vital = _ops.get
create_vital = _ops.create
update_vital = _ops.update
