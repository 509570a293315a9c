"""FHIR CarePlan (US Core 6.1 CarePlan): one per encounter that has a care-plan form, made
of the form's lines (form_care_plan), as OpenEMR serves it. Its id is the encounter's
uuid (the form belongs to it, one per encounter).

The plan is an assessment and plan of treatment (`assess-plan`) with intent `plan`. Its
narrative lists the lines (goals, plans of care, tests and orders, ...) with their codes;
its goals refer to the Goals those lines are. The status: `revoked` when every line is
switched off, `completed` when every line still on has ended, else `active`. The period
starts at the encounter and ends when the last line still on does, if each has an end."""

from __future__ import annotations

from html import escape

from sqlalchemy import and_, not_, or_

from emr_api.db.models import CarePlanItem, Encounter, utcnow
from emr_api.handlers.fhir import codes
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, instant
from emr_api.services import care

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-careplan"
CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
STATUS = "http://hl7.org/fhir/request-status"
XHTML = "http://www.w3.org/1999/xhtml"
ASSESS_PLAN = {"coding": [{"system": CATEGORY, "code": "assess-plan",
                           "display": "Assessment and Plan of Treatment"}]}
# OpenEMR's care-plan line types in words.
KINDS = {"goal": "Goal", "plan_of_care": "Plan of care", "test_or_order": "Test or order",
         "procedure": "Procedure", "medication": "Medication", "instruction": "Instruction",
         "intervention": "Intervention"}


def _on(*more):
    return care.lines_of_encounter(CarePlanItem.activity.is_(True), *more)


def _status(system, code):
    if system not in (None, STATUS):
        return None
    now = utcnow()
    running = _on(or_(CarePlanItem.date_end.is_(None), CarePlanItem.date_end >= now))
    return {"active": running,
            "completed": and_(_on(), not_(running)),
            "revoked": not_(_on()),
            "": Encounter.eid.is_not(None)}.get(code)


def _category(system, code):
    if system not in (None, CATEGORY) or code not in ("assess-plan", ""):
        return None
    return Encounter.eid.is_not(None)


PARAMS = {
    "patient": Param("patient", "reference", (Encounter.pid,), reference=care.plan_owner,
                     targets=("Patient",), element="subject"),
    "category": Param("category", "token", (Encounter.eid,), token=_category),
    "status": Param("status", "token", (Encounter.eid,), token=_status),
    "date": Param("date", "date", (Encounter.date,)),
}


def status(lines: list[CarePlanItem]) -> str:
    on = [line for line in lines if line.activity]
    if not on:
        return "revoked"
    now = utcnow()
    if all(line.date_end is not None and line.date_end < now for line in on):
        return "completed"
    return "active"


def _line_html(line: CarePlanItem) -> str:
    kind = KINDS.get(line.care_plan_type, line.care_plan_type.replace("_", " ").capitalize())
    words = line.description or line.codetext or ""
    coded = [f"{c['code']} ({c['system']})" for c in codes.codings(line.code)]
    parts = [f"<b>{escape(kind)}</b>: {escape(words)}"]
    if line.codetext and line.codetext != words:
        parts.append(f" &#8212; {escape(line.codetext)}")
    if coded:
        parts.append(f" [{escape(', '.join(coded))}]")
    if line.date_end is not None:
        parts.append(f", by {line.date_end.date().isoformat()}")
    if not line.activity:
        parts.append(" (cancelled)")
    return "<li>" + "".join(parts) + "</li>"


def narrative(lines: list[CarePlanItem]) -> dict:
    items = "".join(_line_html(line) for line in lines)
    return {"status": "additional",
            "div": f'<div xmlns="{XHTML}"><ul>{items}</ul></div>'}


def to_fhir(row: Encounter, patient_uuid: str, lines: list[CarePlanItem]) -> dict:
    changed = max((line.last_updated for line in lines), default=row.last_updated)
    resource = {
        "resourceType": "CarePlan",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(changed), "profile": [US_CORE]},
        "text": narrative(lines),
        "status": status(lines),
        "intent": "plan",
        "category": [ASSESS_PLAN],
        "subject": {"reference": f"Patient/{patient_uuid}"},
        "encounter": {"reference": f"Encounter/{row.uuid}"},
    }
    period = {"start": instant(row.date)}
    on = [line for line in lines if line.activity]
    if on and all(line.date_end is not None for line in on):
        period["end"] = instant(max(line.date_end for line in on))
    resource["period"] = period
    goals = [{"reference": f"Goal/{line.uuid}"} for line in lines
             if line.care_plan_type == care.GOAL]
    if goals:
        resource["goal"] = goals
    return resource


def represent(session, rows) -> list[dict]:
    patients = care.patient_uuids(session, (row.pid for row in rows))
    found = care.lines(session, ((row.pid, row.encounter) for row in rows))
    return [to_fhir(row, patients[row.pid], found[(row.pid, row.encounter)]) for row in rows]


PROVIDER = Provider(
    type="CarePlan",
    model=Encounter,
    params=PARAMS,
    sort={"date": Encounter.date},
    owner=care.plan_owner,
    represent=represent,
    # Encounters with a care-plan form are care plans.
    base=(care.lines_of_encounter(),),
    # A plan's change time is its lines' (meta.lastUpdated); the encounter's own is not.
    updated_column_name=None,
)
read, search, search_query, search_form = bind(PROVIDER)
