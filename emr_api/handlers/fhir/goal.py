"""FHIR Goal (US Core 6.1 Goal) from the `goal` lines of OpenEMR's care-plan forms
(form_care_plan).

The lifecycle status follows the line: `cancelled` once switched off, `completed` once its
end date has passed, else `active`. The description is the line's code (SNOMED CT or LOINC
when it carries one of their prefixes) with its words as text; the start is the day the
line was written, the target's due date its end date; it was expressed by the provider of
the encounter it was set in."""

from __future__ import annotations

from sqlalchemy import and_, or_

from emr_api.db.models import CarePlanItem, utcnow
from emr_api.handlers.fhir import codes
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, instant
from emr_api.services import care

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-goal"
LIFECYCLE = "http://hl7.org/fhir/goal-status"


def lifecycle_status(row: CarePlanItem) -> str:
    if not row.activity:
        return "cancelled"
    if row.date_end is not None and row.date_end < utcnow():
        return "completed"
    return "active"


def _lifecycle(system, code):
    if system not in (None, LIFECYCLE):
        return None
    now = utcnow()
    ended = and_(CarePlanItem.date_end.is_not(None), CarePlanItem.date_end < now)
    running = CarePlanItem.activity.is_(True)
    return {
        "active": and_(running, or_(CarePlanItem.date_end.is_(None),
                                    CarePlanItem.date_end >= now)),
        "completed": and_(running, ended),
        "cancelled": CarePlanItem.activity.is_(False),
        "": CarePlanItem.id.is_not(None),
    }.get(code)


PARAMS = {
    "patient": Param("patient", "reference", (CarePlanItem.pid,), reference=care.lines_owner,
                     targets=("Patient",), element="subject"),
    "lifecycle-status": Param("lifecycle-status", "token", (CarePlanItem.activity,),
                              token=_lifecycle),
    "target-date": Param("target-date", "date", (CarePlanItem.date_end,)),
    "description": Param("description", "token", (CarePlanItem.code,),
                         token=codes.token(CarePlanItem.code)),
}


def description(row: CarePlanItem) -> dict:
    """The line's code and words: its own description, else its code's name."""
    text = row.description or row.codetext or "Goal"
    coding = codes.codings(row.code, row.codetext or None)
    return {"coding": coding, "text": text} if coding else {"text": text}


def to_fhir(row: CarePlanItem, patient_uuid: str, visit: care.Visit | None) -> dict:
    resource = {
        "resourceType": "Goal",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.last_updated),
                 "profile": [US_CORE]},
        "lifecycleStatus": lifecycle_status(row),
        "description": description(row),
        "subject": {"reference": f"Patient/{patient_uuid}"},
        "startDate": row.date.date().isoformat(),
    }
    if row.date_end is not None:
        resource["target"] = [{"dueDate": row.date_end.date().isoformat()}]
    if visit is not None and visit.provider_uuid:
        resource["expressedBy"] = {"reference": f"Practitioner/{visit.provider_uuid}"}
    return resource


def represent(session, rows) -> list[dict]:
    patients = care.patient_uuids(session, (row.pid for row in rows))
    visits = care.visits(session, ((row.pid, row.encounter) for row in rows))
    return [to_fhir(row, patients[row.pid], visits.get((row.pid, row.encounter)))
            for row in rows]


PROVIDER = Provider(
    type="Goal",
    model=CarePlanItem,
    params=PARAMS,
    sort={},
    owner=care.lines_owner,
    represent=represent,
    base=(CarePlanItem.care_plan_type == care.GOAL,),
)
read, search, search_query, search_form = bind(PROVIDER)
