"""Writes of the FHIR types over OpenEMR's `lists` (AllergyIntolerance, Condition): a
resource into the Standard API's fields of its kind, the patient it belongs to (which an
update cannot change), and its clinical status into the row's switch and end date."""

from __future__ import annotations

from datetime import date

from emr_api.db.models import Issue
from emr_api.errors import ValidationFailed
from emr_api.handlers.fhir import elements
from emr_api.services import lists, resources
from emr_api.services.lists import Kind


def fields(resource: dict, code_element: str = "code") -> dict:
    """title and diagnosis from the code (its text, else a coding's display, is the title),
    and the onset day."""
    diagnosis, title = elements.coded(resource.get(code_element), code_element)
    if not title:
        raise elements.bad(code_element, "a text (or a coding with a display) is required: "
                                         "OpenEMR keeps a title for every entry")
    onset = elements.day(resource, "onsetDateTime")
    notes = [n.get("text") for n in resource.get("note") or [] if isinstance(n, dict)]
    return {"title": title, "diagnosis": diagnosis,
            "begdate": onset.isoformat() if onset else None,
            "comments": "\n".join(t for t in notes if isinstance(t, str)) or None}


def status_code(resource: dict, system: str) -> str:
    concept = resource.get("clinicalStatus")
    if concept is None:
        return "active"
    code = elements.code_of(concept, system)
    if code not in ("active", "inactive", "resolved", "recurrence", "relapse", "remission"):
        raise elements.bad("clinicalStatus", f"a code of {system} is required")
    return code


def course(row: Issue, code: str, ended: date | None) -> None:
    """The row's switch and end date for a clinical status: resolved ends it (on the day
    given, else today unless it has ended before), inactive switches it off."""
    if code == "resolved":
        ended = ended or (row.enddate if row.enddate and row.enddate <= date.today()
                          else date.today())
        lists.record_course(row, active=True, ended=ended)
    elif code in ("inactive", "remission"):
        lists.record_course(row, active=False, ended=ended)
    else:
        lists.record_course(row, active=True, ended=ended if ended and ended > date.today()
                            else None)


# The Standard API's fields, by the element each comes from (for messages).
ELEMENTS = {"title": "code.text", "diagnosis": "code.coding", "begdate": "onsetDateTime",
            "enddate": "abatementDateTime", "comments": "note"}


def create(session, caller, kind: Kind, resource: dict, data: dict, patient_element: str,
           schema: str):
    elements.obey(schema, data, ELEMENTS)
    puuid = elements.reference_id(resource, patient_element, "Patient")
    _, row = lists.create(session, caller, kind, puuid, data)
    return row


def update(session, kind: Kind, row: Issue, resource: dict, data: dict, patient_element: str,
           schema: str):
    elements.obey(schema, data, ELEMENTS)
    puuid = elements.reference_id(resource, patient_element, "Patient")
    if lists.patient_uuids(session, [row]).get(row.pid) != puuid:
        raise ValidationFailed({patient_element: ["an entry cannot move to another patient"]})
    return resources.apply(session, kind.spec, row, data)
