"""FHIR DocumentReference (US Core 6.1 DocumentReference) from OpenEMR's documents, and US
Core's `$docref` operation (Fetch DocumentReference).

Every stored document is `current` (OpenEMR keeps no superseded or erroneous version of a
document). Its type is the LOINC code of its category (inherited from the category above
it when it has none; `unknown` from the data-absent-reason code system, with the category's
name as text, when no category up the tree is coded); its category is US Core's
`clinical-note`. The content is the document's bytes as an Attachment whose `url` is its
Binary, with the format code `urn:ihe:iti:xds:2017:mimeTypeSufficient`; `context` names the
encounter it was stored for, and its period starts on the document's day.

`$docref` answers a patient's documents of one type (CCD, LOINC 34133-9, unless `type`
says another) whose day falls between `start` and `end`; given neither, the most recent
such document. On-demand generation of a CCD is not offered: when nothing is stored, the
Bundle is empty."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from sqlalchemy import false, true

from emr_api import request_context
from emr_api.db.models import Document
from emr_api.errors import ValidationFailed
from emr_api.handlers.context import access, reading, touched_patient
from emr_api.handlers.fhir import answer, base_url, negotiate
from emr_api.handlers.fhir.documents import (
    LOINC,
    attachment,
    coded_categories,
    encounter_param,
    loinc_type,
    lookups,
    owner,
    patient_param,
)
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, instant, parse_date_value
from emr_api.services import search as engine
from emr_api.services.values import check_text

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference"
CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
STATUS = "http://hl7.org/fhir/document-reference-status"
ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
FORMAT = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"
MIME_TYPE_SUFFICIENT = "urn:ihe:iti:xds:2017:mimeTypeSufficient"
CCD = "34133-9"
# The most documents one `$docref` answers (newest first).
DOCREF_LIMIT = 200


def _category(system, code):
    if system not in (None, CATEGORY) or code not in ("clinical-note", ""):
        return None
    return true()


def _status(system, code):
    if system not in (None, STATUS):
        return None
    if code in ("current", ""):
        return true()
    if code in ("superseded", "entered-in-error"):
        return false()
    return None


PARAMS = {
    "patient": patient_param(),
    "category": Param("category", "token", (Document.category_id,), token=_category),
    "type": Param("type", "token", (Document.category_id,), token=loinc_type),
    "date": Param("date", "date", (Document.date,)),
    "period": Param("period", "date", (Document.docdate,)),
    "status": Param("status", "token", (Document.id,), token=_status),
    "encounter": encounter_param("context.encounter"),
}
SORT = {"date": Document.date, "period": Document.docdate}


def _type(row: Document, found) -> dict:
    category = found.categories.get(row.category_id)
    name = category.name if category else None
    codings = category.codings if category else []
    if codings:
        return {"coding": codings, "text": name}
    concept = {"coding": [{"system": ABSENT, "code": "unknown", "display": "Unknown"}]}
    if name:
        concept["text"] = name
    return concept


def to_fhir(row: Document, found) -> dict:
    resource = {
        "resourceType": "DocumentReference",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.date), "profile": [US_CORE]},
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{row.uuid}"}],
        "status": "current",
        "type": _type(row, found),
        "category": [{"coding": [{"system": CATEGORY, "code": "clinical-note",
                                  "display": "Clinical Note"}]}],
        "subject": {"reference": f"Patient/{found.patients[row.pid]}"},
        "date": instant(row.date),
    }
    author = found.author(row)
    if author:
        resource["author"] = [{"reference": f"Practitioner/{author}"}]
    resource["content"] = [{
        "attachment": attachment(row),
        "format": {"system": FORMAT, "code": MIME_TYPE_SUFFICIENT,
                   "display": "mimeType Sufficient"}}]
    context = {}
    visit = found.encounter(row)
    if visit:
        context["encounter"] = [{"reference": f"Encounter/{visit}"}]
    context["period"] = {"start": row.docdate.isoformat()}
    resource["context"] = context
    return resource


def represent(session, rows) -> list[dict]:
    found = lookups(session, rows)
    return [to_fhir(row, found) for row in rows]


PROVIDER = Provider(
    type="DocumentReference",
    model=Document,
    params=PARAMS,
    sort=SORT,
    owner=owner,
    represent=represent,
    updated_column_name="date",
)
read, search, search_query, search_form = bind(PROVIDER)


# --- $docref ----------------------------------------------------------------------------

def _day(name: str, text: str | None) -> tuple[date, date] | None:
    """A `start`/`end` value as the days it spans [first, last]."""
    if text is None or text == "":
        return None
    check_text(name, text)
    if text[:2].isalpha():
        raise ValidationFailed({name: ["a date without a prefix"]})
    moment = parse_date_value(name, text)
    return moment.low.date(), (moment.high - timedelta(microseconds=1)).date()


def _type_clause(text: str | None):
    """The documents of the asked type (CCD when none is asked)."""
    if not text:
        return coded_categories(f"LOINC:{CCD}")
    check_text("type", text)
    system, bar, code = text.partition("|")
    if not bar:
        system, code = LOINC, text
    if system != LOINC or not code:
        raise ValidationFailed({"type": ["a LOINC document type: http://loinc.org|34133-9"]})
    return coded_categories(f"LOINC:{code}")


def _patient_uuid(text: str | None) -> str:
    if not text:
        raise ValidationFailed({"patient": ["patient is required: the patient's id"]})
    check_text("patient", text)
    kind, _, id_ = text.rstrip("/").rpartition("/")
    if kind and not kind.endswith("Patient"):
        raise ValidationFailed({"patient": ["a Patient id or reference"]})
    return id_


def _flag(text: str | None) -> bool:
    if text in (None, "", "false"):
        return False
    if text == "true":
        return True
    raise ValidationFailed({"on-demand": ["true or false"]})


def _docref(asked: dict):
    """The Bundle `$docref` answers for these parameters (name -> value)."""
    negotiate()
    puuid = _patient_uuid(asked.get("patient"))
    start, end = _day("start", asked.get("start")), _day("end", asked.get("end"))
    _flag(asked.get("on-demand"))  # no document is generated on demand: see the module
    where = [owner(puuid), _type_clause(asked.get("type"))]
    if start:
        where.append(Document.docdate >= start[0])
    if end:
        where.append(Document.docdate <= end[1])
    newest = [engine.SortKey(Document.docdate, descending=True),
              engine.SortKey(Document.date, descending=True),
              engine.SortKey(Document.id, descending=True)]
    with reading() as session:
        caller = access()
        if caller.patient_uuid:
            where.append(owner(caller.patient_uuid))
        limit = DOCREF_LIMIT if start or end else 1
        found = engine.run(session, engine.Query(model=Document, where=where, order=newest,
                                                 limit=limit, count=False))
        resources = represent(session, found.rows)
        touched_patient(puuid)
    url = f"{base_url()}/DocumentReference"
    kept = [(k, v) for k, v in asked.items() if v not in (None, "")]
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
              "link": [{"relation": "self",
                        "url": f"{url}/$docref?{urlencode(kept)}"}]}
    entries = [{"fullUrl": f"{url}/{r['id']}", "resource": r, "search": {"mode": "match"}}
               for r in resources]
    if (start or end) and found.more_after:  # never a silent cut
        entries.append({"resource": {"resourceType": "OperationOutcome", "issue": [{
            "severity": "warning", "code": "too-costly",
            "diagnostics": f"Only the {DOCREF_LIMIT} most recent documents are answered; "
                           "narrow start and end to reach the others"}]},
            "search": {"mode": "outcome"}})
    if entries:
        bundle["entry"] = entries
    return answer(bundle)


DOCREF_PARAMETERS = ("patient", "start", "end", "type", "on-demand")


def docref():
    """GET `$docref`: the parameters in the query."""
    items = request_context.current().query_items
    return _docref({name: value for name, value in items if name in DOCREF_PARAMETERS})


def _value(parameter: dict):
    for key, value in parameter.items():
        if key.startswith("value"):
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, dict):  # valueCoding
                system, code = value.get("system"), value.get("code")
                return f"{system}|{code}" if system else code
            return value if isinstance(value, str) else None
    return None


def docref_body(body=None):
    """POST `$docref`: the parameters in a Parameters resource (or in the query)."""
    asked = {name: value for name, value in request_context.current().query_items
             if name in DOCREF_PARAMETERS}
    if body is not None:
        if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
            raise ValidationFailed({"body": ["a Parameters resource"]})
        for parameter in body.get("parameter") or []:
            if not isinstance(parameter, dict):
                raise ValidationFailed({"parameter": ["each parameter is an object"]})
            name = parameter.get("name")
            if name in DOCREF_PARAMETERS:
                value = _value(parameter)
                if value is None:
                    raise ValidationFailed({name: [f"{name} needs a value"]})
                asked[name] = value
    return _docref(asked)

