"""FHIR Organization (US Core 6.1 Organization) from two of OpenEMR's tables: its facilities
(healthcare providers, with the facility NPI as identifier) and its insurance companies
(payers, which a Coverage names as its payor).

As Observation does (observation.py), the type's model is a class mapped onto a UNION ALL
of one SELECT per table with the columns a search needs, so the generic search, paging
and includes run on it unchanged; ids are the rows' own uuids (unique in each table, and
uuid4s, so never shared between the two)."""

from __future__ import annotations

from sqlalchemy import String, literal_column, null, select, true, union_all
from sqlalchemy.orm import registry as mapper_registry

from emr_api.db.models import Facility, InsuranceCompany
from emr_api.handlers.fhir.facility import NPI, address, present, telecom
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, codes

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
FACILITY, PAYER = "facility", "payer"

ORGANIZATIONS = union_all(
    select(Facility.uuid.label("id"), literal_column(f"'{FACILITY}'", String).label("source"),
           Facility.name.label("name"), Facility.facility_npi.label("npi"),
           Facility.street.label("street"), Facility.city.label("city"),
           Facility.state.label("state"), Facility.postal_code.label("postal_code"),
           Facility.country_code.label("country")),
    select(InsuranceCompany.uuid.label("id"), literal_column(f"'{PAYER}'", String).label("source"),
           InsuranceCompany.name.label("name"), null().label("npi"),
           InsuranceCompany.line1.label("street"), InsuranceCompany.city.label("city"),
           InsuranceCompany.state.label("state"), InsuranceCompany.zip.label("postal_code"),
           InsuranceCompany.country.label("country")),
).subquery("organization")


class OrganizationRow:
    """One Organization as the union gives it: `id` (the row's uuid), `source` (facility
    or payer), `name`, `npi`, and the address searched."""


mapper_registry().map_imperatively(OrganizationRow, ORGANIZATIONS,
                                   primary_key=[ORGANIZATIONS.c.id])

PARAMS = {
    "name": Param("name", "string", (OrganizationRow.name,)),
    "identifier": Param("identifier", "token", (OrganizationRow.npi,),
                        token=codes(OrganizationRow.npi, NPI)),
    "address": Param("address", "string", (
        OrganizationRow.street, OrganizationRow.city, OrganizationRow.state,
        OrganizationRow.postal_code, OrganizationRow.country)),
    "address-city": Param("address-city", "string", (OrganizationRow.city,)),
    "address-state": Param("address-state", "string", (OrganizationRow.state,)),
    "address-postalcode": Param("address-postalcode", "string", (OrganizationRow.postal_code,)),
}
SORT = {"name": OrganizationRow.name}


def _kind(code: str, display: str) -> list[dict]:
    return [{"coding": [{"system": ORGANIZATION_TYPE, "code": code, "display": display}]}]


def to_fhir(row: Facility) -> dict:
    resource = {
        "resourceType": "Organization",
        "id": row.uuid,
        "meta": {"versionId": "1", "profile": [US_CORE]},
        "identifier": [{"system": NPI, "value": row.facility_npi}] if row.facility_npi else [],
        "active": True,
        "type": _kind("prov", "Healthcare Provider"),
        "name": row.name,
        "telecom": telecom(row),
        "address": [a] if (a := address(row)) else [],
    }
    return {k: v for k, v in resource.items() if v != []}


def payer_to_fhir(row: InsuranceCompany) -> dict:
    found = {k: v for k, v in {
        "use": "work", "line": present([row.line1, row.line2]) or None,
        "city": row.city or None, "state": row.state or None, "postalCode": row.zip or None,
        "country": row.country or None}.items() if v}
    resource = {
        "resourceType": "Organization",
        "id": row.uuid,
        "meta": {"versionId": "1", "profile": [US_CORE]},
        # The payer id claims are sent with (OpenEMR's CMS id); no FHIR system names it.
        "identifier": [{"type": {"text": "Payer ID"}, "value": row.cms_id}]
        if row.cms_id else [],
        "active": not row.inactive,
        "type": _kind("pay", "Payer"),
        "name": row.name,
        "address": [found] if len(found) > 1 else [],
    }
    return {k: v for k, v in resource.items() if v != []}


def represent(session, rows) -> list[dict]:
    wanted = {source: [r.id for r in rows if r.source == source] for source in (FACILITY, PAYER)}
    facilities = {f.uuid: f for f in session.execute(select(Facility).where(
        Facility.uuid.in_(wanted[FACILITY]))).scalars()} if wanted[FACILITY] else {}
    payers = {p.uuid: p for p in session.execute(select(InsuranceCompany).where(
        InsuranceCompany.uuid.in_(wanted[PAYER]))).scalars()} if wanted[PAYER] else {}
    return [to_fhir(facilities[r.id]) if r.source == FACILITY else payer_to_fhir(payers[r.id])
            for r in rows]


PROVIDER = Provider(
    type="Organization",
    model=OrganizationRow,
    params=PARAMS,
    sort=SORT,
    owner=lambda puuid: true(),  # not patient data
    represent=represent,
    patient_of=lambda resource: None,
    id_column_name="id",
    updated_column_name=None,
)
read, search, search_query, search_form = bind(PROVIDER)
