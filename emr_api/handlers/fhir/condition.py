"""FHIR Condition from OpenEMR's problems, as one type over three kinds of row:

- problem-list items (US Core Condition Problems and Health Concerns): `lists` rows of type
  medical_problem, their id the row's uuid;
- health concerns (the same profile, category `health-concern` of US Core's own
  condition-category system): `lists` rows of type health_concern, kept as problems are;
- encounter diagnoses (US Core Condition Encounter Diagnosis): each `issue_encounter` link
  of a problem to a visit, its id the link's uuid, with the encounter it was diagnosed in
  and that visit's date as its recorded date; resolved when the link says it was resolved
  at that visit, else as its problem.

Each is coded with the problem's ICD-10-CM (or SNOMED CT) `diagnosis`, onset and abatement
from its dates. As Observation does (observation.py), the three are one UNION ALL with the
columns a search needs, mapped to `ConditionRow`, so the generic search, the patient
narrowing and the keyset paging run on it unchanged; each database pushes a search's
conditions down into every SELECT."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Boolean, String, and_, cast, literal_column, not_, null, or_, select, \
    union_all
from sqlalchemy.orm import registry as mapper_registry

from emr_api.db.models import Encounter, Issue, IssueEncounter, Patient
from emr_api.handlers.fhir import codes
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.lists import status_concept
from emr_api.handlers.fhir.provider import Param, Provider, instant
from emr_api.services import lists

PROFILES = "http://hl7.org/fhir/us/core/StructureDefinition/"
PROBLEMS_PROFILE = PROFILES + "us-core-condition-problems-health-concerns"
DIAGNOSIS_PROFILE = PROFILES + "us-core-condition-encounter-diagnosis"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
PROBLEM, DIAGNOSIS, CONCERN = "problem-list-item", "encounter-diagnosis", "health-concern"
# category code -> (its system, its display)
CATEGORIES = {PROBLEM: (CATEGORY, "Problem List Item"),
              DIAGNOSIS: (CATEGORY, "Encounter Diagnosis"),
              CONCERN: (US_CORE_CATEGORY, "Health Concern")}
# The `lists` type of a health concern.
HEALTH_CONCERN = "health_concern"


def _text(value: str):
    # Our own constants only, inlined so every branch has the same column types.
    assert re.fullmatch(r"[A-Za-z0-9.\-]*", value)
    return literal_column(f"'{value}'", String)


def _issue_branch(type_: str, category: str):
    return select(
        Issue.uuid.label("id"),
        _text(category).label("category"),
        Issue.id.label("list_id"),
        Issue.pid.label("pid"),
        Patient.uuid.label("puuid"),
        Issue.diagnosis.label("code"),
        Issue.activity.label("activity"),
        literal_column("false", Boolean).label("resolved"),
        Issue.begdate.label("onset"),
        Issue.enddate.label("abatement"),
        Issue.date.label("recorded"),
        Issue.modifydate.label("last_updated"),
        cast(null(), String(36)).label("encounter"),
    ).join(Patient, Patient.pid == Issue.pid).where(Issue.type == type_)


def _diagnosis_branch():
    return select(
        IssueEncounter.uuid.label("id"),
        _text(DIAGNOSIS).label("category"),
        Issue.id.label("list_id"),
        Issue.pid.label("pid"),
        Patient.uuid.label("puuid"),
        Issue.diagnosis.label("code"),
        Issue.activity.label("activity"),
        IssueEncounter.resolved.label("resolved"),
        Issue.begdate.label("onset"),
        Issue.enddate.label("abatement"),
        Encounter.date.label("recorded"),
        Issue.modifydate.label("last_updated"),
        Encounter.uuid.label("encounter"),
    ).select_from(IssueEncounter).join(
        Issue, and_(Issue.id == IssueEncounter.list_id, Issue.pid == IssueEncounter.pid),
    ).join(
        Encounter, and_(Encounter.pid == IssueEncounter.pid,
                        Encounter.encounter == IssueEncounter.encounter),
    ).join(Patient, Patient.pid == Issue.pid).where(Issue.type == lists.MEDICAL_PROBLEM.type)


CONDITIONS = union_all(_issue_branch(lists.MEDICAL_PROBLEM.type, PROBLEM),
                       _issue_branch(HEALTH_CONCERN, CONCERN),
                       _diagnosis_branch()).subquery("condition")


class ConditionRow:
    """One Condition as the union gives it: `id` (public), `category`, `list_id` (its
    `lists` row), `pid` and `puuid` (the patient), `code` (the stored diagnosis),
    `activity`, `resolved` (at the visit), `onset`, `abatement`, `recorded` and
    `last_updated` (never null), `encounter` (the visit's uuid, for a diagnosis)."""


mapper_registry().map_imperatively(ConditionRow, CONDITIONS, primary_key=[CONDITIONS.c.id])


def _of_patient(uuid: str):
    return ConditionRow.puuid == uuid


def _ended():
    return and_(ConditionRow.abatement.is_not(None), ConditionRow.abatement <= date.today())


def _clinical_status(system, code):
    if system not in (None, CLINICAL):
        return None
    over = or_(_ended(), ConditionRow.resolved.is_(True))
    return {"active": and_(ConditionRow.activity.is_(True), not_(over)),
            "resolved": and_(ConditionRow.activity.is_(True), over),
            "inactive": ConditionRow.activity.is_(False)}.get(code)


def _category(system, code):
    known = [c for c, (s, _) in CATEGORIES.items() if system in (None, s)]
    if not code:
        return ConditionRow.category.in_(known) if known else None
    return ConditionRow.category == code if code in known else None


def _patient_param(name: str) -> Param:
    return Param(name, "reference", (ConditionRow.pid,), reference=_of_patient,
                 targets=("Patient",), element="subject")


PARAMS = {
    "patient": _patient_param("patient"),
    "subject": _patient_param("subject"),
    "category": Param("category", "token", (ConditionRow.category,), token=_category),
    "clinical-status": Param("clinical-status", "token", (ConditionRow.activity,),
                             token=_clinical_status),
    "code": Param("code", "token", (ConditionRow.code,), token=codes.token(ConditionRow.code)),
    "encounter": Param("encounter", "reference", (ConditionRow.encounter,),
                       reference=lambda id_: ConditionRow.encounter == id_,
                       targets=("Encounter",)),
    "onset-date": Param("onset-date", "date", (ConditionRow.onset,)),
    "abatement-date": Param("abatement-date", "date", (ConditionRow.abatement,)),
    "recorded-date": Param("recorded-date", "date", (ConditionRow.recorded,)),
}
SORT = {"recorded-date": ConditionRow.recorded}


def _status(row: ConditionRow) -> str:
    if not row.activity:
        return "inactive"
    if row.resolved or row.abatement is not None and row.abatement <= date.today():
        return "resolved"
    return "active"


def to_fhir(row: ConditionRow, issue: Issue) -> dict:
    system, display = CATEGORIES[row.category]
    resource = {
        "resourceType": "Condition",
        "id": row.id,
        "meta": {"versionId": "1", "lastUpdated": instant(row.last_updated),
                 "profile": [DIAGNOSIS_PROFILE if row.category == DIAGNOSIS
                             else PROBLEMS_PROFILE]},
        "clinicalStatus": status_concept(CLINICAL, _status(row)),
        "verificationStatus": status_concept(VERIFICATION, "confirmed"),
        "category": [{"coding": [{"system": system, "code": row.category,
                                  "display": display}]}],
        "code": codes.concept(issue.diagnosis, issue.title),
        "subject": {"reference": f"Patient/{row.puuid}"},
    }
    if row.encounter:
        resource["encounter"] = {"reference": f"Encounter/{row.encounter}"}
    if row.onset:
        resource["onsetDateTime"] = row.onset.isoformat()
    if row.abatement:
        resource["abatementDateTime"] = row.abatement.isoformat()
    resource["recordedDate"] = instant(row.recorded)
    return resource


def represent(session, rows) -> list[dict]:
    wanted = {row.list_id for row in rows}
    issues = {i.id: i for i in session.execute(
        select(Issue).where(Issue.id.in_(wanted))).scalars()} if wanted else {}
    return [to_fhir(row, issues[row.list_id]) for row in rows]


PROVIDER = Provider(
    type="Condition",
    model=ConditionRow,
    params=PARAMS,
    sort=SORT,
    owner=_of_patient,
    represent=represent,
    id_column_name="id",
)
read, search, search_query, search_form = bind(PROVIDER)
