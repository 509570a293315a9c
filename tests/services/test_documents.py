"""Documents (services/documents.py) with no HTTP: a patient-context Access reaches only its
own patient's documents, in every query; a document is found only through its own
patient; an upload's row and bytes (in parts) are written together; category paths as
OpenEMR's API names them; the stored type and file name."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select

from emr_api.db.models import Document, DocumentCategory, DocumentContent, Patient
from emr_api.errors import NotFound, PayloadTooLarge, ValidationFailed
from emr_api.identity import Access, Identity, Role
from emr_api.services import documents
from emr_api.services.documents import Upload, filename_of, media_type

SYSTEM = Access.system()


def patient_access(puuid: str) -> Access:
    return Access(Identity(Role.PATIENT, user_uuid=puuid, patient_uuid=puuid),
                  client_id="portal-app", scopes=frozenset({"patient/document.read"}))


@pytest.fixture(scope="module")
def filed(database) -> dict:
    """Two patients with a lab report each: {first name: {pid, uuid, did}}."""
    made = {}
    with database.write() as s:
        for first in ("Kay", "Lou"):
            p = Patient(fname=first, lname="Filed", sex="Female", DOB=date(1979, 5, 6))
            s.add(p)
            s.flush()
            _, doc = documents.create(s, SYSTEM, p.pid, "/Categories/Lab Report",
                                      Upload("lab.pdf", None, b"%PDF-1.4 " + first.encode()))
            made[first] = {"pid": p.pid, "uuid": p.uuid, "did": doc.id}
    return made


def test_a_patient_reaches_only_their_own_documents(database, filed):
    kay, lou = filed["Kay"], filed["Lou"]
    access = patient_access(kay["uuid"])
    with database.read() as s:
        _, page = documents.search(s, access, kay["pid"])
        assert [d.id for d in page.items] == [kay["did"]]
        _, row, content = documents.content(s, access, kay["pid"], kay["did"])
        assert (row.pid, content) == (kay["pid"], b"%PDF-1.4 Kay")
        for call in (lambda: documents.search(s, access, lou["pid"]),
                     lambda: documents.find(s, access, lou["pid"], lou["did"]),
                     lambda: documents.content(s, access, lou["pid"], lou["did"])):
            with pytest.raises(NotFound) as refused:
                call()
            assert refused.value.fields == {"pid": ["not found"]}
        # Another patient's document through one's own pid.
        with pytest.raises(NotFound) as refused:
            documents.find(s, access, kay["pid"], lou["did"])
        assert refused.value.fields == {"did": ["not found"]}
    with database.write() as s, pytest.raises(NotFound):
        documents.create(s, access, lou["pid"], "Lab Report", Upload("x", None, b"x"))


def test_staff_reach_every_patients_documents_through_their_own_path(database, filed):
    with database.read() as s:
        for person in filed.values():
            _, row = documents.find(s, SYSTEM, person["pid"], person["did"])
            assert row.pid == person["pid"]
        with pytest.raises(NotFound):
            documents.find(s, SYSTEM, filed["Kay"]["pid"], filed["Lou"]["did"])


def test_the_bytes_are_stored_in_parts_with_their_hash(database, filed):
    data = bytes(range(256)) * (2 * documents.PART_SIZE // 256) + b"tail"
    with database.write() as s:
        _, row = documents.create(s, SYSTEM, filed["Kay"]["pid"], "Medical Record",
                                  Upload("big.bin", None, data))
        did = row.id
    with database.read() as s:
        count = s.execute(select(func.count()).select_from(DocumentContent)
                          .where(DocumentContent.document_id == did)).scalar_one()
        assert count == 3
        _, row, content = documents.content(s, SYSTEM, filed["Kay"]["pid"], did)
        assert content == data
        assert (row.size, row.hash) == (len(data), hashlib.sha256(data).hexdigest())
        assert row.owner_id is None  # no staff user uploaded it


def test_a_refused_upload_writes_nothing(database, filed):
    def documents_now():
        with database.read() as s:
            return s.execute(select(func.count()).select_from(Document)).scalar_one()

    before = documents_now()
    for path, upload, error in (
            ("Nowhere", Upload("a", None, b"a"), ValidationFailed),
            ("Lab Report", Upload("a", None, b""), ValidationFailed),
            ("Lab Report", Upload("a", None, b"a" * (documents.MAX_SIZE + 1)), PayloadTooLarge)):
        with pytest.raises(error), database.write() as s:
            documents.create(s, SYSTEM, filed["Kay"]["pid"], path, upload)
    with pytest.raises(ValidationFailed) as refused, database.write() as s:
        documents.create(s, SYSTEM, filed["Kay"]["pid"], "Lab Report",
                         Upload("a", None, b"a"), eid=123456789)
    assert refused.value.fields.keys() == {"eid"}
    assert documents_now() == before


@pytest.mark.parametrize("path, name", [
    ("/Categories/Lab Report", "Lab Report"), ("lab_report", "Lab Report"),
    ("/Categories", "Categories"), ("/Advance Directive/Living_Will", "Living Will"),
    ("Living will", "Living Will"), ("/ccda", "CCDA"), ("/Onsite Portal/Patient", "Patient"),
])
def test_category_paths(database, path, name):
    with database.read() as s:
        assert documents.category_at(s, path).name == name


@pytest.mark.parametrize("path", ["", "/", "Nowhere", "/Categories/Living Will",
                                  "/Lab Report/Lab Report", "a\x00b"])
def test_paths_that_name_no_category(database, path):
    with database.read() as s, pytest.raises(ValidationFailed) as refused:
        documents.category_at(s, path)
    assert refused.value.fields.keys() == {"path"}


def test_a_name_that_two_categories_share_needs_its_parent(database):
    with database.write() as s:
        for parent in (2, 3):
            s.add(DocumentCategory(name="Twin Folder", parent_id=parent, codes=""))
    with database.read() as s:
        with pytest.raises(ValidationFailed) as refused:
            documents.category_at(s, "Twin Folder")
        assert "more than one" in refused.value.fields["path"][0]
        assert documents.category_at(s, "/Lab Report/Twin_Folder").parent_id == 2


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
ZIP = b"PK\x03\x04" + b"\x00" * 26
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize("declared, content, stored", [
    (None, b"%PDF-1.7 ...", "application/pdf"),
    ("image/png; name=x", PNG, "image/png"),
    ("text/html", PNG, "image/png"),
    ("image/jpeg", b"\xff\xd8\xff\xe0rest", "image/jpeg"),
    ("application/octet-stream", b"GIF89a...", "image/gif"),
    (None, b"II*\x00....", "image/tiff"),
    (None, b"\x00" * 128 + b"DICM....", "application/dicom"),
    (DOCX, ZIP, DOCX),
    ("application/epub+zip", ZIP, "application/epub+zip"),
    ("image/png", ZIP, "application/zip"),
    ("application/msword", OLE, "application/msword"),
    (None, OLE, "application/octet-stream"),
    (None, b"Plain words, \xc3\xa9t\xc3\xa9.", "text/plain"),
    ("TEXT/CSV; charset=utf-8", b"a,b\n", "text/csv"),
    ("text/html", b"<p>hi</p>", "text/html"),
    ("image/svg+xml", b"<svg/>", "image/svg+xml"),
    ("application/fhir+json", b'{"resourceType": "Patient"}', "application/fhir+json"),
    ("application/json", b"{oops", "text/plain"),
    ("application/json", b"[" * 100_000 + b"]" * 100_000, "text/plain"),
    ("image/png", b"just text", "text/plain"),
    ("text/plain", b"\xff\xfe\x00binary", "application/octet-stream"),
    ("text/plain", b"nul\x00inside", "application/octet-stream"),
    ("audio/mpeg", b"ID3\x03\x00\x00\xff", "audio/mpeg"),
    ("application/json", b"\xff\x00", "application/octet-stream"),
    ("not a type", b"\xff\x00", "application/octet-stream"),
])
def test_the_stored_type(declared, content, stored):
    assert media_type(declared, content) == stored


@pytest.mark.parametrize("sent, kept", [
    ("scan.pdf", "scan.pdf"), ("C:\\Users\\me\\scan.pdf", "scan.pdf"), ("/etc/passwd", "passwd"),
    ("a/b/", "document"), ("..", "document"), (None, "document"), ("tab\there.txt", "tabhere.txt"),
    ("Résumé.pdf", "Résumé.pdf"), ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ("y" * 300, "y" * 255),
])
def test_the_stored_file_name(sent, kept):
    assert filename_of(sent) == kept


def test_the_demo_files_a_lab_report_and_a_note_for_one_patient_in_eight(database):
    """`demo_documents` (cli/demo.py, what `make run` shows): every eighth patient by pid
    without documents gets a PDF lab report and a text note; a second run adds none."""
    import re
    from types import SimpleNamespace

    from emr_api.cli import demo

    site = SimpleNamespace(db=database)
    with database.write() as s:  # patients until one is chosen (pid 1, 9, 17, ...)
        pid = 0
        while pid % 8 != 1:
            patient = Patient(fname="Demo", lname="Chosen", sex="Male", DOB=date(1990, 1, 1))
            s.add(patient)
            s.flush()
            pid = patient.pid
    made = demo.demo_documents(site, seed=3)
    assert made["documents"] >= 2
    assert demo.demo_documents(site, seed=3) == {"documents": 0}
    files = {}
    with database.read() as s:
        _, page = documents.search(s, SYSTEM, pid)
        for doc in page.items:
            _, row, content = documents.content(s, SYSTEM, pid, doc.id)
            assert hashlib.sha256(content).hexdigest() == row.hash and row.size == len(content)
            assert media_type(None, content) == row.mimetype
            files[row.mimetype] = content
    assert sorted(files) == ["application/pdf", "text/plain"]
    pdf = files["application/pdf"]
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    # Every object stands where the cross-reference table says.
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    offsets = [int(o) for o in re.findall(rb"(\d{10}) 00000 n", pdf[start:])]
    assert [pdf[o:].split(b" ", 1)[0] for o in offsets] == [b"%d" % n for n in range(1, 6)]
