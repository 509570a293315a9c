"""US Core Provenance of any served resource, derived from the resource itself: OpenEMR
keeps no provenance records, and what US Core asks of one (the target, when it was
recorded, who wrote it and who sends it) is what the resource and the site already say.
The author and the transmitter are the site's primary business entity (the facility
flagged so, else the first facility) as an Organization, as OpenEMR states them.

A Provenance's id is a short code of its target's type and the target's id (`pa-<uuid>`,
`ob-<uuid>-bp`), so it is found again from its id and fits FHIR's 64 characters."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from emr_api import scopes
from emr_api.auth import acl
from emr_api.db.models import Facility
from emr_api.handlers.fhir.provider import instant

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-provenance"
PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
US_CORE_PARTICIPANT = "http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type"
# The ACL a Provenance needs besides its target's own (its operations' `x-acl`).
ACL = ("patients", "demo")
# The code of each type a Provenance can be of; a new type gets its own here
# (tests/fhir/test_provenance.py holds every served type to having one).
CODES = {
    "AllergyIntolerance": "ai", "Appointment": "ap", "CarePlan": "cp", "CareTeam": "ct",
    "Condition": "co", "Coverage": "cv", "Device": "de", "DiagnosticReport": "dr",
    "DocumentReference": "dc", "Encounter": "en", "Goal": "go", "Group": "gr",
    "Immunization": "im", "Location": "lo", "Media": "me", "Medication": "md",
    "MedicationDispense": "mdd", "MedicationRequest": "mr", "Observation": "ob",
    "Organization": "or", "Patient": "pa", "Person": "pe", "Practitioner": "pr",
    "PractitionerRole": "prr", "Procedure": "pc", "Questionnaire": "qu",
    "QuestionnaireResponse": "qr", "RelatedPerson": "rp", "ServiceRequest": "sr",
    "Specimen": "sp",
}
TYPES = {code: type_ for type_, code in CODES.items()}


def provenance_id(type_: str, id_: str) -> str:
    return f"{CODES[type_]}-{id_}"


def target_of(provenance: str) -> tuple[str, str] | None:
    """(type, id) of the resource a Provenance id is about; None for an id of no type."""
    code, _, id_ = provenance.partition("-")
    type_ = TYPES.get(code)
    return (type_, id_) if type_ and id_ else None


def may_see(caller) -> bool:
    """Whether the caller's token and role allow Provenance at all."""
    context = "patient" if caller.patient_uuid else "user"
    if not scopes.satisfies(caller.scopes, f"{context}/Provenance.s"):
        return False
    return context == "patient" or acl.allows(caller.acl_group, *ACL)


def author(session) -> dict:
    """The Organization the site's records come from."""
    found = session.execute(select(Facility.uuid, Facility.name).order_by(
        Facility.primary_business_entity.desc(), Facility.id).limit(1)).first()
    if found is None:
        return {"display": "This practice"}
    return {"reference": f"Organization/{found.uuid}", "display": found.name}


def of(resources: list[dict], who: dict) -> list[dict]:
    """The Provenance of each resource (of a type with a code)."""
    now = instant(datetime.now(timezone.utc).replace(tzinfo=None))
    found = []
    for resource in resources:
        type_ = resource["resourceType"]
        if type_ not in CODES:
            continue
        recorded = resource.get("meta", {}).get("lastUpdated") or now
        found.append({
            "resourceType": "Provenance",
            "id": provenance_id(type_, resource["id"]),
            "meta": {"versionId": "1", "lastUpdated": recorded, "profile": [US_CORE]},
            "target": [{"reference": f"{type_}/{resource['id']}"}],
            "recorded": recorded,
            "agent": [
                {"type": {"coding": [{"system": PARTICIPANT, "code": "author",
                                      "display": "Author"}]}, "who": who},
                {"type": {"coding": [{"system": US_CORE_PARTICIPANT, "code": "transmitter",
                                      "display": "Transmitter"}]}, "who": who},
            ],
        })
    return found
