"""A patient's documents (OpenEMR's `documents`), filed in OpenEMR's category tree
(`categories`), their bytes kept in the site's database.

Why the database: a document's row and its bytes are written in one transaction, so a
failed upload leaves nothing behind, and a site needs no file-system layout of its own
(several sites, several server processes). The bytes are in a table of their own
(`document_contents`), so listing documents never reads them, in parts of at most
PART_SIZE bytes, so no statement carries a whole file: MariaDB refuses a statement larger
than its `max_allowed_packet` (16 MiB by default), and a binary value can double in size
when the driver escapes it.

Reached as OpenEMR's routes reach them: the patient's integer pid and the document's
integer id; another patient's document is not found through this patient's path, and a
patient-context caller reaches only its own patient.

Rules, as OpenEMR's DocumentRestController and DocumentService state them, made exact:
- `path` names a category as OpenEMR's API does: names joined by `/`, each compared without
  regard to case, spaces or underscores (`/Categories/Lab_Report` is "Lab Report"). The
  first name may be any category (the root `Categories` too), each next one a subcategory
  of the one before. A path that names no category, or more than one, is refused (400).
- an upload's file is not empty and at most MAX_SIZE bytes (larger is a 413);
- `eid`, when given, is the number of one of this patient's encounters (400 otherwise);
- the stored type is what the content shows: a known file signature wins over the type
  the client declared, text stays text, and an unknown binary keeps a declared binary type
  or is `application/octet-stream`;
- the file name is the last part of what the client sent, printable, at most 255
  characters; the uploader (a staff user) and the time are recorded, with the bytes'
  SHA-256 and size, and their SHA-1 in base64 (FHIR's Attachment.hash)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from emr_api.db.models import (
    Document,
    DocumentCategory,
    DocumentContent,
    Encounter,
    Patient,
    User,
    utcnow,
)
from emr_api.errors import NotFound, PayloadTooLarge, ValidationFailed
from emr_api.identity import Access, Role
from emr_api.services import patients, resources
from emr_api.services.resources import Page, ResourceSpec
from emr_api.services.values import check_text, parse_id

MAX_SIZE = 10 << 20  # bytes: a larger document is refused (413)
PART_SIZE = 1 << 20  # bytes of a document in one row of document_contents
MAX_FILENAME = 255


def _owner(puuid: str):
    return Document.pid.in_(select(Patient.pid).where(Patient.uuid == puuid))


# What the operations read and write (the upload's one field is its file).
SPEC = ResourceSpec(
    name="document",
    model=Document,
    id_name="did",
    writable=("document",),
    required=("document",),
    default_order="id",
    owner=_owner,
)


@dataclass(frozen=True)
class Upload:
    """A file as the client sent it: its name, the media type it declared, its bytes."""

    filename: str | None
    declared_type: str | None
    content: bytes


# --- categories -------------------------------------------------------------------------

def _key(name: str) -> str:
    """A category name as OpenEMR's API compares it: case, spaces and underscores aside."""
    return name.casefold().replace(" ", "").replace("_", "")


def category_at(session: Session, path: str) -> DocumentCategory:
    """The one category `path` names (400 naming `path` otherwise)."""
    check_text("path", path)
    names = [_key(part) for part in path.split("/") if part.strip()]
    if not names:
        raise ValidationFailed({"path": ["path must name a document category, "
                                         "e.g. /Categories/Lab Report"]})
    tree = session.execute(select(DocumentCategory)).scalars().all()
    found = [c for c in tree if _key(c.name) == names[0]]
    for name in names[1:]:
        parents = {c.id for c in found}
        found = [c for c in tree if c.parent_id in parents and _key(c.name) == name]
    if not found:
        raise ValidationFailed({"path": [f"no document category at {path!r}"]})
    if len(found) > 1:
        raise ValidationFailed({"path": [f"{path!r} names more than one category; "
                                         "name it from the root, /Categories/..."]})
    return found[0]


