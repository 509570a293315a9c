"""/allergy and /patient/{puuid}/allergy (OpenEMR's `lists` rows of type allergy): create,
read, list, update, delete through the patient's path only; the lists across patients;
OpenEMR's rules (title 2-255 required, diagnosis 2-255, real dates); paging; a body's
`pid`/`id`/`uuid` moving nothing; scopes, the patients/med ACL and the audit row."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from emr_api.db.models import AuditLog
from tests.conftest import BASE_URL, bearer, password_token, register_client
from tests.standard.answers import invalid

API = "/apis/default/api"


def make_patient(client, admin, lname="Allergic") -> dict:
    r = client.post(f"{API}/patient", json={"fname": "Ada", "lname": lname, "sex": "Female",
                                            "DOB": "1980-02-03"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def allergy_body(**overrides) -> dict:
    body = {"title": "Penicillin", "begdate": "2010-10-13", "diagnosis": "RXNORM:7980",
            "comments": "Hives within an hour"}
    body.update(overrides)
    return body


def base(puuid: str) -> str:
    return f"{API}/patient/{puuid}/allergy"


def create(client, headers, owner, **overrides) -> dict:
    r = client.post(base(owner), json=allergy_body(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def read(client, headers, puuid, auuid) -> dict:
    r = client.get(f"{base(puuid)}/{auuid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def query_of(link: str, path: str) -> dict:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == BASE_URL + path
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


@pytest.fixture()
def mine(client, admin) -> dict:
    return make_patient(client, admin)


@pytest.fixture()
def theirs(client, admin) -> dict:
    return make_patient(client, admin, lname="Other")


# --- create and read ------------------------------------------------------------------

def test_create_answers_201_with_id_and_uuid_and_reads_back(client, admin, mine):
    ids = create(client, admin, mine["uuid"])
    assert set(ids) == {"id", "uuid"} and isinstance(ids["id"], int)
    assert ids["uuid"] == str(uuid.UUID(ids["uuid"]))
    data = read(client, admin, mine["uuid"], ids["uuid"])
    assert (data["id"], data["uuid"], data["type"]) == (ids["id"], ids["uuid"], "allergy")
    assert data["title"] == "Penicillin" and data["diagnosis"] == "RXNORM:7980"
    assert data["begdate"] == "2010-10-13" and data["enddate"] is None
    assert data["comments"] == "Hives within an hour"
    assert (data["pid"], data["puuid"]) == (mine["pid"], mine["uuid"])
    assert data["activity"] == 1 and len(data["date"]) == 19


def test_only_the_title_is_required(client, admin, mine):
    ids = create(client, admin, mine["uuid"], begdate=None, diagnosis=None, comments=None)
    r = client.post(base(mine["uuid"]), json={"title": "Latex"}, headers=admin)
    assert r.status_code == 201, r.text
    data = read(client, admin, mine["uuid"], r.json()["data"]["uuid"])
    assert data["title"] == "Latex" and data["begdate"] is None and data["diagnosis"] is None
    assert read(client, admin, mine["uuid"], ids["uuid"])["begdate"] is None


def test_a_date_and_time_keeps_its_day(client, admin, mine):
    """OpenEMR's validator asks for Y-m-d H:i:s; the column is a date."""
    ids = create(client, admin, mine["uuid"], begdate="2020-01-02 10:11:12",
                 enddate="2021-03-04 00:00")
    data = read(client, admin, mine["uuid"], ids["uuid"])
    assert (data["begdate"], data["enddate"]) == ("2020-01-02", "2021-03-04")


def test_the_body_cannot_choose_the_patient_the_id_or_the_type(client, admin, mine, theirs):
    forced = str(uuid.uuid4())
    ids = create(client, admin, mine["uuid"], pid=theirs["pid"], puuid=theirs["uuid"],
                 id=999999, uuid=forced, type="medication")
    assert ids["uuid"] != forced and ids["id"] != 999999
    data = read(client, admin, mine["uuid"], ids["uuid"])
    assert (data["pid"], data["puuid"], data["type"]) == (mine["pid"], mine["uuid"], "allergy")
    assert client.get(base(theirs["uuid"]), headers=admin).json()["data"] == []


