"""FHIR Device (US Core 6.1 Implantable Device) from OpenEMR's `lists` rows of type
medical_device: a device implanted in a patient, with its Unique Device Identifier.

`udi` is the UDI as printed (the human-readable form, `carrierHRF`); `udi_data` is what
the FDA's GUDID made of it, as JSON: the UDI's parts under `standard_elements` (`di` the
device identifier, `lotNumber`, `serialNumber`, `manufacturingDate`, `expirationDate`,
`donationId`, `issuingAgency`) and the device's record under `device` (`brandName`,
`versionModelNumber`, `companyName`, `deviceDescription`). The type is the row's SNOMED CT
`diagnosis` with its title as text (the title alone when it has no code); the status is
`active` while the row is on and has not ended, else `inactive`."""

from __future__ import annotations

import json
from datetime import date

from emr_api.db.models import Issue
from emr_api.handlers.fhir import codes
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.lists import clinical_status
from emr_api.handlers.fhir.provider import Param, Provider, instant
from emr_api.services import care
from emr_api.services.lists import patient_uuids

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-implantable-device"
SNOMED = codes.SYSTEMS["SNOMED-CT"]
FDA = "http://hl7.org/fhir/NamingSystem/fda-udi"
# The UDI's issuing agencies as the FDA names them, and the systems FHIR gives them.
ISSUERS = {"GS1": "http://hl7.org/fhir/NamingSystem/gs1-di",
           "HIBCC": "http://hl7.org/fhir/NamingSystem/hibcc-dI",
           "ICCBBA": "http://hl7.org/fhir/NamingSystem/iccbba-other-di"}


def _type(system, code):
    """Only SNOMED CT codes type a device."""
    if system not in (None, SNOMED):
        return None
    return codes.token(Issue.diagnosis)(SNOMED, code)


PARAMS = {
    "patient": Param("patient", "reference", (Issue.pid,), reference=care.device_owner,
                     targets=("Patient",)),
    "type": Param("type", "token", (Issue.diagnosis,), token=_type),
}


def udi_parts(row: Issue) -> tuple[dict, dict]:
    """(the UDI's parts, the device's record) from `udi_data`; empty when it holds none
    or is not the JSON it should be."""
    try:
        data = json.loads(row.udi_data) if row.udi_data else {}
    except ValueError:
        return {}, {}
    if not isinstance(data, dict):
        return {}, {}
    parts, device = data.get("standard_elements"), data.get("device")
    return (parts if isinstance(parts, dict) else {}), (device if isinstance(device, dict)
                                                        else {})


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _day(value) -> str | None:
    """A GUDID date (`YYYY-MM-DD`, maybe with a time) as a FHIR dateTime day."""
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def _type_concept(row: Issue) -> dict:
    coding = [c for c in codes.codings(row.diagnosis, row.title) if c["system"] == SNOMED]
    return {"coding": coding, "text": row.title} if coding else {"text": row.title}


def to_fhir(row: Issue, patient_uuid: str) -> dict:
    parts, device = udi_parts(row)
    resource = {
        "resourceType": "Device",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.modifydate),
                 "profile": [US_CORE]},
    }
    carrier = {}
    if di := _text(parts.get("di")):
        carrier["deviceIdentifier"] = di
        issuer = ISSUERS.get(_text(parts.get("issuingAgency")) or "")
        if issuer:
            carrier["issuer"] = issuer
        carrier["jurisdiction"] = FDA
    if hrf := _text(row.udi) or _text(parts.get("udi")):
        carrier["carrierHRF"] = hrf
    if carrier:
        resource["udiCarrier"] = [carrier]
    if donation := _text(parts.get("donationId")):
        resource["distinctIdentifier"] = donation
    resource["status"] = "active" if clinical_status(row) == "active" else "inactive"
    for element, key in (("manufactureDate", "manufacturingDate"),
                         ("expirationDate", "expirationDate")):
        if day := _day(parts.get(key)):
            resource[element] = day
    for element, key in (("lotNumber", "lotNumber"), ("serialNumber", "serialNumber")):
        if value := _text(parts.get(key)):
            resource[element] = value
    if brand := _text(device.get("brandName")):
        resource["deviceName"] = [{"name": brand, "type": "manufacturer-name"}]
    if model := _text(device.get("versionModelNumber")):
        resource["modelNumber"] = model
    if company := _text(device.get("companyName")):
        resource["manufacturer"] = company
    resource["type"] = _type_concept(row)
    resource["patient"] = {"reference": f"Patient/{patient_uuid}"}
    notes = [text for text in (_text(device.get("deviceDescription")), _text(row.comments))
             if text]
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    return resource


def represent(session, rows) -> list[dict]:
    uuids = patient_uuids(session, rows)  # one query a page
    return [to_fhir(row, uuids[row.pid]) for row in rows]


PROVIDER = Provider(
    type="Device",
    model=Issue,
    params=PARAMS,
    sort={},
    owner=care.device_owner,
    represent=represent,
    base=(care.is_device(),),
    updated_column_name="modifydate",
)
read, search, search_query, search_form = bind(PROVIDER)