def category_names(session: Session, rows) -> dict[int, str]:
    """The names of these documents' categories, by id (one query)."""
    wanted = {row.category_id for row in rows}
    if not wanted:
        return {}
    return dict(session.execute(select(DocumentCategory.id, DocumentCategory.name)
                                .where(DocumentCategory.id.in_(wanted))).all())


# --- what is stored ---------------------------------------------------------------------

# File signatures: (offset, leading bytes, media type).
SIGNATURES = (
    (0, b"%PDF-", "application/pdf"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (0, b"{\\rtf", "application/rtf"),
    (128, b"DICM", "application/dicom"),
)
# Declared types a signature may stand for (a Word file is a zip, an old one OLE storage).
_REFINES = {
    "application/zip": re.compile(r"^application/(vnd\.openxmlformats-officedocument\..+|"
                                  r"vnd\.oasis\.opendocument\..+|.+\+zip|x-zip-compressed)$"),
    "application/x-ole-storage": re.compile(r"^application/(msword|vnd\.ms-.+|x-msg)$"),
}
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
# Text types that are not text/*: kept when the content is text.
_TEXT_TYPES = {"application/xml", "application/xhtml+xml", "image/svg+xml", "application/rtf"}


def _declared(value: str | None) -> str | None:
    """The media type a client declared, without parameters; None when it said nothing
    usable (`application/octet-stream` says nothing)."""
    media = (value or "").split(";", 1)[0].strip().lower()
    if not _MEDIA_TYPE.fullmatch(media) or media == "application/octet-stream":
        return None
    return media


def _text(content: bytes) -> bool:
    try:
        return "\x00" not in content.decode("utf-8")
    except UnicodeDecodeError:
        return False


def _json(content: bytes) -> bool:
    try:
        json.loads(content)
    except (ValueError, RecursionError):  # nested too deeply for the parser: not JSON here
        return False
    return True


def media_type(declared: str | None, content: bytes) -> str:
    """The type to store: the content's signature first, refined by the declared type
    where the signature stands for several (a zip may be a .docx); text is stored as the
    declared text type (a JSON type only if it parses) or text/plain; any other content
    keeps a declared type that is not text, else it is application/octet-stream."""
    declared = _declared(declared)
    for offset, signature, found in SIGNATURES:
        if content[offset:offset + len(signature)] == signature:
            refines = _REFINES.get(found)
            if declared and (declared == found or refines and refines.fullmatch(declared)):
                return declared
            return "application/octet-stream" if found == "application/x-ole-storage" else found
    textual = declared and (declared.startswith("text/") or declared in _TEXT_TYPES
                            or declared.endswith(("/json", "+json")))
    if _text(content):
        if textual and (not declared.endswith("json") or _json(content)):
            return declared
        return "text/plain"
    return declared if declared and not textual else "application/octet-stream"


def filename_of(name: str | None) -> str:
    """The file's own name: what follows its last `/` or `\\` (some browsers send a whole
    path), printable characters only, at most MAX_FILENAME characters with its extension
    kept; `document` when nothing is left."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if name in ("", ".", ".."):
        return "document"
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            return stem[:MAX_FILENAME - len(extension) - 1] + dot + extension
        return name[:MAX_FILENAME]
    return name


def sha1_of(content: bytes) -> str:
    """The SHA-1 of the bytes in base64, as FHIR's Attachment.hash carries it."""
    return base64.b64encode(hashlib.sha1(content).digest()).decode()


def _check_content(content: bytes) -> None:
    if not content:
        raise ValidationFailed({"document": ["document is empty"]})
    if len(content) > MAX_SIZE:
        raise PayloadTooLarge(f"The document is larger than {MAX_SIZE} bytes",
                              fields={"document": [f"at most {MAX_SIZE} bytes"]})


def _encounter(session: Session, patient: Patient, eid) -> int:
    """The number of this patient's encounter `eid` names (400 naming `eid` otherwise)."""
    number = parse_id("eid", eid)
    found = session.execute(select(Encounter.eid).where(
        Encounter.pid == patient.pid, Encounter.encounter == number).limit(1)).first()
    if found is None:
        raise ValidationFailed({"eid": [f"patient {patient.pid} has no encounter {number}"]})
    return number


def _uploader(session: Session, access: Access) -> int | None:
    """Who uploads, as OpenEMR records a document's owner: the staff user's integer id."""
    if access.role is not Role.USER or not access.user_uuid:
        return None
    return session.execute(select(User.id).where(User.uuid == access.user_uuid)).scalar()


# --- operations -------------------------------------------------------------------------

def search(session: Session, access: Access, pid, *, path: str | None = None, eid=None,
           limit: int | None = None, offset: int | None = None) -> tuple[Patient, Page]:
    """One page of the patient's documents, in the order they were stored: those in the
    category `path` names (every category without it), of encounter `eid` if given."""
    patient = patients.find_by_pid(session, access, pid)
    where = [Document.pid == patient.pid]
    if path is not None:
        where.append(Document.category_id == category_at(session, path).id)
    if eid is not None:
        where.append(Document.encounter == parse_id("eid", eid))
    return patient, resources.search(session, access, SPEC, {}, where=tuple(where),
                                     limit=limit, offset=offset)


def find(session: Session, access: Access, pid, did) -> tuple[Patient, Document]:
    """The patient's document with this id; another patient's is not found."""
    patient = patients.find_by_pid(session, access, pid)
    did = parse_id("did", did)
    stmt = select(Document).where(Document.id == did, Document.pid == patient.pid)
    if access.patient_uuid:
        stmt = stmt.where(_owner(access.patient_uuid))
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No document with did {did} for patient {patient.pid}",
                       fields={"did": ["not found"]})
    return patient, row


