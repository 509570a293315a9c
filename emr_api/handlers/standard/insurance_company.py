"""Standard API: /insurance_company (OpenEMR's insurance companies, with their address)
and /insurance_type. Companies are addressed by their integer id (`iid`); `inactive`
answers 0/1. A create answers `{iid, uuid}`, an update `{iid}`, as OpenEMR's do; the
insurance types answer OpenEMR's map of type id to name."""

from __future__ import annotations

from emr_api.handlers.standard import access, fields_of, ok, reading, writing
from emr_api.handlers.standard.resource import ResourceOperations
from emr_api.services import insurance_companies

# What these operations search and write (checked against the YAML by a test).
RESOURCE = insurance_companies.SPEC
OUTPUT = ("id", "uuid", *insurance_companies.SPEC.writable, "date_created", "last_updated")


def to_api(company) -> dict:
    return {**fields_of(company, OUTPUT), "inactive": 1 if company.inactive else 0}


_ops = ResourceOperations(insurance_companies.SPEC, "/insurance_company", represent=to_api,
                          created_ids=lambda row: {"iid": row.id, "uuid": row.uuid})
search_insurance_companies = _ops.search
create_insurance_company = _ops.create


def get_insurance_company(iid):
    with reading() as s:
        return ok(to_api(insurance_companies.find(s, access(), iid)))


def update_insurance_company(iid, body):
    with writing() as s:
        return ok({"iid": insurance_companies.update(s, access(), iid, body).id})


def get_insurance_types():
    with reading() as s:
        return ok({str(t.id): t.type for t in insurance_companies.types(s, access())})
