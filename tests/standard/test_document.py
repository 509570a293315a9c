"""/patient/{pid}/document and /patient/{pid}/document/{did} (OpenEMR's documents in its
category tree): upload as multipart, list by category path, download the file itself,
safely; every refusal a 4xx in the envelope naming the field, and a refused upload
leaves nothing; another patient's document is 404 through this patient's path; the
patients/docs ACL, the scopes, the uploader and the audit row."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from emr_api.codegen import operations
from emr_api.db.models import AuditLog, Document, DocumentContent, User
from emr_api.services import documents
from tests.conftest import bearer, password_token, register_client
from tests.standard.answers import invalid, not_found

API = "/apis/default/api"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
LAB = "/Categories/Lab Report"
FIELDS = {"id", "uuid", "filename", "mimetype", "docdate", "date", "size", "hash",
          "category_id", "category_name", "eid"}


def make_patient(client, admin, lname) -> dict:
    r = client.post(f"{API}/patient", json={"fname": "Dora", "lname": lname, "sex": "Female",
                                            "DOB": "1968-07-08"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture()
def mine(client, admin) -> dict:
    return make_patient(client, admin, "Filed")


@pytest.fixture()
def theirs(client, admin) -> dict:
    return make_patient(client, admin, "Elsewhere")


def base(pid) -> str:
    return f"{API}/patient/{pid}/document"


def upload(client, headers, pid, content=PDF, *, filename="report.pdf", media=None,
           path=LAB, eid=None, field="document"):
    params = {"path": path} if path is not None else {}
    if eid is not None:
        params["eid"] = eid
    part = (filename, content, media) if media else (filename, content)
    return client.post(base(pid), params=params, files={field: part}, headers=headers)


def stored(client, headers, pid, content=PDF, **kwargs) -> dict:
    r = upload(client, headers, pid, content, **kwargs)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def listed(client, headers, pid, **params) -> list[dict]:
    r = client.get(base(pid), params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def download(client, headers, pid, did):
    return client.get(f"{base(pid)}/{did}", headers=headers)


def document_count(app) -> int:
    with app.registry.get("default").db.read() as s:
        return s.execute(select(func.count()).select_from(Document)).scalar_one()


# --- upload, list, download -------------------------------------------------------------

def test_an_upload_is_stored_listed_and_downloaded_as_it_was(client, admin, mine):
    r = upload(client, admin, mine["pid"], filename="cbc.pdf")
    assert r.status_code == 201, r.text
    doc = r.json()["data"]
    assert set(doc) == FIELDS
    assert doc["filename"] == "cbc.pdf" and doc["mimetype"] == "application/pdf"
    assert doc["size"] == len(PDF) and doc["hash"] == hashlib.sha256(PDF).hexdigest()
    assert (doc["category_id"], doc["category_name"], doc["eid"]) == (2, "Lab Report", None)
    assert doc["docdate"] == datetime.now(timezone.utc).date().isoformat()
    assert isinstance(doc["id"], int) and len(doc["uuid"]) == 36

    assert listed(client, admin, mine["pid"], path=LAB) == [doc]

    got = download(client, admin, mine["pid"], doc["id"])
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"cbc.pdf\"; filename*=UTF-8''cbc.pdf")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert got.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/Categories/Lab Report", "/categories/lab_report",
                                  "/Lab_Report", "Lab Report", "LABREPORT", "/Lab Report/"])
def test_a_category_path_is_named_as_openemrs_api_names_it(client, admin, mine, path):
    doc = stored(client, admin, mine["pid"], path=path)
    assert doc["category_name"] == "Lab Report"
    assert [d["id"] for d in listed(client, admin, mine["pid"], path=path)] == [doc["id"]]


def test_a_subcategory_is_named_under_its_parent_or_alone(client, admin, mine):
    photo = stored(client, admin, mine["pid"], PNG, filename="face.png",
                   path="/Categories/Patient Information/Patient Photograph")
    assert (photo["category_name"], photo["mimetype"]) == ("Patient Photograph", "image/png")
    for path in ("/Patient_Information/Patient_Photograph", "Patient Photograph"):
        assert [d["id"] for d in listed(client, admin, mine["pid"], path=path)] == [photo["id"]]
    # The parent's list holds its own documents only, as OpenEMR's does.
    assert listed(client, admin, mine["pid"], path="/Categories/Patient Information") == []


def test_the_list_holds_one_category_and_without_a_path_every_one(client, admin, mine, theirs):
    lab = stored(client, admin, mine["pid"])
    note = stored(client, admin, mine["pid"], b"Called about results.", filename="n.txt",
                  path="/Categories/Medical Record")
    stored(client, admin, theirs["pid"])
    assert [d["id"] for d in listed(client, admin, mine["pid"], path=LAB)] == [lab["id"]]
    assert [d["id"] for d in listed(client, admin, mine["pid"])] == [lab["id"], note["id"]]
    assert listed(client, admin, mine["pid"], path="/Categories/CCDA") == []


def test_the_list_pages_with_links(client, admin, mine):
    made = [stored(client, admin, mine["pid"], PDF + bytes([i]))["id"] for i in range(3)]
    r = client.get(base(mine["pid"]), params={"path": LAB, "_limit": 2}, headers=admin)
    assert [d["id"] for d in r.json()["data"]] == made[:2]
    following = urlsplit(r.json()["links"]["next"])
    assert parse_qs(following.query) == {"path": [LAB], "_limit": ["2"], "_offset": ["2"]}
    r = client.get(following.path + "?" + following.query, headers=admin)
    assert [d["id"] for d in r.json()["data"]] == made[2:] and r.json()["links"]["next"] is None


def test_a_document_of_many_parts_at_the_limit_comes_back_whole(client, admin, mine):
    """MAX_SIZE bytes of zeros: the worst case for a driver that escapes bytes, in parts."""
    content = b"\x00" * documents.MAX_SIZE
    doc = stored(client, admin, mine["pid"], content, filename="big.bin")
    assert (doc["size"], doc["mimetype"]) == (documents.MAX_SIZE, "application/octet-stream")
    got = download(client, admin, mine["pid"], doc["id"])
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == doc["hash"]


def test_an_encounter_is_linked_by_its_number(client, admin, mine, theirs):
    def encounter_of(patient) -> int:
        r = client.post(f"{API}/patient/{patient['uuid']}/encounter",
                        json={"pc_catid": 5, "class_code": "AMB", "reason": "Scan"},
                        headers=admin)
        assert r.status_code == 201, r.text
        return r.json()["data"]["encounter"]

    own, other = encounter_of(mine), encounter_of(theirs)
    doc = stored(client, admin, mine["pid"], eid=str(own))
    loose = stored(client, admin, mine["pid"])
    assert doc["eid"] == own and loose["eid"] is None
    assert [d["id"] for d in listed(client, admin, mine["pid"], eid=own)] == [doc["id"]]

    before = document_count(client.app)
    invalid(upload(client, admin, mine["pid"], eid=str(other)), "eid")
    invalid(upload(client, admin, mine["pid"], eid="999999999"), "eid")
    invalid(upload(client, admin, mine["pid"], eid="x1"), "eid")
    assert document_count(client.app) == before


# --- what is stored: the type, the name ---------------------------------------------------

@pytest.mark.parametrize("content, media, expected", [
    (PNG, "text/html", "image/png"),  # the signature wins over what was declared
    (PDF, None, "application/pdf"),
    (b"plain words", None, "text/plain"),
    (b"plain words", "application/octet-stream", "text/plain"),
    (b"a,b\n1,2\n", "text/csv", "text/csv"),
    (b'{"a": 1}', "application/json", "application/json"),
    (b"{not json", "application/json", "text/plain"),
    (b"\x01\x02\xff\xfe", "text/plain", "application/octet-stream"),
    (b"\x01\x02\xff\xfe", "audio/mpeg", "audio/mpeg"),
])
def test_the_stored_type_is_what_the_content_shows(client, admin, mine, content, media, expected):
    doc = stored(client, admin, mine["pid"], content, filename="f", media=media)
    assert doc["mimetype"] == expected
    got = download(client, admin, mine["pid"], doc["id"])
    assert got.content == content
    assert got.headers["content-type"].split(";")[0] == expected


@pytest.mark.parametrize("content, media", [
    (b"<html><script>alert(document.cookie)</script></html>", "text/html"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"),
])
def test_active_content_never_runs_in_the_apis_origin(client, admin, mine, content, media):
    doc = stored(client, admin, mine["pid"], content, filename="page.html", media=media)
    got = download(client, admin, mine["pid"], doc["id"])
    assert got.content == content
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert "default-src 'none'" in got.headers["content-security-policy"]


@pytest.mark.parametrize("sent, kept, header", [
    ("C:\\Users\\me\\scan.pdf", "scan.pdf", "filename=\"scan.pdf\"; filename*=UTF-8''scan.pdf"),
    ("../../etc/passwd", "passwd", "filename=\"passwd\"; filename*=UTF-8''passwd"),
    ("Résumé été.pdf", "Résumé été.pdf",
     "filename=\"R_sum_ _t_.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%C3%A9t%C3%A9.pdf"),
    ('a"b;c\\d.txt', "d.txt", "filename=\"d.txt\"; filename*=UTF-8''d.txt"),
    ("rate 100%; final.txt", "rate 100%; final.txt",
     "filename=\"rate 100_; final.txt\"; filename*=UTF-8''rate%20100%25%3B%20final.txt"),
])
def test_the_file_name_is_kept_and_sent_back_quoted(client, admin, mine, sent, kept, header):
    doc = stored(client, admin, mine["pid"], filename=sent)
    assert doc["filename"] == kept
    got = download(client, admin, mine["pid"], doc["id"])
    assert got.headers["content-disposition"] == f"attachment; {header}"


# --- refusals -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/Nowhere", "/Categories/Patient Photograph", "/", "///",
                                  "/Lab Report/Medical Record"])
def test_a_path_that_names_no_category_is_400(client, admin, mine, path):
    before = document_count(client.app)
    invalid(upload(client, admin, mine["pid"], path=path), "path")
    invalid(client.get(base(mine["pid"]), params={"path": path}, headers=admin), "path")
    assert document_count(client.app) == before


def test_an_upload_needs_a_path(client, admin, mine):
    invalid(upload(client, admin, mine["pid"], path=None), "path")
    invalid(upload(client, admin, mine["pid"], path=""), "path")


def test_an_empty_file_is_400(client, admin, mine):
    before = document_count(client.app)
    invalid(upload(client, admin, mine["pid"], b""), "document")
    assert document_count(client.app) == before


def test_a_file_part_is_required(client, admin, mine):
    url, params = base(mine["pid"]), {"path": LAB}
    # A file under another name: the form has no such field, and says which.
    r = client.post(url, params=params, files={"other": ("a.pdf", PDF)}, headers=admin)
    invalid(r, "request")
    assert "other" in r.json()["validationErrors"]["request"][0]
    # No file at all, a plain field without a filename, two files.
    invalid(client.post(url, params=params, files={}, data={}, headers={
        **admin, "Content-Type": "multipart/form-data; boundary=x"}, content=b"--x--\r\n"),
        "document")
    invalid(client.post(url, params=params, files={"document": (None, b"not a file")},
                        headers=admin), "document")
    invalid(client.post(url, params=params, files=[("document", ("a.pdf", PDF)),
                                                   ("document", ("b.pdf", PDF))],
                        headers=admin), "document")
    r = client.post(url, params=params, json={"document": "x"}, headers=admin)
    assert r.status_code == 415 and r.json()["internalErrors"], r.text


def test_a_file_over_the_limit_is_413_and_leaves_nothing(client, admin, mine):
    before = document_count(client.app)
    r = upload(client, admin, mine["pid"], b"\x01" * (documents.MAX_SIZE + 1))
    assert r.status_code == 413, r.text
    assert r.json()["data"] == [] and str(documents.MAX_SIZE) in r.json()["internalErrors"][0]
    # A body past the operation's own limit ends at the edge, unread.
    limit = operations.by_id()["emr_api.handlers.standard.document.create_document"].max_body
    r = client.post(base(mine["pid"]), params={"path": LAB}, headers={
        **admin, "Content-Type": "multipart/form-data; boundary=x",
        "Content-Length": str(limit + 1)}, content=b"x" * (limit + 1))
    assert r.status_code == 413 and r.json()["internalErrors"], r.text
    assert document_count(client.app) == before


def test_the_operations_body_limit_holds_a_file_at_the_documents_limit():
    op = operations.by_id()["emr_api.handlers.standard.document.create_document"]
    assert documents.MAX_SIZE < op.max_body <= documents.MAX_SIZE + (1 << 20)


def test_unknown_patient_is_404_naming_the_pid(client, admin):
    not_found(client.get(base(2_000_000_000), headers=admin), "pid")
    not_found(upload(client, admin, 2_000_000_000), "pid")
    not_found(download(client, admin, 2_000_000_000, 1), "pid")


def test_unknown_document_is_404_naming_the_did(client, admin, mine):
    not_found(download(client, admin, mine["pid"], 2_000_000_000), "did")


def test_another_patients_document_is_404_through_this_patients_path(client, admin, mine,
                                                                     theirs):
    doc = stored(client, admin, theirs["pid"], b"their note", filename="theirs.txt")
    not_found(download(client, admin, mine["pid"], doc["id"]), "did")
    assert listed(client, admin, mine["pid"]) == []
    assert download(client, admin, theirs["pid"], doc["id"]).content == b"their note"


@pytest.mark.parametrize("pid, did, field", [("0", "1", "pid"), ("abc", "1", "pid"),
                                             ("1", "0", "did"), ("1", "1x", "did")])
def test_malformed_ids_are_400(client, admin, pid, did, field):
    invalid(client.get(f"{API}/patient/{pid}/document/{did}", headers=admin), field)


@pytest.mark.parametrize("params, field", [({"_limit": 500}, "_limit"), ({"eid": "0"}, "eid"),
                                           ({"path": ""}, "path"), ({"pid": "1"}, "pid")])
def test_bad_list_parameters_are_400(client, admin, mine, params, field):
    invalid(client.get(base(mine["pid"]), params=params, headers=admin), field)


# --- scopes, ACL, uploader, audit ---------------------------------------------------------

def test_no_token_is_401(client, mine):
    assert client.get(base(mine["pid"])).status_code == 401
    assert client.post(base(mine["pid"]), params={"path": LAB},
                       files={"document": ("a.pdf", PDF)}).status_code == 401
    assert client.get(f"{base(mine['pid'])}/1").status_code == 401


def test_each_operation_needs_its_scope(client, admin, mine):
    doc = stored(client, admin, mine["pid"])
    one = f"{base(mine['pid'])}/{doc['id']}"
    v2 = register_client(client, scope="api:oemr user/document.s user/document.r "
                                       "user/document.c user/patient.rs")
    tokens = {scope: bearer(password_token(client, v2, scope=f"api:oemr {scope}"))
              for scope in ("user/document.s", "user/document.r", "user/document.c",
                            "user/patient.rs")}
    for scope, headers in tokens.items():
        answers = (client.get(base(mine["pid"]), headers=headers).status_code,
                   client.get(one, headers=headers).status_code,
                   upload(client, headers, mine["pid"]).status_code)
        expected = tuple(200 if wanted == scope else 403
                         for wanted in ("user/document.s", "user/document.r"))
        expected += (201 if scope == "user/document.c" else 403,)
        assert answers == expected, scope
        refused = client.get(one, headers=headers)
        if refused.status_code == 403:
            assert refused.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'


def test_every_operation_needs_patients_docs():
    ours = [op for op in operations.of_api("standard")
            if op.operation_id.startswith("emr_api.handlers.standard.document.")]
    assert len(ours) == 3
    assert {tuple(op.acl) for op in ours} == {("patients", "docs")}


def test_front_office_has_no_patients_docs(client, admin, front_office, mine):
    doc = stored(client, admin, mine["pid"])
    before = document_count(client.app)
    responses = [client.get(base(mine["pid"]), headers=front_office),
                 upload(client, front_office, mine["pid"]),
                 download(client, front_office, mine["pid"], doc["id"])]
    assert [r.status_code for r in responses] == [403] * 3
    assert all("patients/docs" in r.json()["internalErrors"][0] for r in responses)
    assert document_count(client.app) == before


def test_the_uploader_and_the_bytes_are_recorded(client, app, admin, mine):
    doc = stored(client, admin, mine["pid"], b"x" * (documents.PART_SIZE + 5), filename="t.txt")
    with app.registry.get("default").db.read() as s:
        admin_id = s.execute(select(User.id).where(User.username == "admin")).scalar_one()
        row = s.get(Document, doc["id"])
        assert (row.owner_id, row.pid, row.encounter) == (admin_id, mine["pid"], None)
        parts = s.execute(select(DocumentContent.part, func.length(DocumentContent.data))
                          .where(DocumentContent.document_id == doc["id"])
                          .order_by(DocumentContent.part)).all()
        assert [tuple(p) for p in parts] == [(0, documents.PART_SIZE), (1, 5)]


def test_the_audit_row_names_the_patient(client, app, admin, mine):
    made = upload(client, admin, mine["pid"])
    did = made.json()["data"]["id"]
    site = app.registry.get("default")
    for r in (made, client.get(base(mine["pid"]), headers=admin),
              download(client, admin, mine["pid"], did)):
        assert r.status_code in (200, 201), r.text
        with site.db.read() as s:
            row = s.execute(select(AuditLog).where(
                AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
            assert row.patient_uuid == mine["uuid"], (r.request.method, r.request.url)
