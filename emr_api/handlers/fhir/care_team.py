"""FHIR CareTeam (US Core 6.1 CareTeam) from OpenEMR 7's care teams (care_teams) and their
members (care_team_member).

Each member is a participant: a practitioner, or (a member without one) the patient, in
the role OpenEMR's `care_team_roles` option names, coded in SNOMED CT (the care team member
functions US Core binds) or, for a clinician's specialty, the NUCC provider taxonomy; the
facility a member acts for is the organization (`onBehalfOf`), and the day they joined
starts their period."""

from __future__ import annotations

from emr_api.db.models import CareTeam, CareTeamMember
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, codes, instant
from emr_api.services import care

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-careteam"
STATUS = "http://hl7.org/fhir/care-team-status"
SNOMED = "http://snomed.info/sct"
NUCC = "http://nucc.org/provider-taxonomy"
ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
# OpenEMR's care team roles (option ids) as (system, code, display).
ROLES = {
    "patient": (SNOMED, "116154003", "Patient"),
    "primary_care_provider": (SNOMED, "446050000", "Primary care physician"),
    "physician": (SNOMED, "309343006", "Physician"),
    "nurse": (SNOMED, "224535009", "Registered nurse"),
    "pharmacist": (SNOMED, "46255001", "Pharmacist"),
    "social_worker": (SNOMED, "106328005", "Social worker"),
    "caregiver": (SNOMED, "133932002", "Caregiver"),
    "family_medicine": (NUCC, "207Q00000X", "Family Medicine Physician"),
    "cardiology": (NUCC, "207RC0000X", "Cardiovascular Disease Physician"),
}


def _role(system, code):
    """The teams with a member in a role of this code (and system)."""
    wanted = [option for option, (known, value, _) in ROLES.items()
              if system in (None, known) and code in (value, "")]
    if not wanted:
        return None
    return care.members_with(CareTeamMember.role.in_(wanted))


PARAMS = {
    "patient": Param("patient", "reference", (CareTeam.pid,), reference=care.team_owner,
                     targets=("Patient",), element="subject"),
    "status": Param("status", "token", (CareTeam.status,),
                    token=codes(CareTeam.status, STATUS)),
    "role": Param("role", "token", (CareTeam.id,), token=_role),
}


def role(option: str) -> dict:
    known = ROLES.get(option)
    if known is None:
        return {"text": option.replace("_", " ")}
    system, code, display = known
    return {"coding": [{"system": system, "code": code, "display": display}],
            "text": display}


def participant(member: care.Member, patient_uuid: str) -> dict:
    row = member.row
    who = (f"Practitioner/{member.practitioner_uuid}" if member.practitioner_uuid
           else f"Patient/{patient_uuid}")
    found = {"role": [role(row.role)], "member": {"reference": who}}
    if member.facility_uuid:
        found["onBehalfOf"] = {"reference": f"Organization/{member.facility_uuid}",
                               "display": member.facility_name}
    if row.provider_since is not None:
        found["period"] = {"start": row.provider_since.isoformat()}
    return found


def to_fhir(row: CareTeam, patient_uuid: str, members: list[care.Member]) -> dict:
    resource = {
        "resourceType": "CareTeam",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.date_updated),
                 "profile": [US_CORE]},
        "status": row.status,
    }
    if row.team_name:
        resource["name"] = row.team_name
    resource["subject"] = {"reference": f"Patient/{patient_uuid}"}
    # A team without members yet: the patient, in a role not recorded.
    resource["participant"] = [participant(member, patient_uuid) for member in members] or [
        {"role": [{"extension": [{"url": ABSENT, "valueCode": "unknown"}]}],
         "member": {"reference": f"Patient/{patient_uuid}"}}]
    if row.note:
        resource["note"] = [{"text": row.note}]
    return resource


def represent(session, rows) -> list[dict]:
    patients = care.patient_uuids(session, (row.pid for row in rows))
    members = care.members(session, (row.id for row in rows))
    return [to_fhir(row, patients[row.pid], members[row.id]) for row in rows]


PROVIDER = Provider(
    type="CareTeam",
    model=CareTeam,
    params=PARAMS,
    sort={},
    owner=care.team_owner,
    represent=represent,
    updated_column_name="date_updated",
)
read, search, search_query, search_form = bind(PROVIDER)
