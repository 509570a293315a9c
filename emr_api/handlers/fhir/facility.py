"""What FHIR Organization and Location share: both are OpenEMR's facilities (a facility is
the organization that runs it and the place it is), with the same address and contacts."""

from __future__ import annotations

from sqlalchemy import true

from emr_api.db.models import Facility
from emr_api.handlers.fhir.provider import Param, Provider

NPI = "http://hl7.org/fhir/sid/us-npi"


def present(items: list) -> list:
    return [item for item in items if item]


def telecom(row: Facility) -> list[dict]:
    return present([
        row.phone and {"system": "phone", "value": row.phone, "use": "work"},
        row.fax and {"system": "fax", "value": row.fax, "use": "work"},
        row.email and {"system": "email", "value": row.email, "use": "work"},
        row.website and {"system": "url", "value": row.website, "use": "work"},
    ])


def address(row: Facility) -> dict | None:
    found = {k: v for k, v in {
        "use": "work", "line": present([row.street]) or None, "city": row.city or None,
        "state": row.state or None, "postalCode": row.postal_code or None,
        "country": row.country_code or None}.items() if v}
    return found if len(found) > 1 else None


ADDRESS_PARAMS = {
    "address": Param("address", "string", (Facility.street, Facility.city, Facility.state,
                                           Facility.postal_code, Facility.country_code)),
    "address-city": Param("address-city", "string", (Facility.city,)),
    "address-state": Param("address-state", "string", (Facility.state,)),
    "address-postalcode": Param("address-postalcode", "string", (Facility.postal_code,)),
}


def provider(type_: str, params: dict, sort: dict, to_fhir) -> Provider:
    """A FHIR type over the facilities: not patient data (every caller sees them), and
    their rows keep no change time."""
    return Provider(type=type_, model=Facility, params=params, sort=sort,
                    owner=lambda puuid: true(),
                    represent=lambda session, rows: [to_fhir(row) for row in rows],
                    patient_of=lambda resource: None, updated_column_name=None)