@pytest.mark.parametrize("field", ["title"])
def test_required_fields(client, admin, mine, field):
    body = allergy_body()
    del body[field]
    invalid(client.post(base(mine["uuid"]), json=body, headers=admin), field)


@pytest.mark.parametrize("field, value", [
    ("title", "x"),
    ("title", ""),
    ("title", None),
    ("title", "x" * 256),
    ("title", "bad\x00title"),
    ("diagnosis", "x"),
    ("diagnosis", "x" * 256),
    ("begdate", "2021-02-29"),
    ("begdate", "2021-01-01 25:00:00"),
    ("begdate", "yesterday"),
    ("begdate", "13/10/2010"),
    ("begdate", ""),
    ("enddate", "1999-04-31"),
    ("comments", "x" * 10001),
    ("comments", 12),
])
def test_invalid_values_are_400_naming_the_field(client, admin, mine, field, value):
    r = client.post(base(mine["uuid"]), json=allergy_body(**{field: value}), headers=admin)
    invalid(r, field)
    assert client.get(base(mine["uuid"]), headers=admin).json()["data"] == []


def test_lone_surrogates_are_400_naming_the_field(client, admin, mine):
    """JSON may escape a lone surrogate (`\\ud800`), which no database can store."""
    for field in ("title", "diagnosis", "comments"):
        raw = json.dumps(allergy_body(**{field: "ab\ud800cd"})).encode()
        invalid(client.post(base(mine["uuid"]), content=raw,
                            headers={**admin, "Content-Type": "application/json"}), field)
    assert client.get(base(mine["uuid"]), headers=admin).json()["data"] == []


# --- list -----------------------------------------------------------------------------

def test_the_patients_list_holds_only_their_allergies_in_order(client, admin, mine, theirs):
    first = create(client, admin, mine["uuid"], title="Penicillin")
    second = create(client, admin, mine["uuid"], title="Peanuts")
    create(client, admin, theirs["uuid"], title="Not mine")
    r = client.post(f"{API}/patient/{mine['uuid']}/medical_problem",
                    json={"title": "Asthma", "begdate": "2001-01-01"}, headers=admin)
    assert r.status_code == 201
    body = client.get(base(mine["uuid"]), headers=admin).json()
    assert [a["uuid"] for a in body["data"]] == [first["uuid"], second["uuid"]]
    assert {a["type"] for a in body["data"]} == {"allergy"}
    assert body["links"]["next"] is None and body["links"]["previous"] is None


def test_the_patients_list_pages_with_links(client, admin, mine):
    made = [create(client, admin, mine["uuid"], title=f"Allergen {i}")["uuid"] for i in range(3)]
    path = f"/apis/default/api/patient/{mine['uuid']}/allergy"
    first = client.get(base(mine["uuid"]), params={"_limit": 2, "_sort": "-id"},
                       headers=admin).json()
    assert [a["uuid"] for a in first["data"]] == made[::-1][:2]
    assert query_of(first["links"]["first"], path) == {"_sort": "-id", "_limit": "2",
                                                        "_offset": "0"}
    assert first["links"]["previous"] is None
    second = client.get(base(mine["uuid"]), params=query_of(first["links"]["next"], path),
                        headers=admin).json()
    assert [a["uuid"] for a in second["data"]] == [made[0]]
    assert second["links"]["next"] is None
    assert query_of(second["links"]["previous"], path)["_offset"] == "0"


