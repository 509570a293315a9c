"""FHIR Practitioner (US Core 6.1 Practitioner) from OpenEMR's practitioner rows: the NPI
as identifier, name, contact details and address."""

from __future__ import annotations

from sqlalchemy import true

from emr_api.db.models import Practitioner
from emr_api.handlers.fhir import elements
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, Writer, codes
from emr_api.handlers.fhir.writes import bind_writes
from emr_api.services import practitioners, resources

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


TELECOM = {("phone", "work"): "phone", ("phone", "mobile"): "phonecell",
           ("phone", None): "phone", ("fax", None): "fax", ("email", None): "email"}


def from_fhir(resource: dict) -> dict:
    """The Standard API's practitioner fields a Practitioner sets (absent is cleared)."""
    npi = [i.get("value") for i in resource.get("identifier") or []
           if isinstance(i, dict) and i.get("system") == NPI and i.get("value")]
    if not npi:
        raise elements.bad("identifier", f"an NPI (system {NPI}) is required")
    addresses = [a for a in resource.get("address") or [] if isinstance(a, dict)]
    work = next((a for a in addresses if a.get("use") == "work"), addresses[0] if addresses
                else {})
    lines = elements.address({"address": [work]})["street"]
    first, _, second = (lines or "").partition(", ")
    active = resource.get("active", True)
    if not isinstance(active, bool):
        raise elements.bad("active", "true or false")
    return {**elements.name(resource), "npi": npi[0], "active": active,
            **elements.telecom(resource, TELECOM), "street": first or None,
            "streetb": second or None, "city": elements.text(work, "city"),
            "state": elements.text(work, "state"), "zip": elements.text(work, "postalCode")}


ELEMENTS = {"fname": "name.given", "mname": "name.given", "lname": "name.family",
            "title": "name.prefix", "suffix": "name.suffix", "npi": "identifier",
            "street": "address.line", "streetb": "address.line", "city": "address.city",
            "state": "address.state", "zip": "address.postalCode", "phone": "telecom",
            "phonecell": "telecom", "fax": "telecom", "email": "telecom"}


def _create(session, caller, resource: dict):
    data = elements.obey("PractitionerCreate", from_fhir(resource), ELEMENTS)
    return resources.create(session, caller, practitioners.SPEC, data)


def _update(session, caller, row, resource: dict):
    data = elements.obey("PractitionerUpdate", from_fhir(resource), ELEMENTS)
    return resources.apply(session, practitioners.SPEC, row, data)


def _delete(session, caller, row):
    practitioners.delete(session, row)


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
    writer=Writer(create=_create, update=_update, delete=_delete),
)
read, search, search_query, search_form = bind(PROVIDER)
create, update, delete, vread, history_instance, history_type = bind_writes(PROVIDER)
