"""/appointment and /patient/{pid}/appointment (OpenEMR's openemr_postcalendar_events):
book, list, read and delete through the patient's path only (another patient's appointment
is 404 there and is never deleted); the list and read across patients; OpenEMR's rules and
its documented example body; existing references; a body's ids moving nothing; paging,
filters; scopes, the patients/appt ACL and the audit row."""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from emr_api.auth.passwords import hash_password
from emr_api.codegen import operations
from emr_api.db.models import Appointment, AuditLog, User
from tests.conftest import BASE_URL, bearer, password_token, register_client
from tests.standard.answers import invalid

API = "/apis/default/api"


@pytest.fixture(scope="module")
def facility(client, admin) -> dict:
    r = client.post(f"{API}/facility", json={"name": "Appointment Test Clinic",
                                             "facility_npi": "1122334455"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture(scope="module")
def billing(client, admin) -> dict:
    r = client.post(f"{API}/facility", json={"name": "Appointment Billing Office",
                                             "facility_npi": "2233445566"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture(scope="module")
def provider(client, admin) -> dict:
    r = client.post(f"{API}/practitioner", json={"fname": "Sam", "lname": "Reyes",
                                                 "npi": "3344556677"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def make_patient(client, admin, lname="Booked") -> dict:
    r = client.post(f"{API}/patient", json={"fname": "Ida", "lname": lname, "sex": "Female",
                                            "DOB": "1971-04-05"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture()
def mine(client, admin) -> dict:
    return make_patient(client, admin)


@pytest.fixture()
def theirs(client, admin) -> dict:
    return make_patient(client, admin, lname="Other")


@pytest.fixture()
def body(facility, billing, provider):
    """A valid body (OpenEMR's documented example, with this test's facilities and
    provider), with overrides."""
    def make(**overrides) -> dict:
        made = {"pc_catid": "5", "pc_title": "Office Visit", "pc_duration": "900",
                "pc_hometext": "Test", "pc_apptstatus": "-", "pc_eventDate": "2018-10-19",
                "pc_startTime": "09:00", "pc_facility": str(facility["id"]),
                "pc_billing_location": str(billing["id"]), "pc_aid": str(provider["id"])}
        made.update(overrides)
        return {k: v for k, v in made.items() if v is not ...}
    return make


def base(pid) -> str:
    return f"{API}/patient/{pid}/appointment"


def create(client, headers, pid, data: dict) -> dict:
    r = client.post(base(pid), json=data, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def read(client, headers, pid, eid) -> dict:
    r = client.get(f"{base(pid)}/{eid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def listed(client, headers, url, **params) -> list[dict]:
    r = client.get(url, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


# --- create and read ------------------------------------------------------------------

def test_openemrs_documented_example_body_books_and_reads_back(client, admin, mine, facility,
                                                               billing, provider):
    # OpenEMR's documented example body, its facility, billing location and provider ids
    # replaced by this test's.
    example = {"pc_catid": "5", "pc_title": "Office Visit", "pc_duration": "900",
               "pc_hometext": "Test", "pc_apptstatus": "-", "pc_eventDate": "2018-10-19",
               "pc_startTime": "09:00", "pc_facility": str(facility["id"]),
               "pc_billing_location": str(billing["id"]), "pc_aid": str(provider["id"])}
    r = client.post(base(mine["pid"]), json=example, headers=admin)
    assert r.status_code == 201, r.text
    ids = r.json()["data"]
    assert set(ids) == {"id", "pc_eid", "pc_uuid"}
    assert isinstance(ids["id"], int) and ids["pc_eid"] == ids["id"]
    assert ids["pc_uuid"] == str(uuid.UUID(ids["pc_uuid"]))

    data = read(client, admin, mine["pid"], ids["id"])
    assert client.get(f"{API}/appointment/{ids['id']}", headers=admin).json()["data"] == data
    assert {k: data[k] for k in example} == {
        "pc_catid": 5, "pc_title": "Office Visit", "pc_duration": 900, "pc_hometext": "Test",
        "pc_apptstatus": "-", "pc_eventDate": "2018-10-19", "pc_startTime": "09:00:00",
        "pc_facility": facility["id"], "pc_billing_location": billing["id"],
        "pc_aid": provider["id"]}
    assert (data["id"], data["pc_eid"], data["pc_uuid"]) == (ids["id"], ids["id"], ids["pc_uuid"])
    assert data["pc_endTime"] == "09:15:00" and data["pc_room"] == ""
    assert len(data["pc_time"]) == 19 and data["pc_time"][:2] == "20"
    # The patient, provider and facilities, as OpenEMR joins them.
    assert (data["pid"], data["pc_pid"], data["puuid"]) == (mine["pid"], mine["pid"], mine["uuid"])
    assert (data["fname"], data["lname"], data["DOB"]) == ("Ida", "Booked", "1971-04-05")
    assert (data["pce_aid_uuid"], data["pce_aid_npi"]) == (provider["uuid"], "3344556677")
    assert (data["pce_aid_fname"], data["pce_aid_lname"]) == ("Sam", "Reyes")
    assert (data["facility_name"], data["facility_uuid"]) == \
        ("Appointment Test Clinic", facility["uuid"])
    assert (data["billing_location_name"], data["billing_location_uuid"]) == \
        ("Appointment Billing Office", billing["uuid"])


def test_openemrs_older_example_with_a_pc_eid_and_no_provider_is_booked(client, admin, mine,
                                                                        body):
    # OpenEMR's older documented body sends "pc_eid": "1" and no pc_aid.
    ids = create(client, admin, mine["pid"], {**body(pc_aid=...), "pc_eid": "1"})
    data = read(client, admin, mine["pid"], ids["id"])
    assert data["pc_aid"] is None and data["pce_aid_uuid"] is None
    assert data["pce_aid_fname"] is None and data["pc_title"] == "Office Visit"


def test_numbers_are_accepted_for_ids_and_duration(client, admin, mine, body, facility):
    ids = create(client, admin, mine["pid"], body(pc_catid=10, pc_duration=1800,
                                                  pc_facility=facility["id"], pc_aid=None,
                                                  pc_startTime="14:45"))
    data = read(client, admin, mine["pid"], ids["id"])
    assert (data["pc_catid"], data["pc_duration"], data["pc_aid"]) == (10, 1800, None)
    assert (data["pc_startTime"], data["pc_endTime"]) == ("14:45:00", "15:15:00")


@pytest.mark.parametrize("start, seconds, end", [
    ("23:30", 3600, "00:30:00"), ("00:00", 0, "00:00:00"), ("08:00", 86400, "08:00:00"),
])
def test_the_end_time_is_the_start_plus_the_duration(client, admin, mine, body, start,
                                                     seconds, end):
    ids = create(client, admin, mine["pid"], body(pc_startTime=start, pc_duration=seconds))
    assert read(client, admin, mine["pid"], ids["id"])["pc_endTime"] == end


def test_the_body_cannot_choose_the_patient_or_the_ids(client, admin, mine, theirs, body):
    their = create(client, admin, theirs["pid"], body(pc_title="Theirs"))
    planted = str(uuid.uuid4())
    ids = create(client, admin, mine["pid"], {
        **body(pc_title="Mine"), "pid": theirs["pid"], "pc_pid": theirs["pid"],
        "pc_eid": their["id"], "id": their["id"], "uuid": planted, "pc_uuid": planted,
        "puuid": theirs["uuid"]})
    assert ids["id"] != their["id"] and ids["pc_uuid"] != planted
    data = read(client, admin, mine["pid"], ids["id"])
    assert (data["pid"], data["pc_title"]) == (mine["pid"], "Mine")
    assert [a["pc_title"] for a in listed(client, admin, base(theirs["pid"]))] == ["Theirs"]


@pytest.mark.parametrize("field", ["pc_catid", "pc_title", "pc_duration", "pc_hometext",
                                   "pc_apptstatus", "pc_eventDate", "pc_startTime",
                                   "pc_facility", "pc_billing_location"])
def test_required_fields(client, admin, mine, body, field):
    invalid(client.post(base(mine["pid"]), json=body(**{field: ...}), headers=admin), field)
    invalid(client.post(base(mine["pid"]), json=body(**{field: None}), headers=admin), field)


@pytest.mark.parametrize("field, value", [
    ("pc_title", "x"),
    ("pc_title", "x" * 151),
    ("pc_title", "bad\x00title"),
    ("pc_hometext", ""),
    ("pc_hometext", "bad\x00text"),
    ("pc_duration", "-5"),
    ("pc_duration", "abc"),
    ("pc_duration", 86401),
    ("pc_duration", "90000"),
    ("pc_duration", 1.5),
    ("pc_eventDate", "2018-02-30"),
    ("pc_eventDate", "2018/10/19"),
    ("pc_eventDate", "2018-10-19 09:00:00"),
    ("pc_startTime", "9:00"),
    ("pc_startTime", "24:00"),
    ("pc_startTime", "09:00:00"),
    ("pc_startTime", "09:60"),
    ("pc_apptstatus", ""),
    ("pc_apptstatus", "x" * 16),
    ("pc_apptstatus", "a\tb"),
    ("pc_catid", "five"),
    ("pc_catid", 0),
    ("pc_catid", "99999999999"),
    ("pc_facility", "-1"),
    ("pc_aid", "abc"),
])
def test_invalid_values_are_400_naming_the_field(client, admin, mine, body, field, value):
    invalid(client.post(base(mine["pid"]), json=body(**{field: value}), headers=admin), field)
    assert listed(client, admin, base(mine["pid"])) == []


def test_lone_surrogates_are_400_naming_the_field(client, admin, mine, body):
    """JSON may escape a lone surrogate (`\\ud800`), which no database can store."""
    for field in ("pc_title", "pc_hometext", "pc_apptstatus"):
        raw = json.dumps(body(**{field: "ab\ud800cd"})).encode()
        invalid(client.post(base(mine["pid"]), content=raw,
                            headers={**admin, "Content-Type": "application/json"}), field)
    assert listed(client, admin, base(mine["pid"])) == []


@pytest.mark.parametrize("field", ["pc_catid", "pc_facility", "pc_billing_location", "pc_aid"])
def test_references_must_exist(client, admin, mine, body, field):
    invalid(client.post(base(mine["pid"]), json=body(**{field: 2147483000}), headers=admin), field)
    assert listed(client, admin, base(mine["pid"])) == []


def test_a_category_that_does_not_exist_is_400_naming_pc_catid(client, admin, mine, body):
    r = client.post(base(mine["pid"]), json=body(pc_catid=987654), headers=admin)
    invalid(r, "pc_catid")
    assert "987654" in r.json()["validationErrors"]["pc_catid"][0]


# --- lists ----------------------------------------------------------------------------

def query_of(link: str, path: str) -> dict:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == BASE_URL + path
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_the_patients_list_holds_only_theirs_in_pc_eid_order(client, admin, mine, theirs, body):
    first = create(client, admin, mine["pid"], body(pc_title="First"))
    create(client, admin, theirs["pid"], body(pc_title="Not mine"))
    second = create(client, admin, mine["pid"], body(pc_title="Second"))
    r = client.get(base(mine["pid"]), headers=admin)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert [a["pc_eid"] for a in answer["data"]] == [first["id"], second["id"]]
    assert {a["pid"] for a in answer["data"]} == {mine["pid"]}
    assert answer["links"]["next"] is None and answer["links"]["previous"] is None


def test_the_patients_list_pages_with_links(client, admin, mine, body):
    made = [create(client, admin, mine["pid"], body(pc_title=f"Visit {n}"))["id"]
            for n in range(3)]
    r = client.get(base(mine["pid"]), params={"_limit": 2, "_sort": "-pc_eid"}, headers=admin)
    answer = r.json()
    assert [a["pc_eid"] for a in answer["data"]] == made[::-1][:2]
    following = query_of(answer["links"]["next"], f"/apis/default/api/patient/{mine['pid']}/appointment")
    assert following == {"_limit": "2", "_offset": "2", "_sort": "-pc_eid"}
    r = client.get(answer["links"]["next"], headers=admin)
    assert [a["pc_eid"] for a in r.json()["data"]] == [made[0]]
    assert r.json()["links"]["next"] is None


def test_filters_and_sort(client, admin, mine, body, facility, billing, provider):
    late = create(client, admin, mine["pid"], body(pc_eventDate="2024-05-02", pc_startTime="15:00",
                                                   pc_apptstatus="@"))
    early = create(client, admin, mine["pid"], body(pc_eventDate="2024-05-02",
                                                    pc_startTime="08:30", pc_aid=None,
                                                    pc_facility=billing["id"]))
    other_day = create(client, admin, mine["pid"], body(pc_eventDate="2024-05-03"))
    url = base(mine["pid"])

    def eids(**params):
        return [a["pc_eid"] for a in listed(client, admin, url, **params)]

    assert eids(pc_eventDate="2024-05-02") == [late["id"], early["id"]]
    assert eids(pc_eventDate="2024-05-02", _sort="pc_startTime") == [early["id"], late["id"]]
    assert eids(_sort="-pc_eventDate,pc_startTime") == [other_day["id"], early["id"], late["id"]]
    assert eids(pc_aid=provider["id"]) == [late["id"], other_day["id"]]
    assert eids(pc_facility=billing["id"]) == [early["id"]]
    assert eids(pc_apptstatus="@") == [late["id"]]
    assert eids(pc_apptstatus="x") == []
    assert eids(pc_eventDate="2024-05-02", pc_facility=facility["id"]) == [late["id"]]
    # The same filters across patients.
    across = [a["pc_eid"] for a in listed(client, admin, f"{API}/appointment",
                                          pc_eventDate="2024-05-02", pc_facility=billing["id"])]
    assert early["id"] in across and late["id"] not in across


@pytest.mark.parametrize("params, field", [
    ({"pc_eventDate": "2024-02-30"}, "pc_eventDate"),
    ({"pc_eventDate": "tomorrow"}, "pc_eventDate"),
    ({"pc_aid": "abc"}, "pc_aid"),
    ({"pc_facility": "0"}, "pc_facility"),
    ({"pc_apptstatus": "x" * 16}, "pc_apptstatus"),
    ({"_sort": "pc_hometext"}, "_sort"),
    ({"_limit": 201}, "_limit"),
])
def test_bad_list_parameters_are_400(client, admin, mine, params, field):
    invalid(client.get(base(mine["pid"]), params=params, headers=admin), field)
    invalid(client.get(f"{API}/appointment", params=params, headers=admin), field)


def test_the_list_across_patients_holds_everyones_and_pages(client, admin, mine, theirs, body,
                                                            provider):
    # A provider of this test's own: the list across patients holds other tests' rows too.
    r = client.post(f"{API}/practitioner", json={"fname": "Pat", "lname": "Across",
                                                 "npi": "4455667788"}, headers=admin)
    own = r.json()["data"]["id"]
    a = create(client, admin, mine["pid"], body(pc_aid=own))
    b = create(client, admin, theirs["pid"], body(pc_aid=own))
    c = create(client, admin, mine["pid"], body(pc_aid=own))
    rows = listed(client, admin, f"{API}/appointment", pc_aid=own)
    assert [x["pc_eid"] for x in rows] == [a["id"], b["id"], c["id"]]
    assert [x["puuid"] for x in rows] == [mine["uuid"], theirs["uuid"], mine["uuid"]]
    r = client.get(f"{API}/appointment", params={"pc_aid": own, "_limit": 2}, headers=admin)
    assert [x["pc_eid"] for x in r.json()["data"]] == [a["id"], b["id"]]
    assert query_of(r.json()["links"]["next"], "/apis/default/api/appointment") == {
        "pc_aid": str(own), "_limit": "2", "_offset": "2"}
    r = client.get(r.json()["links"]["next"], headers=admin)
    assert [x["pc_eid"] for x in r.json()["data"]] == [c["id"]]


def test_one_appointment_across_patients(client, admin, theirs, body):
    ids = create(client, admin, theirs["pid"], body(pc_title="Anyone's"))
    r = client.get(f"{API}/appointment/{ids['id']}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["pc_title"] == "Anyone's" and r.json()["data"]["pid"] == theirs["pid"]


# --- delete, another patient's appointment, unknown ids -------------------------------

def test_delete_removes_the_appointment_and_its_id_is_never_reused(client, admin, mine, body):
    keep = create(client, admin, mine["pid"], body(pc_title="Keep"))
    gone = create(client, admin, mine["pid"], body(pc_title="Gone"))
    path = f"{base(mine['pid'])}/{gone['id']}"
    r = client.delete(path, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"validationErrors": [], "internalErrors": [],
                        "data": {"message": "record deleted"}}
    assert client.get(path, headers=admin).status_code == 404
    assert client.get(f"{API}/appointment/{gone['id']}", headers=admin).status_code == 404
    assert client.delete(path, headers=admin).status_code == 404
    assert [a["pc_eid"] for a in listed(client, admin, base(mine["pid"]))] == [keep["id"]]
    assert create(client, admin, mine["pid"], body())["id"] > gone["id"]


def test_another_patients_appointment_is_404_through_this_patient_and_is_never_deleted(
        client, admin, app, mine, theirs, body):
    their = create(client, admin, theirs["pid"], body(pc_title="Private"))
    path = f"{base(mine['pid'])}/{their['id']}"
    for r in (client.get(path, headers=admin), client.delete(path, headers=admin)):
        assert r.status_code == 404, r.text
        assert r.json()["data"] == [] and "eid" in r.json()["internalErrors"][0]
    assert read(client, admin, theirs["pid"], their["id"])["pc_title"] == "Private"
    with app.registry.get("default").db.read() as s:
        assert s.get(Appointment, their["id"]).pc_pid == theirs["pid"]
    assert their["id"] not in [a["pc_eid"] for a in listed(client, admin, base(mine["pid"]))]


def test_unknown_patient_is_404_naming_the_pid(client, admin, body):
    responses = [client.get(base(2147483000), headers=admin),
                 client.post(base(2147483000), json=body(), headers=admin),
                 client.get(f"{base(2147483000)}/1", headers=admin),
                 client.delete(f"{base(2147483000)}/1", headers=admin)]
    assert [r.status_code for r in responses] == [404] * 4
    assert all("pid 2147483000" in r.json()["internalErrors"][0] for r in responses)


def test_unknown_appointment_is_404(client, admin, mine):
    for url in (f"{API}/appointment/2147483000", f"{base(mine['pid'])}/2147483000"):
        r = client.get(url, headers=admin)
        assert r.status_code == 404, r.text
        assert "eid 2147483000" in r.json()["internalErrors"][0]


@pytest.mark.parametrize("pid, eid, field", [
    ("abc", "1", "pid"), ("0", "1", "pid"), ("2147483648", "1", "pid"),
    ("1", "abc", "eid"), ("1", "0", "eid"), ("1", "1.5", "eid"), ("1", "2147483648", "eid"),
])
def test_malformed_ids_are_400(client, admin, pid, eid, field):
    invalid(client.get(f"{API}/patient/{pid}/appointment/{eid}", headers=admin), field)
    invalid(client.delete(f"{API}/patient/{pid}/appointment/{eid}", headers=admin), field)
    if field == "eid":
        invalid(client.get(f"{API}/appointment/{eid}", headers=admin), field)


# --- scopes, ACL, audit ---------------------------------------------------------------

def test_no_token_is_401(client, mine, body):
    assert client.get(f"{API}/appointment").status_code == 401
    assert client.get(base(mine["pid"])).status_code == 401
    assert client.post(base(mine["pid"]), json=body()).status_code == 401


def test_each_operation_needs_its_scope(client, app_client, admin, mine, body):
    ids = create(client, admin, mine["pid"], body(pc_title="Scoped"))
    one = f"{base(mine['pid'])}/{ids['id']}"
    reads = (f"{API}/appointment", f"{API}/appointment/{ids['id']}", base(mine["pid"]), one)
    other = bearer(password_token(client, app_client, scope="api:oemr user/patient.read"))
    reader = bearer(password_token(client, app_client, scope="api:oemr user/appointment.read"))
    for headers, allowed in ((other, False), (reader, True)):
        for url in reads:
            assert (client.get(url, headers=headers).status_code == 200) is allowed, url
    assert client.post(base(mine["pid"]), json=body(), headers=reader).status_code == 403
    assert client.delete(one, headers=reader).status_code == 403

    v2 = register_client(client, scope="api:oemr user/appointment.s user/appointment.cd")
    searcher = bearer(password_token(client, v2, scope="api:oemr user/appointment.s"))
    assert client.get(base(mine["pid"]), headers=searcher).status_code == 200
    assert client.get(f"{API}/appointment", headers=searcher).status_code == 200
    assert client.get(one, headers=searcher).status_code == 403
    assert client.get(f"{API}/appointment/{ids['id']}", headers=searcher).status_code == 403
    writer = bearer(password_token(client, v2, scope="api:oemr user/appointment.cd"))
    assert client.get(one, headers=writer).status_code == 403
    made = client.post(base(mine["pid"]), json=body(), headers=writer)
    assert made.status_code == 201, made.text
    assert client.delete(one, headers=writer).status_code == 200
    assert client.get(one, headers=admin).status_code == 404


def test_every_operation_needs_patients_appt():
    ours = [op for op in operations.of_api("standard")
            if op.operation_id.startswith("emr_api.handlers.standard.appointment.")]
    assert len(ours) == 6
    assert {tuple(op.acl) for op in ours} == {("patients", "appt")}


def test_front_office_may_book_and_read_appointments(client, front_office, mine, body):
    ids = create(client, front_office, mine["pid"], body(pc_title="At the desk"))
    assert read(client, front_office, mine["pid"], ids["id"])["pc_title"] == "At the desk"
    assert client.get(f"{API}/appointment", headers=front_office).status_code == 200
    assert client.delete(f"{base(mine['pid'])}/{ids['id']}", headers=front_office).status_code == 200


def test_a_user_without_patients_appt_is_refused(client, app, app_client, admin, mine, body):
    ids = create(client, admin, mine["pid"], body(pc_title="Untouched"))
    name = f"noappt{uuid.uuid4().hex[:6]}"
    with app.registry.get("default").db.write() as s:
        s.add(User(username=name, password_hash=hash_password("pw"), acl_group="none"))
    headers = bearer(password_token(client, app_client, username=name, password="pw"))
    one = f"{base(mine['pid'])}/{ids['id']}"
    responses = [client.get(f"{API}/appointment", headers=headers),
                 client.get(f"{API}/appointment/{ids['id']}", headers=headers),
                 client.get(base(mine["pid"]), headers=headers),
                 client.post(base(mine["pid"]), json=body(), headers=headers),
                 client.get(one, headers=headers),
                 client.delete(one, headers=headers)]
    assert [r.status_code for r in responses] == [403] * 6
    assert all("patients/appt" in r.json()["internalErrors"][0] for r in responses)
    assert [a["pc_title"] for a in listed(client, admin, base(mine["pid"]))] == ["Untouched"]


def test_the_booking_user_is_recorded(client, app, admin, mine, body):
    ids = create(client, admin, mine["pid"], body())
    with app.registry.get("default").db.read() as s:
        admin_id = s.execute(select(User.id).where(User.username == "admin")).scalar_one()
        assert s.get(Appointment, ids["id"]).pc_informant == str(admin_id)


def test_the_audit_row_names_the_patient(client, app, admin, mine, body):
    made = client.post(base(mine["pid"]), json=body(), headers=admin)
    eid = made.json()["data"]["id"]
    one = f"{base(mine['pid'])}/{eid}"
    site = app.registry.get("default")
    for r in (made, client.get(base(mine["pid"]), headers=admin),
              client.get(one, headers=admin), client.get(f"{API}/appointment/{eid}", headers=admin),
              client.delete(one, headers=admin)):
        assert r.status_code in (200, 201), r.text
        with site.db.read() as s:
            row = s.execute(select(AuditLog).where(
                AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
            assert row.patient_uuid == mine["uuid"], (r.request.method, r.request.url)
