"""Standard API: /practitioner. `active` answers as 0/1, as OpenEMR's."""

from emr_api.handlers.standard import fields_of
from emr_api.handlers.standard.resource import ResourceOperations
from emr_api.services import practitioners


def to_api(p) -> dict:
    return {**fields_of(p, ("id", "uuid", *practitioners.SPEC.writable)),
            "active": 1 if p.active else 0}


_ops = ResourceOperations(practitioners.SPEC, "/practitioner", represent=to_api)
search_practitioners = _ops.search
get_practitioner = _ops.get
create_practitioner = _ops.create
update_practitioner = _ops.update
