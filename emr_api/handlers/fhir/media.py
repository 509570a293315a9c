"""FHIR Media (R4; US Core does not profile it) from OpenEMR's documents that are images,
videos or sounds (their stored type is `image/*`, `video/*` or `audio/*`): `completed`,
typed `image`, `video` or `audio` (the media-type code system), about the document's
patient, made on the document's day, its content the document's Binary. The same document
is a DocumentReference with the same id. Height and width are not kept, so not stated."""

from __future__ import annotations

from sqlalchemy import or_

from emr_api.db.models import Document
from emr_api.handlers.fhir.documents import (
    attachment,
    encounter_param,
    lookups,
    owner,
    patient_param,
)
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, instant

MEDIA_TYPE = "http://terminology.hl7.org/CodeSystem/media-type"
KINDS = {"image": "Image", "video": "Video", "audio": "Audio"}


def _of_kind(kind: str):
    return Document.mimetype.like(f"{kind}/%")


def _type(system, code):
    if system not in (None, MEDIA_TYPE):
        return None
    if code == "":
        return or_(*(_of_kind(kind) for kind in KINDS))
    return _of_kind(code) if code in KINDS else None


PARAMS = {
    "patient": patient_param(),
    "created": Param("created", "date", (Document.docdate,)),
    "type": Param("type", "token", (Document.mimetype,), token=_type),
    "encounter": encounter_param("encounter"),
}
SORT = {"created": Document.docdate}


def to_fhir(row: Document, found) -> dict:
    kind = row.mimetype.partition("/")[0]
    resource = {
        "resourceType": "Media",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.date)},
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{row.uuid}"}],
        "status": "completed",
        "type": {"coding": [{"system": MEDIA_TYPE, "code": kind, "display": KINDS[kind]}]},
        "subject": {"reference": f"Patient/{found.patients[row.pid]}"},
    }
    visit = found.encounter(row)
    if visit:
        resource["encounter"] = {"reference": f"Encounter/{visit}"}
    resource["createdDateTime"] = row.docdate.isoformat()
    resource["issued"] = instant(row.date)
    resource["content"] = attachment(row)
    return resource


def represent(session, rows) -> list[dict]:
    found = lookups(session, rows)
    return [to_fhir(row, found) for row in rows]


PROVIDER = Provider(
    type="Media",
    model=Document,
    params=PARAMS,
    sort=SORT,
    owner=owner,
    represent=represent,
    base=(or_(*(_of_kind(kind) for kind in KINDS)),),
    updated_column_name="date",
)
read, search, search_query, search_form = bind(PROVIDER)
