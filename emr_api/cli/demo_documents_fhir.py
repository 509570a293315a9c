"""Demo documents for the FHIR document types, beside those `demo_documents` files: a CCD
(C-CDA XML, in OpenEMR's "CCDA" category, LOINC 34133-9) for every eighth patient (pid 1,
9, 17, ...), so `$docref` finds one, and a photograph (a small PNG in "Patient
Photograph") for every sixteenth, so Media has rows. Documents stored without their SHA-1
(FHIR's Attachment.hash) get it."""

from __future__ import annotations

import base64
import hashlib
import random
import struct
import zlib
from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape

from sqlalchemy import bindparam, select

from emr_api.db.models import (
    Document,
    DocumentContent,
    Encounter,
    Patient,
    User,
    new_uuid,
)
from emr_api.sites import Site

CCDA_CATEGORY = 13  # OpenEMR's default "CCDA" category (LOINC 34133-9)
PHOTO_CATEGORY = 10  # "Patient Photograph"


def _ccd(patient, day: date, document_id: str) -> bytes:
    """A short C-CDA Continuity of Care Document header naming the patient."""
    given, family = escape(patient.fname or ""), escape(patient.lname or "")
    stamp = day.strftime("%Y%m%d")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ClinicalDocument xmlns="urn:hl7-org:v3">\n'
        '  <realmCode code="US"/>\n'
        '  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>\n'
        '  <templateId root="2.16.840.1.113883.10.20.22.1.2" extension="2015-08-01"/>\n'
        f'  <id root="{document_id}"/>\n'
        '  <code code="34133-9" codeSystem="2.16.840.1.113883.6.1" '
        'displayName="Summarization of Episode Note"/>\n'
        '  <title>Continuity of Care Document</title>\n'
        f'  <effectiveTime value="{stamp}"/>\n'
        '  <recordTarget><patientRole><patient><name>'
        f'<given>{given}</given><family>{family}</family>'
        '</name></patient></patientRole></recordTarget>\n'
        '</ClinicalDocument>\n').encode()


def _png(rng: random.Random, size: int = 8) -> bytes:
    """A small valid PNG: one colour, drawn from the seed."""
    colour = bytes(rng.randrange(256) for _ in range(3))
    raw = b"".join(b"\x00" + colour * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _sha1(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data).digest()).decode()


def _fill_sha1(site: Site, batch: int) -> int:
    """The SHA-1 of every document stored without one, a batch of documents at a time."""
    filled, after = 0, 0
    while True:
        with site.db.write() as s:
            ids = s.execute(select(Document.id).where(Document.sha1.is_(None),
                                                      Document.id > after)
                            .order_by(Document.id).limit(batch)).scalars().all()
            if not ids:
                return filled
            digests = {id_: hashlib.sha1() for id_ in ids}
            for document_id, data in s.execute(
                    select(DocumentContent.document_id, DocumentContent.data)
                    .where(DocumentContent.document_id.in_(ids))
                    .order_by(DocumentContent.document_id, DocumentContent.part)):
                digests[document_id].update(data)
            s.connection().execute(
                Document.__table__.update().where(Document.__table__.c.id == bindparam("i"))
                .values(sha1=bindparam("s")),
                [{"i": id_, "s": base64.b64encode(d.digest()).decode()}
                 for id_, d in digests.items()])
            filled += len(ids)
            after = ids[-1]


def demo_documents_fhir(site: Site, *, seed: int = 7, batch: int = 5000) -> dict:
    """A CCD for every eighth patient (by pid) who has none yet, a photograph for every
    sixteenth, and the SHA-1 of documents stored without it. Returns what was added."""
    rng = random.Random(f"{seed}-documents-fhir")
    today = date.today()
    with site.db.read() as s:
        owner = s.execute(select(User.id).where(User.username == "admin")).scalar()
        has_ccd = select(Document.id).where(Document.pid == Patient.pid,
                                            Document.category_id == CCDA_CATEGORY).exists()
        chosen = s.execute(select(Patient.pid, Patient.fname, Patient.lname)
                           .where(Patient.pid % 8 == 1, ~has_ccd)
                           .order_by(Patient.pid)).all()
    added = {"ccds": 0, "photographs": 0}
    for start in range(0, len(chosen), batch):
        group = chosen[start:start + batch]
        with site.db.write() as s:
            first_visit = dict(s.execute(
                select(Encounter.pid, Encounter.encounter)
                .where(Encounter.pid.in_([p.pid for p in group]))
                .order_by(Encounter.pid, Encounter.encounter.desc())).all())
            rows, contents = [], {}
            for patient in group:
                day = today - timedelta(days=rng.randint(0, 365))
                made = [(CCDA_CATEGORY, f"ccd-{day}.xml", "text/xml", None)]
                if patient.pid % 16 == 1:
                    made.append((PHOTO_CATEGORY, f"photo-{day}.png", "image/png",
                                 first_visit.get(patient.pid)))
                for category, filename, mimetype, encounter in made:
                    uuid = new_uuid()
                    data = _ccd(patient, day, uuid) if mimetype == "text/xml" else _png(rng)
                    contents[uuid] = data
                    rows.append({"uuid": uuid, "pid": patient.pid, "category_id": category,
                                 "encounter": encounter, "filename": filename,
                                 "mimetype": mimetype, "size": len(data),
                                 "hash": hashlib.sha256(data).hexdigest(), "sha1": _sha1(data),
                                 "docdate": day,
                                 "date": datetime.combine(day, datetime.min.time())
                                 + timedelta(hours=rng.randint(8, 17)), "owner_id": owner})
                    key = "ccds" if category == CCDA_CATEGORY else "photographs"
                    added[key] += 1
            conn = s.connection()
            conn.execute(Document.__table__.insert(), rows)
            ids = conn.execute(select(Document.uuid, Document.id)
                               .where(Document.uuid.in_(list(contents)))).all()
            conn.execute(DocumentContent.__table__.insert(),
                         [{"document_id": id_, "part": 0, "data": contents[uuid]}
                          for uuid, id_ in ids])
    added["document_hashes"] = _fill_sha1(site, batch)
    return added
