"""Standard API: /facility. Flags answer as 0/1, as OpenEMR's."""

from emr_api.handlers.standard import fields_of
from emr_api.handlers.standard.resource import ResourceOperations
from emr_api.services import facilities


def to_api(f) -> dict:
    body = fields_of(f, ("id", "uuid", *facilities.SPEC.writable))
    for name in facilities.FLAGS:
        body[name] = 1 if getattr(f, name) else 0
    return body


_ops = ResourceOperations(facilities.SPEC, "/facility", represent=to_api)
search_facilities = _ops.search
get_facility = _ops.get
create_facility = _ops.create
update_facility = _ops.update