def test_filters_match_exactly(client, admin, mine):
    penicillin = create(client, admin, mine["uuid"], title="Penicillin", begdate="2011-01-01")
    create(client, admin, mine["uuid"], title="Penicillin G", begdate="2012-02-02",
           diagnosis="RXNORM:7984")
    found = client.get(base(mine["uuid"]), params={"title": "Penicillin"}, headers=admin)
    assert [a["uuid"] for a in found.json()["data"]] == [penicillin["uuid"]]
    found = client.get(base(mine["uuid"]), params={"begdate": "2012-02-02"}, headers=admin)
    assert [a["title"] for a in found.json()["data"]] == ["Penicillin G"]
    found = client.get(base(mine["uuid"]), params={"diagnosis": "RXNORM:7984"}, headers=admin)
    assert [a["title"] for a in found.json()["data"]] == ["Penicillin G"]
    found = client.get(f"{API}/allergy", params={"title": "Penicillin G", "begdate": "2012-02-02"},
                       headers=admin)
    assert [a["puuid"] for a in found.json()["data"]] == [mine["uuid"]]


@pytest.mark.parametrize("params, field", [
    ({"_sort": "comments"}, "_sort"),
    ({"_limit": 201}, "_limit"),
    ({"begdate": "2021-02-30"}, "begdate"),
    ({"lists.pid": "1"}, "lists.pid"),
])
def test_bad_list_parameters_are_400(client, admin, mine, params, field):
    invalid(client.get(base(mine["uuid"]), params=params, headers=admin), field)
    invalid(client.get(f"{API}/allergy", params=params, headers=admin), field)


def test_the_list_across_patients_holds_allergies_only_and_pages(client, admin, mine, theirs):
    a = create(client, admin, mine["uuid"], title="Cross-patient A")
    b = create(client, admin, theirs["uuid"], title="Cross-patient A")
    r = client.get(f"{API}/allergy", params={"title": "Cross-patient A", "_limit": 1},
                   headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["uuid"] for x in body["data"]] == [a["uuid"]]
    assert body["data"][0]["puuid"] == mine["uuid"]
    nxt = query_of(body["links"]["next"], "/apis/default/api/allergy")
    assert nxt == {"title": "Cross-patient A", "_limit": "1", "_offset": "1"}
    again = client.get(f"{API}/allergy", params=nxt, headers=admin).json()
    assert [x["uuid"] for x in again["data"]] == [b["uuid"]]
    assert again["data"][0]["puuid"] == theirs["uuid"] and again["links"]["next"] is None
    everything = client.get(f"{API}/allergy", params={"_limit": 200}, headers=admin).json()
    assert everything["data"] and {x["type"] for x in everything["data"]} == {"allergy"}


