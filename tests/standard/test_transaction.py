"""/patient/{pid}/transaction and /transaction/{tid} (OpenEMR's transactions with their
layout's fields): record a referral or another layout and list them through the patient's
path, change one by id; OpenEMR's referral rules, checked before anything is written
(OpenEMR wrote the row even when they failed) and on the row as a change leaves it;
practitioners named by NPI; `message` as `body`'s other name; blanks and nulls; paging and
sort; a body's ids moving nothing; scopes, the patients/trans ACL and the audit row."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from emr_api.codegen import operations
from emr_api.db.models import AuditLog
from tests.conftest import BASE_URL, bearer, password_token, register_client
from tests.standard.answers import invalid, not_found

API = "/apis/default/api"
BY_NPI, TO_NPI = "7319046285", "8420157396"


@pytest.fixture(scope="module")
def doctors(client, admin) -> dict:
    """The referring and the referred-to practitioners: {npi: id}."""
    made = {}
    for fname, npi in (("Rosa", BY_NPI), ("Omar", TO_NPI)):
        r = client.post(f"{API}/practitioner", json={"fname": fname, "lname": "Referral",
                                                     "npi": npi}, headers=admin)
        assert r.status_code == 201, r.text
        made[npi] = r.json()["data"]["id"]
    return made


def make_patient(client, admin, lname="Referred") -> dict:
    r = client.post(f"{API}/patient", json={"fname": "Tom", "lname": lname, "sex": "Male",
                                            "DOB": "1958-09-10"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture()
def mine(client, admin, doctors) -> dict:
    return make_patient(client, admin)


@pytest.fixture()
def theirs(client, admin) -> dict:
    return make_patient(client, admin, lname="Other")


def referral(**overrides) -> dict:
    """OpenEMR's documented example, with this test's practitioners."""
    body = {"message": "Message", "type": "LBTref", "groupname": "Default",
            "referByNpi": BY_NPI, "referToNpi": TO_NPI, "referDiagnosis": "Diag 1",
            "riskLevel": "Low", "includeVitals": "1", "referralDate": "2022-01-01",
            "authorization": "Auth_123", "visits": "1", "validFrom": "2022-01-02",
            "validThrough": "2022-01-03", "body": "Reason 1"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def base(pid) -> str:
    return f"{API}/patient/{pid}/transaction"


def one(tid) -> str:
    return f"{API}/transaction/{tid}"


def create(client, headers, patient, **overrides) -> int:
    r = client.post(base(patient), json=referral(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data == {"id": data["id"], "form_id": data["id"]}
    return data["id"]


def listed(client, headers, pid, **params) -> list[dict]:
    r = client.get(base(pid), params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def row_of(client, headers, pid, tid) -> dict:
    return next(t for t in listed(client, headers, pid, _limit=200) if t["id"] == tid)


# --- create and list ------------------------------------------------------------------

def test_openemrs_documented_example_is_recorded_and_listed(client, admin, mine, doctors):
    tid = create(client, admin, mine["pid"])
    data = row_of(client, admin, mine["pid"], tid)
    assert uuid.UUID(data.pop("uuid")) and data.pop("date")
    assert data == {
        "id": tid, "form_id": tid, "title": "LBTref", "groupname": "Default", "authorized": 1,
        "body": "Reason 1", "refer_date": "2022-01-01", "refer_diag": "Diag 1",
        "refer_from": doctors[BY_NPI], "refer_to": doctors[TO_NPI], "refer_risk_level": "low",
        "refer_vitals": 1, "refer_authorization": "Auth_123", "refer_visits": 1,
        "refer_validFrom": "2022-01-02", "refer_validThrough": "2022-01-03",
        "pid": mine["pid"], "puuid": mine["uuid"]}


def test_message_is_the_body_when_no_body_is_sent(client, admin, mine):
    tid = create(client, admin, mine["pid"], body=..., message="Sent as message")
    assert row_of(client, admin, mine["pid"], tid)["body"] == "Sent as message"
    tid = create(client, admin, mine["pid"], body="", message="Blank body")
    assert row_of(client, admin, mine["pid"], tid)["body"] == "Blank body"
    invalid(client.post(base(mine["pid"]), json=referral(body=..., message="x"),
                        headers=admin), "body")


def test_other_layouts_need_only_the_type_and_groupname(client, admin, mine):
    for layout in ("LBTptreq", "LBTphreq", "LBTlegal", "LBTbill"):
        tid = create(client, admin, mine["pid"], **{name: ... for name in referral()
                                                    if name not in ("type", "groupname")},
                     type=layout)
        data = row_of(client, admin, mine["pid"], tid)
        assert (data["title"], data["body"], data["refer_from"], data["refer_date"]) == (
            layout, None, None, None)


def test_values_in_every_accepted_form(client, admin, mine):
    tid = create(client, admin, mine["pid"], riskLevel="HIGH", includeVitals=False, visits=12,
                 referToNpi=None, authorization="", validFrom="", validThrough=None,
                 referDiagnosis=None)
    data = row_of(client, admin, mine["pid"], tid)
    assert (data["refer_risk_level"], data["refer_vitals"], data["refer_visits"],
            data["refer_to"], data["refer_authorization"], data["refer_validFrom"],
            data["refer_validThrough"], data["refer_diag"]) == (
        "high", 0, 12, None, None, None, None, None)
    tid = create(client, admin, mine["pid"], riskLevel="medium", includeVitals=1,
                 visits="0007")
    data = row_of(client, admin, mine["pid"], tid)
    assert (data["refer_risk_level"], data["refer_vitals"], data["refer_visits"]) == (
        "medium", 1, 7)


def test_the_body_cannot_choose_the_patient_or_the_ids(client, admin, mine, theirs):
    tid = create(client, admin, mine["pid"], pid=theirs["pid"], id=999999, form_id=999999,
                 title="LBTbill", authorized=0)
    data = row_of(client, admin, mine["pid"], tid)
    assert tid != 999999
    assert (data["pid"], data["title"], data["authorized"]) == (mine["pid"], "LBTref", 1)
    assert listed(client, admin, theirs["pid"]) == []


@pytest.mark.parametrize("field", ["type", "groupname"])
def test_type_and_groupname_are_required(client, admin, mine, field):
    invalid(client.post(base(mine["pid"]), json=referral(**{field: ...}), headers=admin), field)
    invalid(client.post(base(mine["pid"]), json=referral(**{field: ""}), headers=admin), field)
    assert listed(client, admin, mine["pid"]) == []


def test_a_referral_needs_its_date_reason_and_referrer_all_named_at_once(client, admin, mine):
    r = client.post(base(mine["pid"]), json=referral(referralDate="", body=..., message=None,
                                                     referByNpi=...), headers=admin)
    invalid(r, "referralDate")
    assert set(r.json()["validationErrors"]) == {"referralDate", "body", "referByNpi"}
    assert listed(client, admin, mine["pid"]) == []


@pytest.mark.parametrize("field, value", [
    ("type", "LBTxyz"),
    ("type", None),
    ("groupname", "x" * 256),
    ("groupname", None),
    ("body", "x"),
    ("body", "x" * 151),
    ("body", "bad\x00body"),
    ("body", 12),
    ("message", "x" * 65536),
    ("referralDate", "2022-02-30"),
    ("referralDate", "01/02/2022"),
    ("referralDate", "2022-01-01 10:00:00"),
    ("validFrom", "2022-13-01"),
    ("validThrough", "2021-12-31"),
    ("referByNpi", "123"),
    ("referByNpi", "9999999999"),
    ("referByNpi", 7319046285),
    ("referToNpi", "0000000000"),
    ("referDiagnosis", "x" * 256),
    ("riskLevel", "Severe"),
    ("includeVitals", "2"),
    ("includeVitals", "yes"),
    ("visits", "-1"),
    ("visits", 10000),
    ("visits", "abc"),
    ("visits", 1.5),
    ("authorization", "x" * 256),
])
def test_invalid_values_are_400_naming_the_field(client, admin, mine, field, value):
    invalid(client.post(base(mine["pid"]), json=referral(**{field: value}), headers=admin),
            field)
    assert listed(client, admin, mine["pid"]) == []


def test_lone_surrogates_are_400_naming_the_field(client, admin, mine):
    """JSON may escape a lone surrogate (`\\ud800`), which no database can store."""
    for field in ("body", "referDiagnosis", "authorization", "groupname"):
        raw = json.dumps(referral(**{field: "ab\ud800cd"})).encode()
        invalid(client.post(base(mine["pid"]), content=raw,
                            headers={**admin, "Content-Type": "application/json"}), field)
    assert listed(client, admin, mine["pid"]) == []


# --- list -----------------------------------------------------------------------------

def test_the_patients_list_holds_only_theirs_in_order_and_may_be_empty(client, admin, mine,
                                                                        theirs):
    assert listed(client, admin, mine["pid"]) == []
    first = create(client, admin, mine["pid"], referralDate="2023-05-01")
    create(client, admin, theirs["pid"])
    second = create(client, admin, mine["pid"], referralDate="2021-05-01")
    assert [t["id"] for t in listed(client, admin, mine["pid"])] == [first, second]
    assert [t["id"] for t in listed(client, admin, mine["pid"], _sort="refer_date")] == [
        second, first]
    assert [t["id"] for t in listed(client, admin, mine["pid"], _sort="-id")] == [second, first]


def test_the_patients_list_pages_with_links(client, admin, mine):
    made = [create(client, admin, mine["pid"]) for _ in range(3)]
    r = client.get(base(mine["pid"]), params={"_limit": 2}, headers=admin)
    body = r.json()
    assert [t["id"] for t in body["data"]] == made[:2]
    parts = urlsplit(body["links"]["next"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == BASE_URL + base(mine["pid"])
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {"_limit": "2",
                                                                   "_offset": "2"}
    rest = client.get(base(mine["pid"]), params={"_limit": 2, "_offset": 2}, headers=admin)
    assert [t["id"] for t in rest.json()["data"]] == made[2:]
    assert rest.json()["links"]["next"] is None


@pytest.mark.parametrize("params, field", [
    ({"_sort": "body"}, "_sort"), ({"_limit": "-1"}, "_limit"), ({"_offset": "x"}, "_offset"),
])
def test_bad_list_parameters_are_400(client, admin, mine, params, field):
    invalid(client.get(base(mine["pid"]), params=params, headers=admin), field)


# --- change ---------------------------------------------------------------------------

def test_a_change_sets_only_the_fields_sent_and_answers_the_row(client, admin, mine, doctors):
    tid = create(client, admin, mine["pid"])
    r = client.put(one(tid), json={"visits": "3", "riskLevel": "Medium", "referToNpi": BY_NPI,
                                   "authorization": None, "referDiagnosis": "",
                                   "message": "Worse since Monday"}, headers=admin)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data == row_of(client, admin, mine["pid"], tid)
    assert (data["refer_visits"], data["refer_risk_level"], data["refer_to"],
            data["refer_authorization"], data["refer_diag"], data["body"],
            data["refer_from"], data["refer_date"], data["pid"], data["puuid"]) == (
        3, "medium", doctors[BY_NPI], None, "Diag 1", "Worse since Monday",
        doctors[BY_NPI], "2022-01-01", mine["pid"], mine["uuid"])


def test_a_change_may_change_the_layout_when_the_result_holds(client, admin, mine):
    tid = create(client, admin, mine["pid"], type="LBTlegal", body=..., message=...,
                 referralDate=..., referByNpi=...)
    r = client.put(one(tid), json={"type": "LBTref"}, headers=admin)
    invalid(r, "referralDate")
    assert set(r.json()["validationErrors"]) == {"referralDate", "body", "referByNpi"}
    r = client.put(one(tid), json={"type": "LBTref", "referralDate": "2024-02-03",
                                   "body": "Now a referral", "referByNpi": BY_NPI},
                   headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["title"] == "LBTref"


@pytest.mark.parametrize("body, field", [
    ({"type": None}, "type"),
    ({"groupname": None}, "groupname"),
    ({"referralDate": None}, "referralDate"),
    ({"body": None}, "body"),
    ({"referByNpi": None}, "referByNpi"),
    ({"validThrough": "2022-01-01"}, "validThrough"),
    ({"validFrom": "2022-02-01"}, "validThrough"),
    ({"visits": "many", "riskLevel": "low"}, "visits"),
    ({"referToNpi": "1111111111", "riskLevel": "high"}, "referToNpi"),
    ({"body": None, "message": None}, "body"),
])
def test_a_refused_change_changes_nothing(client, admin, mine, body, field):
    tid = create(client, admin, mine["pid"])
    before = row_of(client, admin, mine["pid"], tid)
    invalid(client.put(one(tid), json=body, headers=admin), field)
    assert row_of(client, admin, mine["pid"], tid) == before


def test_a_change_with_nothing_known_changes_nothing(client, admin, mine):
    tid = create(client, admin, mine["pid"])
    before = row_of(client, admin, mine["pid"], tid)
    r = client.put(one(tid), json={"pid": 1, "id": 5, "referralDate": ""}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == before
    assert client.put(one(tid), json={}, headers=admin).status_code == 400


def test_an_unknown_transaction_is_404_and_a_malformed_id_400(client, admin):
    not_found(client.put(one(2147483647), json={"visits": 1}, headers=admin), "tid")
    for bad in ("x", "0", "99999999999"):
        invalid(client.put(one(bad), json={"visits": 1}, headers=admin), "tid")


def test_unknown_patient_is_404_naming_the_pid(client, admin):
    not_found(client.get(base(2147483647), headers=admin), "pid")
    not_found(client.post(base(2147483647), json=referral(), headers=admin), "pid")
    invalid(client.get(base("abc"), headers=admin), "pid")


# --- scopes, ACL, audit ---------------------------------------------------------------

def test_no_token_is_401(client, mine):
    assert client.get(base(mine["pid"])).status_code == 401
    assert client.post(base(mine["pid"]), json=referral()).status_code == 401
    assert client.put(one(1), json={"visits": 1}).status_code == 401


def test_each_operation_needs_its_scope(client, app_client, admin, mine):
    tid = create(client, admin, mine["pid"])
    other = bearer(password_token(client, app_client, scope="api:oemr user/patient.read"))
    reader = bearer(password_token(client, app_client, scope="api:oemr user/transaction.read"))
    assert client.get(base(mine["pid"]), headers=other).status_code == 403
    assert client.get(base(mine["pid"]), headers=reader).status_code == 200
    assert client.post(base(mine["pid"]), json=referral(), headers=reader).status_code == 403
    assert client.put(one(tid), json={"visits": 2}, headers=reader).status_code == 403

    v2 = register_client(client, scope="api:oemr user/transaction.c user/transaction.u "
                                        "user/transaction.s")
    creator = bearer(password_token(client, v2, scope="api:oemr user/transaction.c"))
    assert client.post(base(mine["pid"]), json=referral(), headers=creator).status_code == 201
    assert client.get(base(mine["pid"]), headers=creator).status_code == 403
    assert client.put(one(tid), json={"visits": 2}, headers=creator).status_code == 403
    changer = bearer(password_token(client, v2, scope="api:oemr user/transaction.u"))
    assert client.put(one(tid), json={"visits": 2}, headers=changer).status_code == 200
    assert client.post(base(mine["pid"]), json=referral(), headers=changer).status_code == 403
    assert len(listed(client, admin, mine["pid"])) == 2


def test_every_operation_needs_patients_trans():
    ours = [op for op in operations.of_api("standard")
            if op.operation_id.startswith("emr_api.handlers.standard.transaction.")]
    assert len(ours) == 3
    assert {tuple(op.acl) for op in ours} == {("patients", "trans")}


def test_front_office_lacks_patients_trans(client, admin, front_office, mine):
    tid = create(client, admin, mine["pid"])
    before = row_of(client, admin, mine["pid"], tid)
    responses = [client.get(base(mine["pid"]), headers=front_office),
                 client.post(base(mine["pid"]), json=referral(), headers=front_office),
                 client.put(one(tid), json={"visits": 9}, headers=front_office)]
    assert [r.status_code for r in responses] == [403] * 3
    assert all("patients/trans" in r.json()["internalErrors"][0] for r in responses)
    assert listed(client, admin, mine["pid"]) == [before]


def test_a_physician_may_record_list_and_change(client, app_client, mine):
    physician = bearer(password_token(client, app_client, username="physician",
                                      password="physician"))
    tid = create(client, physician, mine["pid"])
    assert client.put(one(tid), json={"visits": 4}, headers=physician).status_code == 200
    assert row_of(client, physician, mine["pid"], tid)["refer_visits"] == 4


def test_the_audit_row_names_the_patient(client, app, admin, mine):
    made = client.post(base(mine["pid"]), json=referral(), headers=admin)
    site = app.registry.get("default")
    for r in (made, client.get(base(mine["pid"]), headers=admin),
              client.put(one(made.json()["data"]["id"]), json={"visits": 2}, headers=admin)):
        assert r.status_code in (200, 201), r.text
        with site.db.read() as s:
            row = s.execute(select(AuditLog).where(
                AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
            assert row.patient_uuid == mine["uuid"], (r.request.method, r.request.url)
