"""FHIR Location (US Core 6.1 Location) from OpenEMR's facilities: where care happens,
managed by the organization of the same facility."""

from __future__ import annotations

from emr_api.db.models import Facility
from emr_api.handlers.fhir.facility import ADDRESS_PARAMS, address, provider, telecom
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-location"

PARAMS = {
    "name": Param("name", "string", (Facility.name,)),
    "organization": Param("organization", "reference", (Facility.id,),
                          reference=lambda id_: Facility.uuid == id_, targets=("Organization",),
                          element="managingOrganization"),
    **ADDRESS_PARAMS,
}
SORT = {"name": Facility.name}


def to_fhir(row: Facility) -> dict:
    resource = {
        "resourceType": "Location",
        "id": row.uuid,
        "meta": {"versionId": "1", "profile": [US_CORE]},
        "status": "active",
        "name": row.name,
        "mode": "instance",
        "telecom": telecom(row),
        "managingOrganization": {"reference": f"Organization/{row.uuid}"},
    }
    if a := address(row):
        resource["address"] = a
    return {k: v for k, v in resource.items() if v != []}


PROVIDER = provider("Location", PARAMS, SORT, to_fhir)
read, search, search_query, search_form = bind(PROVIDER)
