"""What the FHIR types over OpenEMR's `lists` share (AllergyIntolerance; Condition, which
also serves encounter links, uses `status_concept` only): one `type` of row each, the
patient they belong to, and a clinical status read from the row's `activity` and
`enddate`: inactive when switched off, resolved once its end date has come, active
otherwise."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, not_

from emr_api.db.models import Issue
from emr_api.handlers.fhir.provider import Param, Provider
from emr_api.services import lists
from emr_api.services.lists import Kind


def clinical_status(row: Issue) -> str:
    if not row.activity:
        return "inactive"
    if row.enddate is not None and row.enddate <= date.today():
        return "resolved"
    return "active"


def clinical_status_param(system: str) -> Param:
    def matcher(asked_system, code):
        if asked_system not in (None, system):
            return None
        ended = and_(Issue.enddate.is_not(None), Issue.enddate <= date.today())
        return {"active": and_(Issue.activity.is_(True), not_(ended)),
                "resolved": and_(Issue.activity.is_(True), ended),
                "inactive": Issue.activity.is_(False)}.get(code)
    return Param("clinical-status", "token", (Issue.activity,), token=matcher)


def patient_param(kind: Kind, name: str = "patient", element: str = "patient") -> Param:
    return Param(name, "reference", (Issue.pid,), reference=kind.spec.owner,
                 targets=("Patient",), element=element)


def status_concept(system: str, code: str) -> dict:
    return {"coding": [{"system": system, "code": code}]}



def provider(type_: str, kind: Kind, params: dict, sort: dict, to_fhir) -> Provider:
    """A FHIR type over one kind of `lists` row; `to_fhir(row, patient_uuid)` shapes a row."""

    def represent(session, rows) -> list[dict]:
        uuids = lists.patient_uuids(session, rows)  # one query a page
        return [to_fhir(row, uuids[row.pid]) for row in rows]

    return Provider(type=type_, model=Issue, params=params, sort=sort,
                    owner=kind.spec.owner, represent=represent, base=(kind.of_type(),),
                    updated_column_name="modifydate")
