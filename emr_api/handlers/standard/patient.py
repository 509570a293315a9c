"""Standard API: /patient. OpenEMR's patient row: `id` is `pid`."""

from emr_api.handlers.standard import fields_of
from emr_api.handlers.standard.resource import ResourceOperations
from emr_api.services import patients


def to_api(p) -> dict:
    row = fields_of(p, ("pid", "uuid", "date", "last_updated", *patients.SPEC.writable))
    # OpenEMR's patient_data text columns are NOT NULL DEFAULT '': none is "", not null.
    return {**{k: "" if v is None else v for k, v in row.items()}, "id": p.pid}


_ops = ResourceOperations(patients.SPEC, "/patient", represent=to_api,
                          created_ids=lambda p: {"pid": p.pid, "uuid": p.uuid},
                          patient_of=lambda p: p.uuid)
search_patients = _ops.search
get_patient = _ops.get
create_patient = _ops.create
update_patient = _ops.update
