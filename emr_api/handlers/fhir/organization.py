"""FHIR Organization (US Core 6.1 Organization) from OpenEMR's facilities, with the
facility NPI as identifier."""

from __future__ import annotations

from emr_api.db.models import Facility
from emr_api.handlers.fhir.facility import ADDRESS_PARAMS, NPI, address, provider, telecom
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, codes

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization"

PARAMS = {
    "name": Param("name", "string", (Facility.name,)),
    "identifier": Param("identifier", "token", (Facility.facility_npi,),
                        token=codes(Facility.facility_npi, NPI)),
    **ADDRESS_PARAMS,
}
SORT = {"name": Facility.name}


def to_fhir(row: Facility) -> dict:
    resource = {
        "resourceType": "Organization",
        "id": row.uuid,
        "meta": {"versionId": "1", "profile": [US_CORE]},
        "identifier": [{"system": NPI, "value": row.facility_npi}] if row.facility_npi else [],
        "active": True,
        "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/organization-type",
                              "code": "prov", "display": "Healthcare Provider"}]}],
        "name": row.name,
        "telecom": telecom(row),
        "address": [a] if (a := address(row)) else [],
    }
    return {k: v for k, v in resource.items() if v != []}


PROVIDER = provider("Organization", PARAMS, SORT, to_fhir)
read, search, search_query, search_form = bind(PROVIDER)
