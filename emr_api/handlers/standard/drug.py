"""Standard API: /drug, the formulary (OpenEMR's `drugs`). The row is the table's columns
as OpenEMR's drug service answers them: `drug_code` (also as `rxnorm_drugcode`) is the
RxNorm code, `active` 0/1, and the row's times as `drug_date_created` and
`drug_last_updated`."""

from emr_api.handlers.standard import fields_of, wire_value
from emr_api.handlers.standard.resource import ResourceOperations
from emr_api.services import drugs

COLUMNS = ("drug_id", "uuid", "name", "ndc_number", "form", "size", "unit", "route",
           "related_code", "drug_code")


def to_api(d) -> dict:
    return {**fields_of(d, COLUMNS), "active": 1 if d.active else 0,
            "rxnorm_drugcode": d.drug_code, "drug_date_created": wire_value(d.date_created),
            "drug_last_updated": wire_value(d.last_updated)}


_ops = ResourceOperations(drugs.SPEC, "/drug", represent=to_api)
search_drugs = _ops.search
get_drug = _ops.get
