"""/patient/{puuid}/insurance (OpenEMR's insurance_data): add, list, read and update a
patient's policies through the patient's path only (another patient's policy is 404 there
and never changes); OpenEMR's rules (required fields, the slot, the payer, the lists, the
self subscriber, the dates) and the periods of one slot never overlapping; the swap of a
policy into a slot, which routes before `{uuid}`; scopes, the patients/demo ACL, the
audit row."""

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


@pytest.fixture(scope="module")
def payer(client, admin) -> dict:
    r = client.post(f"{API}/insurance_company", json={"name": "Policy Test Mutual",
                                                      "ins_type_code": 17}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture(scope="module")
def other_payer(client, admin) -> dict:
    r = client.post(f"{API}/insurance_company", json={"name": "Second Policy Mutual"},
                    headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def make_patient(client, admin, fname="Iris", lname="Insured", ss="123-45-6789") -> dict:
    r = client.post(f"{API}/patient", json={"fname": fname, "lname": lname, "sex": "Female",
                                            "DOB": "1980-04-05", "ss": ss}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture()
def mine(client, admin) -> dict:
    return make_patient(client, admin)


@pytest.fixture()
def theirs(client, admin) -> dict:
    return make_patient(client, admin, fname="Otto", lname="Other", ss="987-65-4321")


@pytest.fixture()
def body(payer):
    """A valid policy (a spouse's), with overrides; `...` leaves a field out."""
    def make(**overrides) -> dict:
        made = {"provider": payer["iid"], "plan_name": "Gold PPO", "policy_number": "AB12345",
                "group_number": "G-77", "subscriber_fname": "Sam", "subscriber_mname": "J",
                "subscriber_lname": "Insured", "subscriber_relationship": "spouse",
                "subscriber_ss": "222-33-4444", "subscriber_DOB": "1979-01-02",
                "subscriber_street": "1 Main St", "subscriber_postal_code": "62701",
                "subscriber_city": "Springfield", "subscriber_state": "IL",
                "subscriber_country": "USA", "subscriber_phone": "217-555-0101",
                "subscriber_employer": "Acme", "subscriber_sex": "Male", "copay": "25",
                "date": "2020-01-01", "accept_assignment": "TRUE", "policy_type": "12"}
        made.update(overrides)
        return {k: v for k, v in made.items() if v is not ...}
    return make


def base(puuid: str) -> str:
    return f"{API}/patient/{puuid}/insurance"


def swap_url(puuid: str) -> str:
    return f"{base(puuid)}/$swap-insurance"


def create(client, headers, puuid, data) -> dict:
    r = client.post(base(puuid), json=data, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def read(client, headers, puuid, iuuid) -> dict:
    r = client.get(f"{base(puuid)}/{iuuid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def listed(client, headers, puuid, **params) -> list[dict]:
    r = client.get(base(puuid), params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


# --- create and read ------------------------------------------------------------------

def test_create_answers_201_with_the_policy_and_reads_back(client, admin, mine, body, payer):
    data = create(client, admin, mine["uuid"], body())
    assert data["uuid"] == str(uuid.UUID(data["uuid"])) and isinstance(data["id"], int)
    assert data == read(client, admin, mine["uuid"], data["uuid"])
    expected = {k: v for k, v in body().items()}
    assert {k: data[k] for k in expected} == {**expected, "provider": payer["iid"]}
    assert data["type"] == "primary"  # not sent: primary, as OpenEMR
    assert (data["pid"], data["puuid"]) == (mine["pid"], mine["uuid"])
    assert data["insureruuid"] == payer["uuid"]
    assert data["date_end"] is None and data["accept_assignment"] == "TRUE"
    assert data["subscriber_employer_street"] is None


def test_openemrs_documented_example_is_accepted(client, admin, mine, payer):
    """OpenEMR's example body (with a real payer and a real 837P code)."""
    example = {"provider": str(payer["iid"]), "plan_name": "Some Plan", "policy_number": "12345",
               "group_number": "252412", "subscriber_lname": "Tester",
               "subscriber_mname": "Xi", "subscriber_fname": "Foo",
               "subscriber_relationship": "other", "subscriber_ss": "234231234",
               "subscriber_DOB": "2018-10-03", "subscriber_street": "183 Cool St",
               "subscriber_postal_code": "23418", "subscriber_city": "Cooltown",
               "subscriber_state": "AZ", "subscriber_country": "USA",
               "subscriber_phone": "234-598-2123", "subscriber_employer": "Some Employer",
               "subscriber_employer_street": "123 Heather Lane",
               "subscriber_employer_postal_code": "23415", "subscriber_employer_state": "AZ",
               "subscriber_employer_country": "USA", "subscriber_employer_city": "Cooltown",
               "copay": "35", "date": "2018-10-15", "subscriber_sex": "Female",
               "accept_assignment": "TRUE", "policy_type": "", "type": "primary"}
    data = create(client, admin, mine["uuid"], example)
    assert data["provider"] == payer["iid"] and data["subscriber_employer_city"] == "Cooltown"
    assert data["policy_type"] == ""


def test_the_body_cannot_choose_the_patient_or_the_ids(client, admin, mine, theirs, body):
    forced = str(uuid.uuid4())
    data = create(client, admin, mine["uuid"], body(pid=theirs["pid"], puuid=theirs["uuid"],
                                                    id=999999, uuid=forced))
    assert data["uuid"] != forced and data["id"] != 999999
    assert (data["pid"], data["puuid"]) == (mine["pid"], mine["uuid"])
    assert listed(client, admin, theirs["uuid"]) == []


REQUIRED = ["provider", "policy_number", "subscriber_lname", "subscriber_fname",
            "subscriber_relationship", "subscriber_DOB", "subscriber_street",
            "subscriber_postal_code", "subscriber_city", "subscriber_state", "subscriber_sex",
            "accept_assignment", "date"]


@pytest.mark.parametrize("field", REQUIRED)
def test_required_fields(client, admin, mine, body, field):
    invalid(client.post(base(mine["uuid"]), json=body(**{field: ...}), headers=admin), field)
    assert listed(client, admin, mine["uuid"]) == []


@pytest.mark.parametrize("field, value", [
    ("type", "quaternary"),
    ("provider", 99999999),
    ("provider", "abc"),
    ("provider", 0),
    ("policy_number", "x"),
    ("policy_number", "x" * 256),
    ("plan_name", "x"),
    ("group_number", "x" * 256),
    ("subscriber_fname", "x"),
    ("subscriber_lname", None),
    ("subscriber_relationship", "cousin"),
    ("subscriber_sex", "female"),
    ("subscriber_DOB", "2021-02-29"),
    ("subscriber_DOB", "02/03/1980"),
    ("subscriber_street", "x"),
    ("subscriber_state", ""),
    ("subscriber_employer_city", "x"),
    ("date", "2020-13-01"),
    ("date", "2020-01-01 10:00:00"),
    ("date_end", "2019-12-31"),
    ("date_end", "2020-02-30"),
    ("accept_assignment", "yes"),
    ("accept_assignment", True),
    ("policy_type", "99"),
    ("copay", "x" * 256),
    ("subscriber_city", "Spring\x00field"),
])
def test_invalid_values_are_400_naming_the_field(client, admin, mine, body, field, value):
    invalid(client.post(base(mine["uuid"]), json=body(**{field: value}), headers=admin), field)
    assert listed(client, admin, mine["uuid"]) == []


def test_lone_surrogates_are_400_naming_the_field(client, admin, mine, body):
    for field in ("plan_name", "subscriber_city", "copay"):
        raw = json.dumps(body(**{field: "ab\ud800cd"})).encode()
        invalid(client.post(base(mine["uuid"]), content=raw,
                            headers={**admin, "Content-Type": "application/json"}), field)
    assert listed(client, admin, mine["uuid"]) == []


# --- the subscriber -------------------------------------------------------------------

def test_a_self_subscriber_is_the_patient(client, admin, mine, body):
    me = {"subscriber_relationship": "self", "subscriber_fname": "iris",
          "subscriber_lname": "INSURED", "subscriber_ss": "123456789"}
    data = create(client, admin, mine["uuid"], body(**me))  # names folded, SSN by digits
    assert data["subscriber_relationship"] == "self"
    r = client.post(base(mine["uuid"]), json=body(**{**me, "subscriber_fname": "Sam",
                                                      "type": "secondary"}), headers=admin)
    invalid(r, "subscriber_relationship")
    r = client.post(base(mine["uuid"]), json=body(**{**me, "subscriber_ss": "999-99-9999",
                                                      "type": "secondary"}), headers=admin)
    invalid(r, "subscriber_ss")
    assert [p["uuid"] for p in listed(client, admin, mine["uuid"])] == [data["uuid"]]


def test_another_subscriber_does_not_carry_the_patients_ssn(client, admin, mine, body):
    invalid(client.post(base(mine["uuid"]), json=body(subscriber_ss="123-45-6789"),
                        headers=admin), "subscriber_ss")
    data = create(client, admin, mine["uuid"], body(subscriber_ss=None))
    assert data["subscriber_ss"] is None


def test_the_relationships_are_openemrs_sub_relation_list(client, admin):
    r = client.get(f"{API}/list/sub_relation", headers=admin)
    assert r.status_code == 200, r.text
    assert [o["option_id"] for o in r.json()["data"]] == ["self", "spouse", "child", "other"]


# --- periods of one slot ----------------------------------------------------------------

def test_a_slot_holds_one_policy_at_a_time(client, admin, mine, body):
    current = create(client, admin, mine["uuid"], body(date="2022-01-01"))
    for dates in ({"date": "2023-06-01"}, {"date": "2022-01-01"},
                  {"date": "2021-01-01", "date_end": "2022-01-01"},
                  {"date": "2010-01-01", "date_end": None}):
        r = client.post(base(mine["uuid"]), json=body(**dates), headers=admin)
        invalid(r, "date")
        assert current["uuid"] in r.json()["validationErrors"]["date"][0]
    old = create(client, admin, mine["uuid"], body(date="2019-01-01", date_end="2021-12-31"))
    second = create(client, admin, mine["uuid"], body(date="2023-06-01", type="secondary"))
    assert [(p["type"], p["uuid"]) for p in listed(client, admin, mine["uuid"])] == [
        ("primary", current["uuid"]), ("primary", old["uuid"]), ("secondary", second["uuid"])]


def test_a_policy_may_start_the_day_after_the_last_ended(client, admin, mine, body):
    create(client, admin, mine["uuid"], body(date="2019-01-01", date_end="2019-12-31"))
    create(client, admin, mine["uuid"], body(date="2020-01-01"))
    assert len(listed(client, admin, mine["uuid"])) == 2


# --- list -----------------------------------------------------------------------------

def test_the_list_filters_and_pages(client, admin, mine, theirs, body, other_payer):
    first = create(client, admin, mine["uuid"], body(date="2018-01-01", date_end="2018-12-31"))
    second = create(client, admin, mine["uuid"], body(date="2019-01-01"))
    third = create(client, admin, mine["uuid"], body(type="tertiary", date="2019-01-01",
                                                     provider=other_payer["iid"]))
    create(client, admin, theirs["uuid"], body(subscriber_lname="Other"))
    assert [p["uuid"] for p in listed(client, admin, mine["uuid"])] == \
        [second["uuid"], first["uuid"], third["uuid"]]
    assert [p["uuid"] for p in listed(client, admin, mine["uuid"], type="tertiary")] == \
        [third["uuid"]]
    assert [p["uuid"] for p in listed(client, admin, mine["uuid"],
                                      provider=other_payer["iid"])] == [third["uuid"]]
    assert [p["uuid"] for p in listed(client, admin, mine["uuid"], date="2019-01-01",
                                      _sort="-id")] == [third["uuid"], second["uuid"]]
    assert [p["uuid"] for p in listed(client, admin, mine["uuid"],
                                      date_end="2018-12-31")] == [first["uuid"]]
    assert len(listed(client, admin, mine["uuid"], policy_number="AB12345")) == 3
    page = client.get(base(mine["uuid"]), params={"_limit": 2, "_sort": "id"},
                      headers=admin).json()
    assert [p["uuid"] for p in page["data"]] == [first["uuid"], second["uuid"]]
    nxt = urlsplit(page["links"]["next"])
    assert f"{nxt.scheme}://{nxt.netloc}{nxt.path}" == BASE_URL + base(mine["uuid"])
    query = {k: v[0] for k, v in parse_qs(nxt.query).items()}
    assert query == {"_sort": "id", "_limit": "2", "_offset": "2"}
    rest = client.get(base(mine["uuid"]), params=query, headers=admin).json()
    assert [p["uuid"] for p in rest["data"]] == [third["uuid"]] and rest["links"]["next"] is None


@pytest.mark.parametrize("params, field", [
    ({"_sort": "subscriber_ss"}, "_sort"),
    ({"type": "fourth"}, "type"),
    ({"date": "2020-02-30"}, "date"),
    ({"provider": "x"}, "provider"),
    ({"_limit": 201}, "_limit"),
])
def test_bad_list_parameters_are_400(client, admin, mine, params, field):
    invalid(client.get(base(mine["uuid"]), params=params, headers=admin), field)


# --- update ---------------------------------------------------------------------------

def test_update_changes_only_the_fields_sent(client, admin, mine, body, other_payer):
    made = create(client, admin, mine["uuid"], body(type="secondary"))
    r = client.put(f"{base(mine['uuid'])}/{made['uuid']}",
                   json={"plan_name": "Silver", "copay": None, "provider": str(other_payer["iid"]),
                         "date_end": "2030-12-31", "accept_assignment": "FALSE"}, headers=admin)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data == read(client, admin, mine["uuid"], made["uuid"])
    assert (data["plan_name"], data["copay"], data["date_end"]) == ("Silver", None, "2030-12-31")
    assert (data["provider"], data["insureruuid"]) == (other_payer["iid"], other_payer["uuid"])
    assert data["accept_assignment"] == "FALSE"
    # Not sent, so not changed: OpenEMR's PUT would have moved it to primary.
    assert data["type"] == "secondary" and data["policy_number"] == "AB12345"


def test_update_cannot_move_the_policy_or_change_its_ids(client, admin, mine, theirs, body):
    made = create(client, admin, mine["uuid"], body())
    r = client.put(f"{base(mine['uuid'])}/{made['uuid']}",
                   json={"plan_name": "Moved?", "pid": theirs["pid"], "puuid": theirs["uuid"],
                         "id": 1, "uuid": str(uuid.uuid4())}, headers=admin)
    assert r.status_code == 200, r.text
    data = read(client, admin, mine["uuid"], made["uuid"])
    assert (data["id"], data["pid"], data["plan_name"]) == (made["id"], mine["pid"], "Moved?")
    assert listed(client, admin, theirs["uuid"]) == []


@pytest.mark.parametrize("change, field", [
    ({"policy_number": None}, "policy_number"),
    ({"date": None}, "date"),
    ({"type": None}, "type"),
    ({"provider": 99999999}, "provider"),
    ({"date_end": "2019-01-01"}, "date_end"),
    ({"date": "2031-01-01", "plan_name": "Changed"}, "date_end"),
    ({"subscriber_relationship": "self"}, "subscriber_relationship"),
    ({"subscriber_ss": "123456789", "plan_name": "Changed"}, "subscriber_ss"),
    ({"type": "secondary"}, "date"),  # the secondary slot is taken for that period
])
def test_a_refused_update_changes_nothing(client, admin, mine, body, change, field):
    made = create(client, admin, mine["uuid"], body(date_end="2030-12-31"))
    create(client, admin, mine["uuid"], body(type="secondary", date="2025-01-01"))
    invalid(client.put(f"{base(mine['uuid'])}/{made['uuid']}", json=change, headers=admin),
            field)
    assert read(client, admin, mine["uuid"], made["uuid"]) == made


def test_an_update_into_a_free_slot_moves_it(client, admin, mine, body):
    made = create(client, admin, mine["uuid"], body())
    r = client.put(f"{base(mine['uuid'])}/{made['uuid']}", json={"type": "tertiary"},
                   headers=admin)
    assert r.status_code == 200 and r.json()["data"]["type"] == "tertiary"


def test_an_empty_update_is_400(client, admin, mine, body):
    made = create(client, admin, mine["uuid"], body())
    r = client.put(f"{base(mine['uuid'])}/{made['uuid']}", json={}, headers=admin)
    assert r.status_code == 400, r.text


# --- swap -------------------------------------------------------------------------------

def swap(client, headers, puuid, type_, iuuid):
    return client.get(swap_url(puuid), params={"type": type_, "uuid": iuuid}, headers=headers)


def test_swap_trades_the_two_slots(client, admin, mine, body):
    primary = create(client, admin, mine["uuid"], body(date="2020-01-01"))
    secondary = create(client, admin, mine["uuid"], body(type="secondary", date="2021-01-01"))
    r = swap(client, admin, mine["uuid"], "primary", secondary["uuid"])
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["src"]["uuid"], data["src"]["type"]) == (secondary["uuid"], "primary")
    assert (data["target"]["uuid"], data["target"]["type"]) == (primary["uuid"], "secondary")
    assert data["src"] == read(client, admin, mine["uuid"], secondary["uuid"])
    assert [(p["type"], p["uuid"]) for p in listed(client, admin, mine["uuid"])] == [
        ("primary", secondary["uuid"]), ("secondary", primary["uuid"])]


def test_swap_into_an_empty_slot_moves_one_policy(client, admin, mine, body):
    primary = create(client, admin, mine["uuid"], body())
    r = swap(client, admin, mine["uuid"], "tertiary", primary["uuid"])
    assert r.status_code == 200, r.text
    assert r.json()["data"]["target"] is None and r.json()["data"]["src"]["type"] == "tertiary"
    again = swap(client, admin, mine["uuid"], "tertiary", primary["uuid"])  # already there
    assert again.status_code == 200 and again.json()["data"]["target"] is None
    assert [p["type"] for p in listed(client, admin, mine["uuid"])] == ["tertiary"]


def test_swap_takes_the_slots_latest_policy(client, admin, mine, body):
    old = create(client, admin, mine["uuid"], body(date="2015-01-01", date_end="2015-12-31"))
    current = create(client, admin, mine["uuid"], body(date="2020-01-01"))
    secondary = create(client, admin, mine["uuid"], body(type="secondary", date="2021-01-01"))
    r = swap(client, admin, mine["uuid"], "primary", secondary["uuid"])
    assert r.status_code == 200, r.text
    assert r.json()["data"]["target"]["uuid"] == current["uuid"]
    assert read(client, admin, mine["uuid"], old["uuid"])["type"] == "primary"


def test_a_swap_that_would_overlap_changes_nothing(client, admin, mine, body):
    """The secondary runs from 2015: in the primary slot it would overlap the old
    primary that the swap leaves there."""
    old = create(client, admin, mine["uuid"], body(date="2016-01-01", date_end="2016-12-31"))
    current = create(client, admin, mine["uuid"], body(date="2020-01-01"))
    secondary = create(client, admin, mine["uuid"], body(type="secondary", date="2015-01-01"))
    before = listed(client, admin, mine["uuid"])
    invalid(swap(client, admin, mine["uuid"], "primary", secondary["uuid"]), "type")
    assert listed(client, admin, mine["uuid"]) == before
    assert {old["uuid"], current["uuid"], secondary["uuid"]} == {p["uuid"] for p in before}


def test_swap_of_another_patients_policy_is_404_and_changes_nothing(client, admin, mine,
                                                                      theirs, body):
    create(client, admin, mine["uuid"], body())
    their = create(client, admin, theirs["uuid"], body(type="secondary", subscriber_lname="Xu"))
    not_found(swap(client, admin, mine["uuid"], "primary", their["uuid"]), "uuid")
    assert read(client, admin, theirs["uuid"], their["uuid"])["type"] == "secondary"
    assert [p["type"] for p in listed(client, admin, mine["uuid"])] == ["primary"]


def test_swap_routes_before_a_policys_uuid(client, admin, mine, body):
    """`$swap-insurance` is the operation, never read as a (malformed) policy uuid."""
    made = create(client, admin, mine["uuid"], body())
    invalid(client.get(swap_url(mine["uuid"]), params={"uuid": made["uuid"]}, headers=admin),
            "type")
    invalid(client.get(swap_url(mine["uuid"]), params={"type": "primary"}, headers=admin),
            "uuid")
    invalid(swap(client, admin, mine["uuid"], "fourth", made["uuid"]), "type")
    invalid(swap(client, admin, mine["uuid"], "primary", "nope"), "uuid")
    not_found(swap(client, admin, mine["uuid"], "primary", str(uuid.uuid4())), "uuid")
    # The swap is a resource of its own: a policy's PUT does not answer for it.
    r = client.put(swap_url(mine["uuid"]), json={"plan_name": "xx"}, headers=admin)
    assert r.status_code == 405 and r.headers["allow"] == "GET", r.text


# --- another patient, unknown ids -------------------------------------------------------

def test_another_patients_policy_is_not_reachable_through_this_patient(client, admin, mine,
                                                                       theirs, body):
    their = create(client, admin, theirs["uuid"], body(subscriber_lname="Theirs"))
    path = f"{base(mine['uuid'])}/{their['uuid']}"
    for r in (client.get(path, headers=admin),
              client.put(path, json={"plan_name": "Tampered"}, headers=admin)):
        not_found(r, "uuid")
    assert read(client, admin, theirs["uuid"], their["uuid"]) == their
    assert listed(client, admin, mine["uuid"]) == []


def test_unknown_patient_is_404(client, admin, body):
    missing = str(uuid.uuid4())
    responses = [
        client.get(base(missing), headers=admin),
        client.post(base(missing), json=body(), headers=admin),
        client.get(f"{base(missing)}/{uuid.uuid4()}", headers=admin),
        client.put(f"{base(missing)}/{uuid.uuid4()}", json={"plan_name": "xy"}, headers=admin),
        swap(client, admin, missing, "primary", str(uuid.uuid4())),
    ]
    for r in responses:
        not_found(r, "puuid")


def test_malformed_uuids_are_400(client, admin, mine):
    invalid(client.get(f"{base(mine['uuid'])}/nope", headers=admin), "uuid")
    invalid(client.get(base("nope"), headers=admin), "puuid")


# --- scopes, ACL, audit -----------------------------------------------------------------

def test_each_operation_needs_its_scope(client, app_client, admin, mine, body):
    made = create(client, admin, mine["uuid"], body())
    one = f"{base(mine['uuid'])}/{made['uuid']}"
    other = bearer(password_token(client, app_client, scope="api:oemr user/patient.read"))
    reader = bearer(password_token(client, app_client, scope="api:oemr user/insurance.read"))
    for headers, allowed in ((other, False), (reader, True)):
        for url in (base(mine["uuid"]), one):
            assert (client.get(url, headers=headers).status_code == 200) is allowed, url
    assert client.post(base(mine["uuid"]), json=body(type="secondary"),
                       headers=reader).status_code == 403
    assert client.put(one, json={"plan_name": "xy"}, headers=reader).status_code == 403
    assert swap(client, reader, mine["uuid"], "tertiary", made["uuid"]).status_code == 403

    v2 = register_client(client, scope="api:oemr user/insurance.s user/insurance.u")
    searcher = bearer(password_token(client, v2, scope="api:oemr user/insurance.s"))
    assert client.get(base(mine["uuid"]), headers=searcher).status_code == 200
    assert client.get(one, headers=searcher).status_code == 403
    updater = bearer(password_token(client, v2, scope="api:oemr user/insurance.u"))
    assert client.post(base(mine["uuid"]), json=body(type="secondary"),
                       headers=updater).status_code == 403
    assert swap(client, updater, mine["uuid"], "tertiary", made["uuid"]).status_code == 200
    assert client.put(one, json={"plan_name": "By updater"}, headers=updater).status_code == 200
    assert read(client, admin, mine["uuid"], made["uuid"])["type"] == "tertiary"


def test_every_operation_needs_patients_demo(client, front_office, mine, body):
    """OpenEMR's ACL for policies is demographics: the front office has it."""
    ours = [op for op in operations.of_api("standard")
            if op.operation_id.startswith("emr_api.handlers.standard.insurance.")]
    assert len(ours) == 5 and {tuple(op.acl) for op in ours} == {("patients", "demo")}
    made = create(client, front_office, mine["uuid"], body())
    assert read(client, front_office, mine["uuid"], made["uuid"])["uuid"] == made["uuid"]


def test_no_token_is_401(client, mine, body):
    assert client.get(base(mine["uuid"])).status_code == 401
    assert client.post(base(mine["uuid"]), json=body()).status_code == 401


def test_the_audit_row_names_the_patient(client, app, admin, mine, body):
    made = create(client, admin, mine["uuid"], body())
    one = f"{base(mine['uuid'])}/{made['uuid']}"
    site = app.registry.get("default")
    for r in (client.get(base(mine["uuid"]), headers=admin),
              client.post(base(mine["uuid"]), json=body(type="secondary"), headers=admin),
              client.get(one, headers=admin),
              client.put(one, json={"plan_name": "Audited"}, headers=admin),
              swap(client, admin, mine["uuid"], "tertiary", made["uuid"])):
        assert r.status_code in (200, 201), r.text
        with site.db.read() as s:
            row = s.execute(select(AuditLog).where(
                AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
            assert row.patient_uuid == mine["uuid"], (r.request.method, r.request.url)
