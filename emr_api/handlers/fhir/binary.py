"""FHIR Binary: the bytes of a patient's document, read by the id its DocumentReference
(and Media) carries. Asked for as FHIR JSON, a Binary resource (`contentType`, `data` in
base64, `securityContext` naming the DocumentReference); asked for in any other way, the
bytes themselves with the type they were stored with, as the Standard API sends a file:
an attachment that never runs in this API's origin. A patient reads only their own."""

from __future__ import annotations

import base64
from urllib.parse import quote

from emr_api import request_context
from emr_api.handlers.context import access, reading, touched_patient
from emr_api.handlers.fhir import NotAcceptable, answer
from emr_api.handlers.fhir.provider import instant
from emr_api.services import documents

_FHIR_JSON = {"json", "application/json", "application/fhir+json", "text/json"}


def _wants_resource(stored_type: str) -> bool:
    """Whether the caller asked for a Binary resource rather than the bytes: `_format`
    naming JSON (any other `_format` is a 406), or an Accept naming FHIR JSON and not the
    document's own type."""
    info = request_context.current()
    formats = [v.split(";")[0].strip().lower() for k, v in info.query_items if k == "_format"]
    if formats:
        if all(f in _FHIR_JSON for f in formats):
            return True
        raise NotAcceptable(f"_format={formats[-1]} is not served; use json, or no _format "
                            "for the document's own bytes")
    kinds = [part.split(";")[0].strip().lower()
             for part in (info.headers.get("accept") or "").split(",")]
    return stored_type not in kinds and any(k in _FHIR_JSON for k in kinds)


def _disposition(filename: str) -> str:
    """An attachment named in plain ASCII, and exactly in `filename*` (RFC 6266, 8187)."""
    plain = "".join(ch if " " <= ch <= "~" and ch not in '"\\%' else "_" for ch in filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def read(id):
    with reading() as session:
        puuid, row, content = documents.by_uuid(session, access(), id)
        touched_patient(puuid)
    if _wants_resource(row.mimetype):
        return answer({
            "resourceType": "Binary",
            "id": row.uuid,
            "meta": {"versionId": "1", "lastUpdated": instant(row.date)},
            "contentType": row.mimetype,
            "securityContext": {"reference": f"DocumentReference/{row.uuid}"},
            "data": base64.b64encode(content).decode(),
        })
    media = row.mimetype + ("; charset=utf-8" if row.mimetype.startswith("text/") else "")
    return content, 200, {
        "Content-Type": media,
        "Content-Disposition": _disposition(row.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
