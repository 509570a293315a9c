"""FHIR PractitionerRole (US Core 6.1 PractitionerRole) from OpenEMR's practitioners: each
practitioner assigned to a facility practises there, for the organization the facility is
and at the location it is (organization.py and location.py serve both under the facility's
uuid). The role is the practitioner's physician type (OpenEMR keeps its code, such as
`SNOMED-CT:405279007`, and title); without one, a healthcare professional. The specialty
is the NUCC provider taxonomy code of the practitioner's specialty. A role's id is its
practitioner's: one role per practitioner."""

from __future__ import annotations

import re

from sqlalchemy import or_, select, true

from emr_api.db.models import Facility, Practitioner
from emr_api.handlers.fhir.codes import SYSTEMS
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitionerrole"
NUCC = "http://nucc.org/provider-taxonomy"
SNOMED = SYSTEMS["SNOMED"]
# The role of a practitioner whose physician type names none.
PROFESSIONAL = ("223366009", "Healthcare professional")
# OpenEMR's code schemes for SNOMED CT in its list options' codes.
SNOMED_SCHEMES = ("SNOMED-CT", "SNOMED")
# Specialties as OpenEMR's practitioners carry them (names), with their NUCC taxonomy
# codes; a specialty stored as a taxonomy code is taken as it is.
SPECIALTIES = {
    "Family Medicine": "207Q00000X",
    "Internal Medicine": "207R00000X",
    "Pediatrics": "208000000X",
    "Cardiology": "207RC0000X",
    "Cardiovascular Disease": "207RC0000X",
    "Emergency Medicine": "207P00000X",
    "Obstetrics & Gynecology": "207V00000X",
    "Dermatology": "207N00000X",
    "Psychiatry": "2084P0800X",
    "General Practice": "208D00000X",
    "Nurse Practitioner": "363L00000X",
    "Physician Assistant": "363A00000X",
}
TAXONOMY_CODE = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")


def specialty_code(specialty: str | None) -> str | None:
    if not specialty:
        return None
    if TAXONOMY_CODE.fullmatch(specialty):
        return specialty
    return SPECIALTIES.get(specialty)


def _specialty(system, code):
    if system not in (None, NUCC):
        return None
    if not code:  # `system|`: any specialty with a taxonomy code
        return Practitioner.specialty.in_([*SPECIALTIES, *SPECIALTIES.values()])
    names = [name for name, known in SPECIALTIES.items() if known == code]
    return Practitioner.specialty.in_([*names, code])


def role(row: Practitioner) -> tuple[str, str]:
    """(SNOMED CT code, display) of the practitioner's role."""
    scheme, _, code = (row.physician_code or "").partition(":")
    if scheme.upper() in SNOMED_SCHEMES and code:
        return code, row.physician_title or code
    return PROFESSIONAL


def _role(system, code):
    if system not in (None, SNOMED):
        return None
    if not code:
        return true()
    clauses = [Practitioner.physician_code.in_([f"{s}:{code}" for s in SNOMED_SCHEMES])]
    if code == PROFESSIONAL[0]:  # also those whose type names no SNOMED CT code
        clauses.append(or_(Practitioner.physician_code.is_(None),
                           ~or_(*[Practitioner.physician_code.like(f"{s}:%")
                                  for s in SNOMED_SCHEMES])))
    return or_(*clauses)


def _at_facility(id_: str):
    return Practitioner.facility_id == select(Facility.id).where(
        Facility.uuid == id_).scalar_subquery()


PARAMS = {
    "specialty": Param("specialty", "token", (Practitioner.specialty,), token=_specialty),
    "practitioner": Param("practitioner", "reference", (Practitioner.id,),
                          reference=lambda id_: Practitioner.uuid == id_,
                          targets=("Practitioner",)),
    "organization": Param("organization", "reference", (Practitioner.facility_id,),
                          reference=_at_facility, targets=("Organization",)),
    "location": Param("location", "reference", (Practitioner.facility_id,),
                      reference=_at_facility, targets=("Location",)),
    "role": Param("role", "token", (Practitioner.physician_code,), token=_role),
}


def _present(items):
    return [item for item in items if item]


def _telecom(row: Practitioner, facility: Facility | None) -> list[dict]:
    """The practitioner's own contact details, else the facility's (US Core asks a role
    for contact details or an endpoint)."""
    own = _present([
        row.phone and {"system": "phone", "value": row.phone, "use": "work"},
        row.phonew1 and {"system": "phone", "value": row.phonew1, "use": "work"},
        row.fax and {"system": "fax", "value": row.fax, "use": "work"},
        row.email and {"system": "email", "value": row.email, "use": "work"},
    ])
    if own or facility is None:
        return own
    return _present([
        facility.phone and {"system": "phone", "value": facility.phone, "use": "work"},
        facility.fax and {"system": "fax", "value": facility.fax, "use": "work"},
        facility.email and {"system": "email", "value": facility.email, "use": "work"},
    ])


def to_fhir(row: Practitioner, facility: Facility | None) -> dict:
    code, display = role(row)
    resource = {
        "resourceType": "PractitionerRole",
        "id": row.uuid,
        "meta": {"versionId": "1", "profile": [US_CORE]},
        "active": bool(row.active),
        "practitioner": {"reference": f"Practitioner/{row.uuid}",
                         "display": " ".join(_present([row.title, row.fname, row.lname]))},
    }
    if facility is not None:
        resource["organization"] = {"reference": f"Organization/{facility.uuid}",
                                    "display": facility.name}
    resource["code"] = [{"coding": [{"system": SNOMED, "code": code, "display": display}],
                         "text": display}]
    taxonomy = specialty_code(row.specialty)
    if taxonomy:
        resource["specialty"] = [{"coding": [{"system": NUCC, "code": taxonomy}],
                                  "text": row.specialty}]
    elif row.specialty:
        resource["specialty"] = [{"text": row.specialty}]
    if facility is not None:
        resource["location"] = [{"reference": f"Location/{facility.uuid}",
                                 "display": facility.name}]
    if telecom := _telecom(row, facility):
        resource["telecom"] = telecom
    return resource


def represent(session, rows) -> list[dict]:
    wanted = {r.facility_id for r in rows if r.facility_id is not None}
    facilities = {f.id: f for f in session.execute(
        select(Facility).where(Facility.id.in_(wanted))).scalars()} if wanted else {}
    return [to_fhir(row, facilities.get(row.facility_id)) for row in rows]


PROVIDER = Provider(
    type="PractitionerRole",
    model=Practitioner,
    params=PARAMS,
    sort={},
    # Not patient data: a patient's token with the scope sees the practice's roles.
    owner=lambda puuid: true(),
    represent=represent,
    patient_of=lambda resource: None,
    base=(Practitioner.facility_id.is_not(None),),
    updated_column_name=None,
)
read, search, search_query, search_form = bind(PROVIDER)
