"""FHIR DocumentReference (with US Core's `$docref`), Binary and Media over a patient's
documents: some written through the site's database (to set their days, categories and
encounters), one uploaded through the Standard API; read and searched as US Core resources,
their bytes read as Binary; a patient sees only their own."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from datetime import date, datetime

import pytest

from emr_api.db.models import Document, DocumentContent, Practitioner, User
from tests.conftest import bearer, password_token, register_client
from tests.fhir.helpers import ids, included, read, search

FHIR = "/apis/default/fhir"
STANDARD = "/apis/default/api"
LOINC = "http://loinc.org"
CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
MEDIA_TYPE = "http://terminology.hl7.org/CodeSystem/media-type"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference"
TAG = uuid.uuid4().hex[:8]
PDF = b"%PDF-1.4\n% a lab report " + TAG.encode() + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24 + TAG.encode()
XML = b'<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"/>'


def sha1(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data).digest()).decode()


def document(app, pid: int, category: int, filename: str, mimetype: str, data: bytes,
             day: date, stored: datetime, encounter=None, owner=None) -> str:
    """A document with its bytes, written as OpenEMR would have stored it."""
    with app.registry.get("default").db.write() as s:
        row = Document(pid=pid, category_id=category, encounter=encounter, filename=filename,
                       mimetype=mimetype, size=len(data),
                       hash=hashlib.sha256(data).hexdigest(), sha1=sha1(data), docdate=day,
                       date=stored, owner_id=owner)
        s.add(row)
        s.flush()
        s.add(DocumentContent(document_id=row.id, part=0, data=data))
        return row.uuid


def patient(client, admin, fname: str, lname: str) -> dict:
    r = client.post(f"{STANDARD}/patient", headers=admin, json={
        "fname": fname, "lname": lname, "sex": "Female", "DOB": "1970-05-05"})
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture(scope="module")
def chart(client, admin, app) -> dict:
    """A patient with six documents: a lab report of a visit, two CCDs, a DNR order, a
    photograph of the visit and a note uploaded through the Standard API; Phil, the portal
    patient, with one; and a patient with no document at all."""
    owner = patient(client, admin, "Dora", f"Docs{TAG}")
    pid, puuid = owner["pid"], owner["uuid"]
    r = client.post(f"{STANDARD}/practitioner", headers=admin, json={
        "fname": "Ines", "lname": f"Docs{TAG}", "npi": "1003000142"})
    assert r.status_code == 201, r.text
    doctor = r.json()["data"]
    r = client.post(f"{STANDARD}/patient/{puuid}/encounter", headers=admin, json={
        "date": "2023-03-10 09:00:00", "class_code": "AMB", "pc_catid": 5,
        "reason": "check-up", "provider_id": doctor["id"]})
    assert r.status_code == 201, r.text
    visit = r.json()["data"]
    with app.registry.get("default").db.write() as s:
        writer = User(username=f"writer{TAG}", password_hash="x", acl_group="doc",
                      fname="Wren", lname="Writer")
        s.add(writer)
        s.add(Practitioner(fname="Wren", lname=f"Writer{TAG}", npi="1003000159",
                           username=f"writer{TAG}"))
        s.flush()
        writer_id = writer.id
        author = s.query(Practitioner.uuid).filter(
            Practitioner.username == f"writer{TAG}").scalar()
    made = {"pid": pid, "puuid": puuid, "doctor": doctor["uuid"], "visit": visit["euuid"],
            "author": author}
    made["lab"] = document(app, pid, 2, "lab.pdf", "application/pdf", PDF, date(2023, 3, 10),
                           datetime(2023, 3, 10, 15, 0), encounter=visit["encounter"])
    made["ccd_old"] = document(app, pid, 13, "old-ccd.xml", "text/xml", XML, date(2022, 1, 5),
                               datetime(2022, 1, 5, 10, 0), owner=writer_id)
    made["ccd_new"] = document(app, pid, 12, "new-ccd.xml", "text/xml", XML, date(2024, 6, 1),
                               datetime(2024, 6, 2, 8, 0))
    made["dnr"] = document(app, pid, 7, "dnr.pdf", "application/pdf", PDF, date(2021, 7, 7),
                           datetime(2021, 7, 8, 12, 30))
    made["photo"] = document(app, pid, 10, "photo.png", "image/png", PNG, date(2024, 2, 2),
                             datetime(2024, 2, 2, 11, 0), encounter=visit["encounter"])
    r = client.post(f"{STANDARD}/patient/{pid}/document", headers=admin,
                    params={"path": "/Categories/Medical Record"},
                    files={"document": ("note.txt", b"A note " + TAG.encode(), "text/plain")})
    assert r.status_code == 201, r.text
    made["note"] = r.json()["data"]["uuid"]
    made["all"] = {made[k] for k in ("lab", "ccd_old", "ccd_new", "dnr", "photo", "note")}
    phil = client.get(f"{STANDARD}/patient", params={"fname": "Phil", "lname": "Belford"},
                      headers=admin).json()["data"][0]
    made["phil"] = phil["uuid"]
    made["phil_photo"] = document(app, phil["pid"], 10, "phil.png", "image/png", PNG,
                                  date(2024, 5, 5), datetime(2024, 5, 5, 9, 0))
    made["empty"] = patient(client, admin, "Nola", f"Nodocs{TAG}")["uuid"]
    return made


@pytest.fixture(scope="module")
def staff(client) -> dict:
    return bearer(password_token(client, register_client(client), scope=(
        "openid api:fhir user/DocumentReference.rs user/Binary.r user/Media.rs "
        "user/Patient.rs user/Encounter.rs user/Practitioner.rs")))


@pytest.fixture(scope="module")
def phil(client) -> dict:
    scopes = ("openid api:fhir patient/DocumentReference.rs patient/Binary.r "
              "patient/Media.rs")
    app = register_client(client, scope=f"{scopes} api:port")
    return bearer(password_token(client, app, role="patient", username="phil", password="phil",
                                 email="phil@example.com", scope=scopes))


# --- DocumentReference --------------------------------------------------------------------

def test_a_lab_report_is_a_us_core_document_reference(client, staff, chart):
    found = read(client, staff, "DocumentReference", chart["lab"])
    binary = found["content"][0]["attachment"].pop("url")
    assert binary == f"https://localhost:9300{FHIR}/Binary/{chart['lab']}"
    assert found == {
        "resourceType": "DocumentReference", "id": chart["lab"],
        "meta": {"versionId": "1", "lastUpdated": "2023-03-10T15:00:00Z", "profile": [US_CORE]},
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{chart['lab']}"}],
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": "11502-2", "display": "Lab Report"}],
                 "text": "Lab Report"},
        "category": [{"coding": [{"system": CATEGORY, "code": "clinical-note",
                                  "display": "Clinical Note"}]}],
        "subject": {"reference": f"Patient/{chart['puuid']}"},
        "date": "2023-03-10T15:00:00Z",
        "author": [{"reference": f"Practitioner/{chart['doctor']}"}],
        "content": [{
            "attachment": {"contentType": "application/pdf", "size": len(PDF),
                           "hash": sha1(PDF), "title": "lab.pdf", "creation": "2023-03-10"},
            "format": {"system": "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode",
                       "code": "urn:ihe:iti:xds:2017:mimeTypeSufficient",
                       "display": "mimeType Sufficient"}}],
        "context": {"encounter": [{"reference": f"Encounter/{chart['visit']}"}],
                    "period": {"start": "2023-03-10"}},
    }


def test_the_author_is_the_practitioner_who_stored_it(client, staff, chart):
    found = read(client, staff, "DocumentReference", chart["ccd_old"])
    assert found["author"] == [{"reference": f"Practitioner/{chart['author']}"}]
    assert found["type"]["coding"][0]["code"] == "34133-9"
    assert "encounter" not in found["context"]
    assert "author" not in read(client, staff, "DocumentReference", chart["dnr"])


def test_an_uncoded_category_is_an_unknown_type_and_a_subcategory_takes_its_parents_code(
        client, staff, chart):
    note = read(client, staff, "DocumentReference", chart["note"])
    assert note["type"] == {"coding": [{"system": ABSENT, "code": "unknown",
                                        "display": "Unknown"}], "text": "Medical Record"}
    content = b"A note " + TAG.encode()
    attachment = note["content"][0]["attachment"]
    assert attachment["hash"] == sha1(content) and attachment["size"] == len(content)
    assert attachment["contentType"] == "text/plain"
    dnr = read(client, staff, "DocumentReference", chart["dnr"])
    assert dnr["type"] == {"coding": [{"system": LOINC, "code": "42348-3",
                                       "display": "Advance Directive"}],
                           "text": "Do Not Resuscitate Order"}


@pytest.mark.parametrize("params,expected", [
    ({}, "all"),
    ({"category": "clinical-note"}, "all"),
    ({"category": f"{CATEGORY}|clinical-note"}, "all"),
    ({"category": "http://loinc.org|clinical-note"}, set()),
    ({"category": "clinical-note", "date": "ge2024-01-01"}, {"ccd_new", "photo", "note"}),
    ({"category": "clinical-note", "date": "2023-03"}, {"lab"}),
    ({"type": "34133-9"}, {"ccd_old", "ccd_new"}),
    ({"type": f"{LOINC}|34133-9"}, {"ccd_old", "ccd_new"}),
    ({"type": f"{LOINC}|42348-3"}, {"dnr"}),
    ({"type": f"{LOINC}|"}, {"lab", "ccd_old", "ccd_new", "dnr"}),
    ({"type": "http://snomed.info/sct|34133-9"}, set()),
    ({"type": "34133-9", "period": "ge2023"}, {"ccd_new"}),
    ({"type": "34133-9", "period": "lt2023-01-01"}, {"ccd_old"}),
    ({"period": "2024-02-02"}, {"photo"}),
    ({"period": "sa2024-01-01"}, {"ccd_new", "photo", "note"}),
    ({"period": "eb2022-01-06"}, {"ccd_old", "dnr"}),
    ({"date": "le2021-07-08T12:30:00Z"}, {"dnr"}),
    ({"date": "gt2024-06-02T08:00:00Z"}, {"note"}),
    ({"status": "current"}, "all"),
    ({"status": "entered-in-error"}, set()),
    ({"status": "superseded,current"}, "all"),
])
def test_document_reference_searches_with_the_patient(client, staff, chart, params, expected):
    found = search(client, staff, "DocumentReference", patient=chart["puuid"], **params)
    wanted = chart["all"] if expected == "all" else {chart[k] for k in expected}
    assert ids(found) == wanted
    assert found["total"] == len(wanted)


def test_document_reference_by_id_encounter_and_last_updated(client, staff, chart):
    assert ids(search(client, staff, "DocumentReference",
                      _id=f"{chart['lab']},{chart['dnr']}")) == {chart["lab"], chart["dnr"]}
    assert ids(search(client, staff, "DocumentReference", encounter=chart["visit"])) == {
        chart["lab"], chart["photo"]}
    assert ids(search(client, staff, "DocumentReference", patient=chart["puuid"],
                      _lastUpdated="lt2022")) == {chart["dnr"]}
    assert ids(search(client, staff, "DocumentReference",
                      patient=f"Patient/{chart['empty']}")) == set()


def test_document_references_sort_and_page_to_the_end(client, staff, chart):
    url, seen, pages = f"{FHIR}/DocumentReference", [], 0
    params = {"patient": chart["puuid"], "_sort": "-period", "_count": 2}
    while url:
        r = client.get(url, params=params, headers=staff)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == 6
        seen += [e["resource"]["id"] for e in body["entry"]]
        url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
        params, pages = None, pages + 1
    assert pages == 3
    # The note was uploaded today: its day is the latest.
    assert seen == [chart[k] for k in ("note", "ccd_new", "photo", "lab", "ccd_old", "dnr")]
    by_date = search(client, staff, "DocumentReference", patient=chart["puuid"], _sort="date",
                     type="34133-9,42348-3")
    assert [e["resource"]["id"] for e in by_date["entry"]] == [
        chart["dnr"], chart["ccd_old"], chart["ccd_new"]]


def test_a_document_reference_includes_its_patient_and_encounter(client, staff, chart):
    found = search(client, staff, "DocumentReference", _id=chart["lab"],
                   _include="DocumentReference:patient,DocumentReference:encounter")
    assert included(found) == {("Patient", chart["puuid"]), ("Encounter", chart["visit"])}
    r = client.get(f"{FHIR}/Encounter", headers=staff, params=[
        ("_id", chart["visit"]), ("_revinclude", "DocumentReference:encounter"),
        ("_revinclude", "Media:encounter")])
    assert r.status_code == 200, r.text
    assert included(r.json()) == {("DocumentReference", chart["lab"]),
                                  ("DocumentReference", chart["photo"]),
                                  ("Media", chart["photo"])}
    found = search(client, staff, "Patient", _id=chart["puuid"],
                   _revinclude="DocumentReference:patient")
    assert {id_ for kind, id_ in included(found) if kind == "DocumentReference"} == chart["all"]


def test_a_bad_date_or_sort_is_refused(client, staff, chart):
    for params in ({"date": "2024-13-01"}, {"period": "xx2024"}, {"_sort": "title"}):
        r = client.get(f"{FHIR}/DocumentReference", headers=staff,
                       params={"patient": chart["puuid"], **params})
        assert r.status_code == 400, r.text
        assert r.json()["resourceType"] == "OperationOutcome"


# --- $docref ----------------------------------------------------------------------------

def docref(client, headers, **params) -> dict:
    r = client.get(f"{FHIR}/DocumentReference/$docref", params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    body = r.json()
    assert body["resourceType"] == "Bundle" and body["type"] == "searchset"
    return body


def test_docref_without_dates_answers_the_most_recent_ccd(client, staff, chart):
    found = docref(client, staff, patient=chart["puuid"])
    assert ids(found) == {chart["ccd_new"]} and found["total"] == 1
    entry = found["entry"][0]
    assert entry["resource"]["type"]["coding"][0]["code"] == "34133-9"
    assert entry["fullUrl"].endswith(f"/DocumentReference/{chart['ccd_new']}")
    assert ids(docref(client, staff, patient=f"Patient/{chart['puuid']}",
                      **{"on-demand": "true"})) == {chart["ccd_new"]}


@pytest.mark.parametrize("params,expected", [
    ({"start": "2020-01-01"}, {"ccd_old", "ccd_new"}),
    ({"start": "2022-01-05", "end": "2022-01-05"}, {"ccd_old"}),
    ({"end": "2023"}, {"ccd_old"}),
    ({"start": "2024-06-02"}, set()),
    ({"start": "2020", "type": f"{LOINC}|11502-2"}, {"lab"}),
    ({"type": "42348-3"}, {"dnr"}),
])
def test_docref_with_dates_and_types(client, staff, chart, params, expected):
    found = docref(client, staff, patient=chart["puuid"], **params)
    assert ids(found) == {chart[k] for k in expected}


def test_docref_says_when_it_answers_only_the_newest(client, staff, chart, monkeypatch):
    from emr_api.handlers.fhir import document_reference

    monkeypatch.setattr(document_reference, "DOCREF_LIMIT", 1)
    found = docref(client, staff, patient=chart["puuid"], start="2020")
    assert ids(found) == {chart["ccd_new"]}
    outcome = found["entry"][-1]
    assert outcome["search"]["mode"] == "outcome"
    assert outcome["resource"]["issue"][0]["code"] == "too-costly"


def test_docref_by_post_takes_a_parameters_resource(client, staff, chart):
    body = {"resourceType": "Parameters", "parameter": [
        {"name": "patient", "valueId": chart["puuid"]},
        {"name": "start", "valueDate": "2021-01-01"},
        {"name": "type", "valueCoding": {"system": LOINC, "code": "34133-9"}},
        {"name": "on-demand", "valueBoolean": False}]}
    r = client.post(f"{FHIR}/DocumentReference/$docref", json=body,
                    headers={**staff, "Content-Type": "application/fhir+json"})
    assert r.status_code == 200, r.text
    assert ids(r.json()) == {chart["ccd_old"], chart["ccd_new"]}
    r = client.post(f"{FHIR}/DocumentReference/$docref", headers={
        **staff, "Content-Type": "application/fhir+json"},
        json={"resourceType": "Parameters", "parameter": [{"name": "start",
                                                           "valueDate": "2021"}]})
    assert r.status_code == 400, r.text


def test_docref_finds_nothing_to_generate_and_refuses_bad_input(client, staff, chart):
    assert docref(client, staff, patient=chart["empty"], **{"on-demand": "true"})["total"] == 0
    for params in ({}, {"patient": chart["puuid"], "start": "ge2020"},
                   {"patient": chart["puuid"], "end": "2020-02-31"},
                   {"patient": chart["puuid"], "type": "http://snomed.info/sct|1"}):
        r = client.get(f"{FHIR}/DocumentReference/$docref", params=params, headers=staff)
        assert r.status_code == 400, (params, r.text)
        assert r.json()["resourceType"] == "OperationOutcome"


def test_the_statement_lists_docref_binary_and_media(client):
    statement = client.get(f"{FHIR}/metadata").json()
    types = {r["type"]: r for r in statement["rest"][0]["resource"]}
    reference = types["DocumentReference"]
    assert reference["operation"] == [
        {"name": "docref", "definition": "http://hl7.org/fhir/us/core/OperationDefinition/docref"}]
    assert {i["code"] for i in reference["interaction"]} == {"read", "search-type"}
    assert reference["supportedProfile"] == [US_CORE]
    assert [i["code"] for i in types["Binary"]["interaction"]] == ["read"]
    assert types["Binary"]["searchParam"] == []
    assert {p["name"] for p in types["Media"]["searchParam"]} == {
        "_id", "_lastUpdated", "patient", "created", "type", "encounter"}


# --- Binary -----------------------------------------------------------------------------

def test_binary_is_the_documents_bytes(client, staff, chart):
    r = client.get(f"{FHIR}/Binary/{chart['lab']}", headers=staff)
    assert r.status_code == 200, r.text
    assert r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith('attachment; filename="lab.pdf"')
    r = client.get(f"{FHIR}/Binary/{chart['ccd_new']}", headers={**staff, "Accept": "text/xml"})
    assert r.status_code == 200 and r.content == XML
    assert r.headers["content-type"] == "text/xml; charset=utf-8"


@pytest.mark.parametrize("how", [{"headers": {"Accept": "application/fhir+json"}},
                                 {"headers": {"Accept": "application/json"}},
                                 {"params": {"_format": "json"}}])
def test_binary_as_fhir_json_is_a_binary_resource(client, staff, chart, how):
    r = client.get(f"{FHIR}/Binary/{chart['photo']}", params=how.get("params"),
                   headers={**staff, **how.get("headers", {})})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    assert r.json() == {
        "resourceType": "Binary", "id": chart["photo"],
        "meta": {"versionId": "1", "lastUpdated": "2024-02-02T11:00:00Z"},
        "contentType": "image/png",
        "securityContext": {"reference": f"DocumentReference/{chart['photo']}"},
        "data": base64.b64encode(PNG).decode()}


def test_binary_of_no_document_or_in_xml(client, staff, chart):
    r = client.get(f"{FHIR}/Binary/{uuid.uuid4()}", headers=staff)
    assert r.status_code == 404 and r.json()["resourceType"] == "OperationOutcome"
    r = client.get(f"{FHIR}/Binary/{chart['lab']}", params={"_format": "xml"}, headers=staff)
    assert r.status_code == 406 and r.json()["resourceType"] == "OperationOutcome"


# --- Media ------------------------------------------------------------------------------

def test_a_photograph_is_media(client, staff, chart):
    found = read(client, staff, "Media", chart["photo"])
    url = found["content"].pop("url")
    assert url == f"https://localhost:9300{FHIR}/Binary/{chart['photo']}"
    assert found == {
        "resourceType": "Media", "id": chart["photo"],
        "meta": {"versionId": "1", "lastUpdated": "2024-02-02T11:00:00Z"},
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{chart['photo']}"}],
        "status": "completed",
        "type": {"coding": [{"system": MEDIA_TYPE, "code": "image", "display": "Image"}]},
        "subject": {"reference": f"Patient/{chart['puuid']}"},
        "encounter": {"reference": f"Encounter/{chart['visit']}"},
        "createdDateTime": "2024-02-02", "issued": "2024-02-02T11:00:00Z",
        "content": {"contentType": "image/png", "size": len(PNG), "hash": sha1(PNG),
                    "title": "photo.png", "creation": "2024-02-02"},
    }
    r = client.get(f"{FHIR}/Media/{chart['lab']}", headers=staff)  # a PDF is no Media
    assert r.status_code == 404


@pytest.mark.parametrize("params,expected", [
    ({}, {"photo"}),
    ({"type": "image"}, {"photo"}),
    ({"type": f"{MEDIA_TYPE}|image"}, {"photo"}),
    ({"type": "video,audio"}, set()),
    ({"type": "http://loinc.org|image"}, set()),
    ({"created": "2024-02"}, {"photo"}),
    ({"created": "lt2024-02-02"}, set()),
    ({"_lastUpdated": "ge2024-02-02T11:00:00Z"}, {"photo"}),
    ({"encounter": "Encounter/{visit}"}, {"photo"}),
])
def test_media_searches(client, staff, chart, params, expected):
    params = {k: v.format(**chart) for k, v in params.items()}
    found = search(client, staff, "Media", patient=chart["puuid"], **params)
    assert ids(found) == {chart[k] for k in expected}


def test_media_includes_its_patient_and_is_found_by_id(client, staff, chart):
    found = search(client, staff, "Media", _id=f"{chart['photo']},{chart['lab']}",
                   _include="Media:patient")
    assert ids(found) == {chart["photo"]}
    assert included(found) == {("Patient", chart["puuid"])}
    found = search(client, staff, "Patient", _id=chart["puuid"], _revinclude="Media:patient")
    assert included(found) == {("Media", chart["photo"])}


# --- who sees what ----------------------------------------------------------------------

def test_a_patient_sees_only_their_own_documents(client, phil, chart):
    for type_ in ("DocumentReference", "Media"):
        mine = search(client, phil, type_)
        assert chart["phil_photo"] in ids(mine) and not ids(mine) & chart["all"]
        assert {e["resource"]["subject"]["reference"] for e in mine["entry"]} == {
            f"Patient/{chart['phil']}"}
    assert ids(search(client, phil, "DocumentReference", patient=chart["puuid"])) == set()
    for path in (f"DocumentReference/{chart['lab']}", f"Media/{chart['photo']}",
                 f"Binary/{chart['lab']}"):
        r = client.get(f"{FHIR}/{path}", headers=phil)
        assert r.status_code == 404, (path, r.text)
    assert read(client, phil, "Media", chart["phil_photo"])["subject"] == {
        "reference": f"Patient/{chart['phil']}"}
    r = client.get(f"{FHIR}/Binary/{chart['phil_photo']}", headers=phil)
    assert r.status_code == 200 and r.content == PNG
    assert docref(client, phil, patient=chart["puuid"], start="2000")["total"] == 0


def test_a_staff_token_without_the_scopes_is_refused(client, chart):
    token = bearer(password_token(client, register_client(client), scope=(
        "openid api:fhir user/Patient.rs")))
    for path, params in (("DocumentReference", {}), (f"DocumentReference/{chart['lab']}", {}),
                         ("DocumentReference/$docref", {"patient": chart["puuid"]}),
                         (f"Binary/{chart['lab']}", {}), ("Media", {})):
        r = client.get(f"{FHIR}/{path}", params=params, headers=token)
        assert r.status_code == 403, (path, r.text)


def test_instants_are_utc(client, staff, chart):
    found = search(client, staff, "DocumentReference", patient=chart["puuid"])
    for entry in found["entry"]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["resource"]["date"])