def content(session: Session, access: Access, pid, did) -> tuple[Patient, Document, bytes]:
    """The patient's document and its bytes."""
    patient, row = find(session, access, pid, did)
    parts = session.execute(select(DocumentContent.data)
                            .where(DocumentContent.document_id == row.id)
                            .order_by(DocumentContent.part)).scalars()
    return patient, row, b"".join(parts)


def by_uuid(session: Session, access: Access, uuid: str) -> tuple[str, Document, bytes]:
    """(the patient's uuid, the document, its bytes) of the document with this uuid; for
    a patient-context caller only its own patient's (another's is not found)."""
    stmt = (select(Document, Patient.uuid).join(Patient, Patient.pid == Document.pid)
            .where(Document.uuid == uuid))
    if access.patient_uuid:
        stmt = stmt.where(Patient.uuid == access.patient_uuid)
    found = session.execute(stmt).first()
    if found is None:
        raise NotFound(f"No document with id {uuid}", fields={"id": ["not found"]})
    row, puuid = found
    parts = session.execute(select(DocumentContent.data)
                            .where(DocumentContent.document_id == row.id)
                            .order_by(DocumentContent.part)).scalars()
    return puuid, row, b"".join(parts)


def create(session: Session, access: Access, pid, path: str, upload: Upload,
           eid=None) -> tuple[Patient, Document]:
    """Store a file for the patient in the category `path` names (and the encounter `eid`
    names): its row and its bytes in the caller's transaction, every rule checked first."""
    _check_content(upload.content)
    patient = patients.find_by_pid(session, access, pid)
    category = category_at(session, path)
    number = None if eid is None else _encounter(session, patient, eid)
    data = upload.content
    row = Document(pid=patient.pid, category_id=category.id, encounter=number,
                   filename=filename_of(upload.filename),
                   mimetype=media_type(upload.declared_type, data), size=len(data),
                   hash=hashlib.sha256(data).hexdigest(), sha1=sha1_of(data),
                   docdate=utcnow().date(),
                   owner_id=_uploader(session, access))
    session.add(row)
    session.flush()
    for part, start in enumerate(range(0, len(data), PART_SIZE)):
        # One statement a part: none carries more than PART_SIZE bytes.
        session.execute(insert(DocumentContent).values(
            document_id=row.id, part=part, data=data[start:start + PART_SIZE]))
    return patient, row
