"""Standard API: /patient/{pid}/document and /patient/{pid}/document/{did}, a patient's
documents (OpenEMR's `documents`) in OpenEMR's category tree.

A document answers as OpenEMR's list does (`id`, `filename`, `mimetype`, `docdate`) and
with what it keeps besides: `uuid`, when it was stored, its size and SHA-256, its category
and the encounter it was uploaded for. An upload answers 201 with the stored document
(OpenEMR answered 200 `true`, leaving the client to find the id). The file itself goes out
as an attachment with the type it was stored with, never to run in the API's origin."""

from __future__ import annotations

from urllib.parse import quote

from emr_api.errors import ValidationFailed
from emr_api.handlers.standard import (
    access,
    created,
    fields_of,
    listing,
    reading,
    touched_patient,
    writing,
)
from emr_api.services import documents

# What these operations read and write (checked against the YAML by a test).
RESOURCE = documents.SPEC
OUTPUT = ("id", "uuid", "filename", "mimetype", "docdate", "date", "size", "hash",
          "category_id")


def to_api(row, category_names: dict[int, str]) -> dict:
    return {**fields_of(row, OUTPUT), "category_name": category_names.get(row.category_id),
            "eid": row.encounter}


def search_documents(pid, path=None, eid=None, _limit=None, _offset=None):
    with reading() as s:
        patient, page = documents.search(s, access(), pid, path=path, eid=eid, limit=_limit,
                                         offset=_offset)
        touched_patient(patient.uuid)
        names = documents.category_names(s, page.items)
        items = [to_api(row, names) for row in page.items]
    return listing(page, items, f"/patient/{pid}/document", {"path": path, "eid": eid})


def _upload(document) -> documents.Upload:
    """The multipart part as the service takes it. A part without a filename is a plain
    field, not a file: the form parser hands it over as text, not here."""
    if document is None:
        raise ValidationFailed({"document": ["document must be a file: a form part with a "
                                             "filename"]})
    content = document.file.read(documents.MAX_SIZE + 1)  # one byte more tells it is too large
    return documents.Upload(document.filename, document.content_type, content)


def create_document(pid, path, document=None, eid=None):
    upload = _upload(document)
    with writing() as s:
        patient, row = documents.create(s, access(), pid, path, upload, eid=eid)
        touched_patient(patient.uuid)
        return created(to_api(row, documents.category_names(s, [row])))


def _disposition(filename: str) -> str:
    """An attachment named in plain ASCII for old clients and exactly in `filename*`
    (RFC 6266, RFC 8187)."""
    plain = "".join(ch if " " <= ch <= "~" and ch not in '"\\%' else "_" for ch in filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def get_document(pid, did):
    with reading() as s:
        patient, row, content = documents.content(s, access(), pid, did)
        touched_patient(patient.uuid)
    media = row.mimetype + ("; charset=utf-8" if row.mimetype.startswith("text/") else "")
    headers = {
        "Content-Type": media,
        "Content-Disposition": _disposition(row.filename),
        "X-Content-Type-Options": "nosniff",
        # Should a browser open it all the same, it runs in a sandbox with no origin: an
        # uploaded HTML page or SVG image never acts as this API's own.
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return content, 200, headers
