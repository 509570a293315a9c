"""FHIR Questionnaire (R4; US Core 6.1 does not profile it) from OpenEMR's
questionnaire_repository: the Questionnaire JSON OpenEMR stores, served under our id and
meta, with the columns OpenEMR keeps beside it (status, canonical url, LOINC code, name)
as the truth where the two differ. Not patient data: a patient's token sees every
questionnaire, as it must to answer one."""

from __future__ import annotations

import json

from sqlalchemy import or_, true

from emr_api.db.models import QuestionnaireRecord
from emr_api.handlers.fhir.codes import SYSTEMS
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, codes, instant

LOINC = SYSTEMS["LOINC"]
STATUS = "http://hl7.org/fhir/publication-status"
STATUSES = ("draft", "active", "retired", "unknown")


def stored(text: str | None) -> dict:
    """The stored JSON object; an empty one when the text is not one."""
    try:
        found = json.loads(text or "")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def status(row: QuestionnaireRecord) -> str:
    if row.status in STATUSES:
        return row.status
    return "active" if row.active else "retired"


def _status(system, code):
    if system not in (None, STATUS):
        return None
    if code == "":
        return QuestionnaireRecord.id.is_not(None)
    if code not in STATUSES:
        return None
    unset = QuestionnaireRecord.status.is_(None) | QuestionnaireRecord.status.not_in(STATUSES)
    if code == "active":
        return or_(QuestionnaireRecord.status == code,
                   unset & QuestionnaireRecord.active.is_(True))
    if code == "retired":
        return or_(QuestionnaireRecord.status == code,
                   unset & QuestionnaireRecord.active.is_(False))
    return QuestionnaireRecord.status == code


def _url(system, code):
    # A uri compares whole; `url|version` names a version of the canonical url.
    url = system if system else code
    return QuestionnaireRecord.source_url == url if url else None


PARAMS = {
    "name": Param("name", "string", (QuestionnaireRecord.name,)),
    "status": Param("status", "token", (QuestionnaireRecord.status,), token=_status),
    "url": Param("url", "token", (QuestionnaireRecord.source_url,), token=_url),
    "code": Param("code", "token", (QuestionnaireRecord.code,),
                  token=codes(QuestionnaireRecord.code, LOINC)),
}


def to_fhir(row: QuestionnaireRecord) -> dict:
    body = stored(row.questionnaire)
    meta = {k: v for k, v in (body.get("meta") or {}).items()
            if k in ("profile", "tag", "security")} if isinstance(body.get("meta"), dict) else {}
    resource = {
        "resourceType": "Questionnaire",
        "id": row.uuid,
        "meta": {**meta, "versionId": str(row.version or 1),
                 "lastUpdated": instant(row.modified_date)},
    }
    body = {k: v for k, v in body.items() if k not in ("resourceType", "id", "meta")}
    resource.update(body)
    if row.source_url:
        resource["url"] = row.source_url
    if row.name and "name" not in body and "title" not in body:
        resource["title"] = row.name
    resource["status"] = status(row)
    if row.code and not body.get("code"):
        coding = {"system": LOINC, "code": row.code}
        if row.code_display:
            coding["display"] = row.code_display
        resource["code"] = [coding]
    return resource


def represent(session, rows) -> list[dict]:
    return [to_fhir(row) for row in rows]


PROVIDER = Provider(
    type="Questionnaire",
    model=QuestionnaireRecord,
    params=PARAMS,
    sort={},
    # Not patient data: every caller sees the same questionnaires.
    owner=lambda puuid: true(),
    represent=represent,
    patient_of=lambda resource: None,
    updated_column_name="modified_date",
)
read, search, search_query, search_form = bind(PROVIDER)
