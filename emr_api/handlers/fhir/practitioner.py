"""FHIR Practitioner (US Core 6.1 Practitioner) from OpenEMR's practitioner rows: the NPI
as identifier, name, contact details and address."""

from __future__ import annotations

from sqlalchemy import true

from emr_api.db.models import Practitioner
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, codes

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner"
NPI = "http://hl7.org/fhir/sid/us-npi"


def _active(system, code):
    if system is not None or code not in ("true", "false"):
        return None
    return Practitioner.active.is_(code == "true")


PARAMS = {
    "identifier": Param("identifier", "token", (Practitioner.npi,),
                        token=codes(Practitioner.npi, NPI)),
    "name": Param("name", "string", (Practitioner.lname, Practitioner.fname, Practitioner.mname,
                                     Practitioner.title, Practitioner.suffix)),
    "family": Param("family", "string", (Practitioner.lname,)),
    "given": Param("given", "string", (Practitioner.fname, Practitioner.mname)),
    "active": Param("active", "token", (Practitioner.active,), token=_active),
    "email": Param("email", "token", (Practitioner.email,), token=codes(Practitioner.email, None)),
    "address-city": Param("address-city", "string", (Practitioner.city,)),
    "address-state": Param("address-state", "string", (Practitioner.state,)),
    "address-postalcode": Param("address-postalcode", "string", (Practitioner.zip,)),
}
SORT = {"family": Practitioner.lname, "given": Practitioner.fname}


def _present(items):
    return [item for item in items if item]


def to_fhir(row: Practitioner) -> dict:
    name = {"use": "official", "family": row.lname, "given": _present([row.fname, row.mname])}
    if row.title:
        name["prefix"] = [row.title]
    if row.suffix:
        name["suffix"] = [row.suffix]
    telecom = _present([
        row.phone and {"system": "phone", "value": row.phone, "use": "work"},
        row.phonecell and {"system": "phone", "value": row.phonecell, "use": "mobile"},
        row.fax and {"system": "fax", "value": row.fax, "use": "work"},
        row.email and {"system": "email", "value": row.email, "use": "work"},
    ])
    address = {k: v for k, v in {
        "use": "work", "line": _present([row.street, row.streetb]) or None,
        "city": row.city or None, "state": row.state or None, "postalCode": row.zip or None,
    }.items() if v}
    resource = {
        "resourceType": "Practitioner",
        "id": row.uuid,
        "meta": {"versionId": "1", "profile": [US_CORE]},
        "identifier": [{"system": NPI, "value": row.npi}] if row.npi else [],
        "active": bool(row.active),
        "name": [name],
        "telecom": telecom,
        "address": [address] if len(address) > 1 else [],
    }
    return {k: v for k, v in resource.items() if v != []}


PROVIDER = Provider(
    type="Practitioner",
    model=Practitioner,
    params=PARAMS,
    sort=SORT,
    # Not patient data: a patient's token sees every practitioner, as their care team.
    owner=lambda puuid: true(),
    represent=lambda session, rows: [to_fhir(row) for row in rows],
    patient_of=lambda resource: None,
    updated_column_name=None,
)
read, search, search_query, search_form = bind(PROVIDER)