def test_one_allergy_across_patients(client, admin, mine):
    ids = create(client, admin, mine["uuid"])
    r = client.get(f"{API}/allergy/{ids['uuid']}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == read(client, admin, mine["uuid"], ids["uuid"])
    problem = client.post(f"{API}/patient/{mine['uuid']}/medical_problem",
                          json={"title": "Asthma", "begdate": "2001-01-01"}, headers=admin)
    r = client.get(f"{API}/allergy/{problem.json()['data']['uuid']}", headers=admin)
    assert r.status_code == 404, r.text
    assert client.get(f"{API}/allergy/{uuid.uuid4()}", headers=admin).status_code == 404
    invalid(client.get(f"{API}/allergy/nope", headers=admin), "auuid")


# --- update ---------------------------------------------------------------------------

def test_update_changes_only_the_fields_sent_and_answers_the_row(client, admin, mine):
    ids = create(client, admin, mine["uuid"])
    r = client.put(f"{base(mine['uuid'])}/{ids['uuid']}",
                   json={"enddate": "2024-02-01", "comments": None}, headers=admin)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["enddate"] == "2024-02-01" and data["comments"] is None
    assert data["title"] == "Penicillin" and data["begdate"] == "2010-10-13"
    assert data["uuid"] == ids["uuid"] and data["puuid"] == mine["uuid"]
    assert read(client, admin, mine["uuid"], ids["uuid"]) == data


def test_update_cannot_move_the_row_or_change_its_ids(client, admin, mine, theirs):
    ids = create(client, admin, mine["uuid"])
    r = client.put(f"{base(mine['uuid'])}/{ids['uuid']}",
                   json={"title": "Penicillin V", "pid": theirs["pid"], "puuid": theirs["uuid"],
                         "id": 1, "uuid": str(uuid.uuid4()), "type": "surgery"}, headers=admin)
    assert r.status_code == 200, r.text
    data = read(client, admin, mine["uuid"], ids["uuid"])
    assert (data["id"], data["pid"], data["type"]) == (ids["id"], mine["pid"], "allergy")
    assert data["title"] == "Penicillin V"
    assert client.get(base(theirs["uuid"]), headers=admin).json()["data"] == []


@pytest.mark.parametrize("body, field", [
    ({"title": None}, "title"),
    ({"title": ""}, "title"),
    ({"title": "x"}, "title"),
    ({"begdate": "2023-02-30"}, "begdate"),
    ({"diagnosis": "x"}, "diagnosis"),
    ({"title": "Changed", "enddate": "1999-04-31 23:59"}, "enddate"),
])
def test_a_refused_update_changes_nothing(client, admin, mine, body, field):
    ids = create(client, admin, mine["uuid"])
    invalid(client.put(f"{base(mine['uuid'])}/{ids['uuid']}", json=body, headers=admin), field)
    data = read(client, admin, mine["uuid"], ids["uuid"])
    assert data["title"] == "Penicillin" and data["begdate"] == "2010-10-13"


def test_an_empty_update_is_400(client, admin, mine):
    ids = create(client, admin, mine["uuid"])
    r = client.put(f"{base(mine['uuid'])}/{ids['uuid']}", json={}, headers=admin)
    assert r.status_code == 400, r.text


# --- delete ---------------------------------------------------------------------------

def test_delete_removes_the_row_and_answers_its_uuid(client, admin, mine):
    keep = create(client, admin, mine["uuid"], title="Keep me")
    gone = create(client, admin, mine["uuid"], title="Delete me")
    r = client.delete(f"{base(mine['uuid'])}/{gone['uuid']}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"validationErrors": [], "internalErrors": [],
                        "data": {"uuid": gone["uuid"]}}
    assert client.get(f"{base(mine['uuid'])}/{gone['uuid']}", headers=admin).status_code == 404
    assert client.get(f"{API}/allergy/{gone['uuid']}", headers=admin).status_code == 404
    listed = client.get(base(mine["uuid"]), headers=admin).json()["data"]
    assert [a["uuid"] for a in listed] == [keep["uuid"]]
    assert client.delete(f"{base(mine['uuid'])}/{gone['uuid']}", headers=admin).status_code == 404


# --- another patient's row, unknown ids -----------------------------------------------

def test_another_patients_allergy_is_not_reachable_through_this_patient(client, admin, mine,
                                                                        theirs):
    their = create(client, admin, theirs["uuid"], title="Private")
    path = f"{base(mine['uuid'])}/{their['uuid']}"
    for r in (client.get(path, headers=admin),
              client.put(path, json={"title": "Tampered"}, headers=admin),
              client.delete(path, headers=admin)):
        assert r.status_code == 404, r.text
        assert r.json()["data"] == [] and "auuid" in r.json()["internalErrors"][0]
    assert read(client, admin, theirs["uuid"], their["uuid"])["title"] == "Private"
    assert client.get(base(mine["uuid"]), headers=admin).json()["data"] == []


def test_unknown_patient_is_404(client, admin):
    missing = str(uuid.uuid4())
    responses = [
        client.get(base(missing), headers=admin),
        client.post(base(missing), json=allergy_body(), headers=admin),
        client.get(f"{base(missing)}/{uuid.uuid4()}", headers=admin),
        client.put(f"{base(missing)}/{uuid.uuid4()}", json={"title": "xy"}, headers=admin),
        client.delete(f"{base(missing)}/{uuid.uuid4()}", headers=admin),
    ]
    assert [r.status_code for r in responses] == [404] * 5
    assert all(missing in r.json()["internalErrors"][0] for r in responses)


def test_malformed_uuids_are_400(client, admin, mine):
    invalid(client.get(f"{base(mine['uuid'])}/nope", headers=admin), "auuid")
    invalid(client.delete(f"{base(mine['uuid'])}/nope", headers=admin), "auuid")
    invalid(client.get(base("nope"), headers=admin), "puuid")


# --- scopes, ACL, audit ---------------------------------------------------------------

def test_no_token_is_401(client, mine):
    assert client.get(f"{API}/allergy").status_code == 401
    assert client.post(base(mine["uuid"]), json=allergy_body()).status_code == 401


def test_each_operation_needs_its_scope(client, app_client, admin, mine):
    ids = create(client, admin, mine["uuid"])
    one = f"{base(mine['uuid'])}/{ids['uuid']}"
    other = bearer(password_token(client, app_client, scope="api:oemr user/patient.read"))
    reader = bearer(password_token(client, app_client, scope="api:oemr user/allergy.read"))
    for headers, allowed in ((other, False), (reader, True)):
        for url in (f"{API}/allergy", f"{API}/allergy/{ids['uuid']}", base(mine["uuid"]), one):
            assert (client.get(url, headers=headers).status_code == 200) is allowed, url
    assert client.post(base(mine["uuid"]), json=allergy_body(), headers=reader).status_code == 403
    assert client.put(one, json={"title": "xy"}, headers=reader).status_code == 403
    assert client.delete(one, headers=reader).status_code == 403
    v2 = register_client(client, scope="api:oemr user/allergy.cd")
    writer = bearer(password_token(client, v2, scope="api:oemr user/allergy.cd"))
    made = client.post(base(mine["uuid"]), json=allergy_body(), headers=writer)
    assert made.status_code == 201, made.text
    assert client.get(base(mine["uuid"]), headers=writer).status_code == 403
    assert client.put(one, json={"title": "xy"}, headers=writer).status_code == 403
    assert client.delete(one, headers=writer).status_code == 200
    assert read(client, admin, mine["uuid"], made.json()["data"]["uuid"])["title"] == "Penicillin"


def test_front_office_lacks_patients_med(client, admin, front_office, mine):
    ids = create(client, admin, mine["uuid"], title="Untouched")
    one = f"{base(mine['uuid'])}/{ids['uuid']}"
    responses = [
        client.get(f"{API}/allergy", headers=front_office),
        client.get(f"{API}/allergy/{ids['uuid']}", headers=front_office),
        client.get(base(mine["uuid"]), headers=front_office),
        client.post(base(mine["uuid"]), json=allergy_body(), headers=front_office),
        client.get(one, headers=front_office),
        client.put(one, json={"title": "Tampered"}, headers=front_office),
        client.delete(one, headers=front_office),
    ]
    assert [r.status_code for r in responses] == [403] * 7
    assert all("patients/med" in r.json()["internalErrors"][0] for r in responses)
    listed = client.get(base(mine["uuid"]), headers=admin).json()["data"]
    assert [a["title"] for a in listed] == ["Untouched"]


def test_the_audit_row_names_the_patient(client, app, admin, mine):
    ids = create(client, admin, mine["uuid"])
    one = f"{base(mine['uuid'])}/{ids['uuid']}"
    site = app.registry.get("default")
    for r in (client.get(base(mine["uuid"]), headers=admin),
              client.post(base(mine["uuid"]), json=allergy_body(), headers=admin),
              client.get(one, headers=admin),
              client.get(f"{API}/allergy/{ids['uuid']}", headers=admin),
              client.put(one, json={"title": "Audited"}, headers=admin),
              client.delete(one, headers=admin)):
        assert r.status_code in (200, 201), r.text
        with site.db.read() as s:
            row = s.execute(select(AuditLog).where(
                AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
            assert row.patient_uuid == mine["uuid"], (r.request.method, r.request.url)
