"""/prescription (OpenEMR's prescriptions): write, read, list and stop (DELETE keeps the row
and clears `active`); the row with its patient's, provider's, encounter's and drug's uuids
and the list options' titles and codes; every rule (required fields, existing and active
references, the patient's own encounter, list options, positive amounts, refills, real and
ordered dates, codes); a formulary drug filling in what the body leaves out; filters,
sort and paging; another patient's prescription through `patient_uuid`; scopes, the
patients/med ACL and the audit row."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from emr_api.db.models import AuditLog, Drug, Prescription
from tests.conftest import bearer, password_token, register_client
from tests.standard.answers import invalid, not_found

API = "/apis/default/api"
ROW_FIELDS = {
    "id", "uuid", "patient_id", "puuid", "provider_id", "pruuid", "encounter", "euuid", "drug",
    "drug_id", "drug_uuid", "rxnorm_drugcode", "form", "dosage", "quantity", "size",
    "prescription_drug_size", "unit", "unit_title", "unit_codes", "route", "route_title",
    "route_codes", "interval", "interval_title", "interval_codes", "interval_notes", "refills",
    "date_added", "date_modified", "start_date", "end_date", "active", "status", "medication",
    "note", "diagnosis", "drug_dosage_instructions", "request_intent", "intent", "intent_title",
    "usage_category", "category", "category_title",
}


def make_patient(client, admin, lname="Prescribed") -> dict:
    r = client.post(f"{API}/patient", json={"fname": "Rex", "lname": lname, "sex": "Male",
                                            "DOB": "1961-07-08"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def make_practitioner(client, admin, **extra) -> dict:
    r = client.post(f"{API}/practitioner", json={"fname": "Paula", "lname": "Prescriber",
                                                 "npi": "1234509876", **extra}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


@pytest.fixture(scope="module")
def provider(client, admin) -> dict:
    return make_practitioner(client, admin)


@pytest.fixture(scope="module")
def retired_provider(client, admin) -> dict:
    return make_practitioner(client, admin, active=0)


@pytest.fixture(scope="module")
def drugs(app) -> dict:
    """Formulary drugs of this module: {short name: (drug_id, uuid)}."""
    rows = {
        "metformin": Drug(name="Metformin 500 mg tablet", drug_code="861007", form="2",
                          size="500", unit="1", route="1"),
        "retired": Drug(name="Retired capsule", drug_code="308191", form="3", active=False),
    }
    with app.registry.get("default").db.write() as s:
        s.add_all(rows.values())
        s.flush()
        return {name: (row.drug_id, row.uuid) for name, row in rows.items()}


@pytest.fixture()
def mine(client, admin) -> dict:
    return make_patient(client, admin)


@pytest.fixture()
def theirs(client, admin) -> dict:
    return make_patient(client, admin, lname="Other")


@pytest.fixture(scope="module")
def physician(client, app_client) -> dict:
    return bearer(password_token(client, app_client, username="physician",
                                 password="physician"))


def body_for(patient, provider, **overrides) -> dict:
    body = {"patient_id": patient["pid"], "provider_id": provider["id"],
            "drug": "Lisinopril 10 mg tablet"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def create(client, headers, body) -> dict:
    r = client.post(f"{API}/prescription", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def read(client, headers, rx_uuid) -> dict:
    r = client.get(f"{API}/prescription/{rx_uuid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def of_patient(client, headers, patient, **params) -> list[dict]:
    r = client.get(f"{API}/prescription", params={"patient_id": patient["pid"], **params},
                   headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def count_of(app, patient) -> int:
    with app.registry.get("default").db.read() as s:
        return s.execute(select(func.count()).select_from(Prescription).where(
            Prescription.patient_id == patient["pid"])).scalar()


# --- create and read ------------------------------------------------------------------

def test_the_least_a_prescription_needs_and_its_defaults(client, admin, mine, provider):
    ids = create(client, admin, body_for(mine, provider))
    assert set(ids) == {"id", "uuid"} and isinstance(ids["id"], int)
    assert ids["uuid"] == str(uuid.UUID(ids["uuid"]))
    data = read(client, admin, ids["uuid"])
    assert set(data) == ROW_FIELDS
    assert (data["id"], data["uuid"]) == (ids["id"], ids["uuid"])
    assert (data["patient_id"], data["puuid"]) == (mine["pid"], mine["uuid"])
    assert (data["provider_id"], data["pruuid"]) == (provider["id"], provider["uuid"])
    assert data["drug"] == "Lisinopril 10 mg tablet"
    assert (data["active"], data["status"], data["medication"]) == (1, "active", 0)
    assert data["refills"] == 0
    assert (data["request_intent"], data["intent"], data["intent_title"]) == (
        "order", "order", "Order")
    assert (data["usage_category"], data["category"], data["category_title"]) == (
        "community", "community", "Home/Community")
    # Written now (UTC); it starts the day it was written.
    assert len(data["date_added"]) == 19 and data["start_date"] == data["date_added"][:10]
    for empty in ("encounter", "euuid", "drug_id", "drug_uuid", "rxnorm_drugcode", "form",
                  "dosage", "quantity", "size", "prescription_drug_size", "unit", "unit_title",
                  "route", "route_title", "route_codes", "interval", "interval_title",
                  "interval_notes", "end_date", "note", "diagnosis", "drug_dosage_instructions"):
        assert data[empty] is None, empty


def test_every_field_reads_back_with_its_titles_and_codes(client, admin, mine, provider):
    r = client.post(f"{API}/patient/{mine['uuid']}/encounter",
                    json={"pc_catid": 5, "class_code": "AMB", "reason": "Refill"}, headers=admin)
    assert r.status_code == 201, r.text
    visit = r.json()["data"]
    ids = create(client, admin, body_for(
        mine, provider, patient_id=str(mine["pid"]), provider_id=str(provider["id"]),
        encounter=visit["eid"], rxnorm_drugcode="314076", form=2, dosage="1 tablet",
        quantity=30, size="10", unit="1", route=1, interval="9", refills="3",
        date_added="2024-01-15 09:30", start_date="2024-01-16", end_date="2024-07-16",
        active=True, medication="1", note="Take in the morning", diagnosis="ICD10:I10",
        drug_dosage_instructions="Take 1 tablet by mouth once a day.",
        request_intent="original-order", usage_category="outpatient"))
    data = read(client, admin, ids["uuid"])
    assert (data["encounter"], data["euuid"]) == (visit["eid"], visit["euuid"])
    assert (data["rxnorm_drugcode"], data["form"], data["dosage"]) == ("314076", "2", "1 tablet")
    assert (data["quantity"], data["size"], data["prescription_drug_size"]) == ("30", "10", "10")
    assert (data["unit"], data["unit_title"], data["unit_codes"]) == ("1", "mg", "")
    assert (data["route"], data["route_title"], data["route_codes"]) == (
        "1", "Per Oris", "NCI-CONCEPT-ID:C38288")
    assert (data["interval"], data["interval_title"], data["interval_notes"]) == (
        "9", "q.d.", "once a day")
    assert data["refills"] == 3
    assert (data["date_added"], data["start_date"], data["end_date"]) == (
        "2024-01-15 09:30:00", "2024-01-16", "2024-07-16")
    assert (data["active"], data["medication"], data["status"]) == (1, 1, "completed")
    assert data["note"] == "Take in the morning" and data["diagnosis"] == "ICD10:I10"
    assert data["drug_dosage_instructions"] == "Take 1 tablet by mouth once a day."
    assert (data["intent"], data["intent_title"]) == ("original-order", "Original Order")
    assert (data["category"], data["category_title"]) == ("outpatient", "Outpatient")


def test_the_drug_lists_are_openemrs(client, admin):
    """The option lists a prescription's form, unit, route and interval name."""
    def options(name) -> dict:
        r = client.get(f"{API}/list/{name}", params={"_limit": 200}, headers=admin)
        assert r.status_code == 200, r.text
        return {o["option_id"]: o for o in r.json()["data"]}
    assert (options("drug_form")["2"]["title"], options("drug_units")["7"]["title"]) == (
        "tablet", "mcg")
    assert options("drug_route")["inhale"]["codes"] == "NCI-CONCEPT-ID:C38216"
    interval = options("drug_interval")
    assert len(interval) == 18 and (interval["1"]["title"], interval["1"]["notes"]) == (
        "b.i.d.", "twice a day")


@pytest.mark.parametrize("sent, kept", [(2.5, "2.5"), ("0.5", "0.5"), (1000, "1000"),
                                        ("1234567.125", "1234567.125")])
def test_quantities_are_kept_as_decimal_text(client, admin, mine, provider, sent, kept):
    ids = create(client, admin, body_for(mine, provider, quantity=sent))
    assert read(client, admin, ids["uuid"])["quantity"] == kept


def test_a_formulary_drug_fills_in_what_the_body_leaves_out(client, admin, mine, provider, drugs):
    drug_id, drug_uuid = drugs["metformin"]
    filled = read(client, admin, create(client, admin, body_for(
        mine, provider, drug="Metformin 500 mg tablet", drug_id=drug_id))["uuid"])
    assert (filled["drug_id"], filled["drug_uuid"]) == (drug_id, drug_uuid)
    assert (filled["rxnorm_drugcode"], filled["form"], filled["size"], filled["unit"],
            filled["route"]) == ("861007", "2", "500", "1", "1")
    assert filled["route_title"] == "Per Oris"
    sent = read(client, admin, create(client, admin, body_for(
        mine, provider, drug="Metformin 1000 mg", drug_id=str(drug_id), size="1000",
        route="other"))["uuid"])
    assert (sent["size"], sent["route"], sent["route_title"]) == ("1000", "other", "Other")
    assert sent["rxnorm_drugcode"] == "861007"


def test_the_body_cannot_choose_the_ids_or_what_is_answered(client, admin, mine, provider):
    forced = str(uuid.uuid4())
    ids = create(client, admin, body_for(mine, provider, id=999999, uuid=forced,
                                         status="stopped", puuid=str(uuid.uuid4()),
                                         date_modified="2001-01-01 00:00:00"))
    assert ids["uuid"] != forced and ids["id"] != 999999
    data = read(client, admin, ids["uuid"])
    assert data["status"] == "active" and data["puuid"] == mine["uuid"]
    assert data["date_modified"] != "2001-01-01 00:00:00"


# --- rules ----------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["patient_id", "provider_id", "drug"])
def test_required_fields(client, app, admin, mine, provider, field):
    invalid(client.post(f"{API}/prescription", json=body_for(mine, provider, **{field: ...}),
                        headers=admin), field)
    assert count_of(app, mine) == 0


@pytest.mark.parametrize("field, value", [
    ("patient_id", 0),
    ("patient_id", "01"),
    ("patient_id", 2147483648),
    ("patient_id", None),
    ("provider_id", "x"),
    ("drug", ""),
    ("drug", "   "),
    ("drug", None),
    ("drug", "x" * 151),
    ("drug", "bad\x00name"),
    ("drug", 12),
    ("drug_id", 0),
    ("encounter", "first"),
    ("rxnorm_drugcode", "RXCUI:314076"),
    ("rxnorm_drugcode", "1" * 26),
    ("form", 1.5),
    ("form", "x" * 101),
    ("unit", "99"),
    ("route", "by mouth"),
    ("interval", 0),
    ("interval", "19"),
    ("form", "13"),
    ("dosage", "x" * 101),
    ("quantity", 0),
    ("quantity", "0"),
    ("quantity", "0.000"),
    ("quantity", -1),
    ("quantity", "thirty"),
    ("quantity", 0.0001),
    ("quantity", "1.2345"),
    ("quantity", 10000000),
    ("size", "0"),
    ("size", "0/0"),
    ("size", "10 mg"),
    ("size", "x" * 26),
    ("refills", 21),
    ("refills", "21"),
    ("refills", -1),
    ("refills", None),
    ("refills", 2.5),
    ("date_added", "2024-02-30"),
    ("date_added", "2024-01-01 24:00"),
    ("date_added", "yesterday"),
    ("date_added", None),
    ("start_date", "2023-02-29"),
    ("start_date", "2023-01-01 10:00"),
    ("start_date", "01/02/2023"),
    ("end_date", "2023-04-31"),
    ("active", 2),
    ("active", "yes"),
    ("medication", None),
    ("note", "x" * 10001),
    ("diagnosis", "x" * 256),
    ("drug_dosage_instructions", 5),
    ("request_intent", "bogus"),
    ("request_intent", None),
    ("usage_category", "home"),
])
def test_invalid_values_are_400_naming_the_field(client, app, admin, mine, provider, field,
                                                  value):
    invalid(client.post(f"{API}/prescription", json=body_for(mine, provider, **{field: value}),
                        headers=admin), field)
    assert count_of(app, mine) == 0


def test_lone_surrogates_are_400_naming_the_field(client, app, admin, mine, provider):
    for field in ("drug", "dosage", "note"):
        raw = json.dumps(body_for(mine, provider, **{field: "ab\ud800cd"})).encode()
        invalid(client.post(f"{API}/prescription", content=raw,
                            headers={**admin, "Content-Type": "application/json"}), field)
    assert count_of(app, mine) == 0


def test_references_must_name_existing_records(client, app, admin, mine, theirs, provider):
    missing = 2_000_000_000
    r = client.post(f"{API}/patient/{theirs['uuid']}/encounter",
                    json={"pc_catid": 5, "class_code": "AMB"}, headers=admin)
    their_visit = r.json()["data"]["eid"]
    cases = [
        ({"patient_id": missing}, "patient_id", "does not exist"),
        ({"provider_id": missing}, "provider_id", "does not exist"),
        ({"drug_id": missing}, "drug_id", "does not exist"),
        ({"encounter": missing}, "encounter", "not an encounter of patient_id"),
        ({"encounter": their_visit}, "encounter", "not an encounter of patient_id"),
    ]
    for overrides, field, words in cases:
        r = client.post(f"{API}/prescription", json=body_for(mine, provider, **overrides),
                        headers=admin)
        invalid(r, field)
        assert words in r.json()["validationErrors"][field][0], r.text
    assert count_of(app, mine) == 0


def test_a_retired_prescriber_or_drug_may_be_recorded(client, admin, mine, retired_provider,
                                                      drugs):
    """An import records prescriptions written by practitioners who have since left, for
    drugs since taken off the formulary."""
    drug_id, drug_uuid = drugs["retired"]
    ids = create(client, admin, body_for(mine, retired_provider, drug="Retired capsule",
                                         drug_id=drug_id, date_added="2015-06-01 10:00"))
    data = read(client, admin, ids["uuid"])
    assert (data["pruuid"], data["drug_uuid"]) == (retired_provider["uuid"], drug_uuid)
    assert (data["rxnorm_drugcode"], data["form"]) == ("308191", "3")


def test_every_bad_reference_is_named_at_once(client, admin, mine, provider):
    r = client.post(f"{API}/prescription", json=body_for(
        mine, provider, provider_id=2_000_000_000, route="nowhere", interval="99"),
        headers=admin)
    assert r.status_code == 400, r.text
    assert set(r.json()["validationErrors"]) == {"provider_id", "route", "interval"}


def test_dates_follow_each_other(client, app, admin, mine, provider):
    invalid(client.post(f"{API}/prescription", json=body_for(
        mine, provider, start_date="2024-05-02", end_date="2024-05-01"), headers=admin),
        "end_date")
    invalid(client.post(f"{API}/prescription", json=body_for(
        mine, provider, date_added="2024-05-02 08:00", end_date="2024-05-01"), headers=admin),
        "end_date")
    assert count_of(app, mine) == 0
    one_day = read(client, admin, create(client, admin, body_for(
        mine, provider, start_date="2024-05-02", end_date="2024-05-02"))["uuid"])
    assert (one_day["start_date"], one_day["end_date"]) == ("2024-05-02", "2024-05-02")


def test_status_follows_the_end_date(client, admin, mine, provider):
    today = date.today()
    ending = read(client, admin, create(client, admin, body_for(
        mine, provider, end_date=(today + timedelta(days=30)).isoformat()))["uuid"])
    assert ending["status"] == "active"
    ended = read(client, admin, create(client, admin, body_for(
        mine, provider, start_date="2020-01-01", end_date="2020-02-01"))["uuid"])
    assert ended["status"] == "completed"
    stopped = read(client, admin, create(client, admin, body_for(mine, provider, active=0))["uuid"])
    assert (stopped["active"], stopped["status"]) == (0, "stopped")


# --- list -----------------------------------------------------------------------------

def test_the_list_filters_by_patient_in_the_order_written(client, admin, mine, theirs, provider):
    first = create(client, admin, body_for(mine, provider, drug="Lisinopril 10 mg tablet"))
    second = create(client, admin, body_for(mine, provider, drug="Atorvastatin 20 mg"))
    other = create(client, admin, body_for(theirs, provider, drug="Lisinopril 10 mg tablet"))
    data = of_patient(client, admin, mine)
    assert [p["uuid"] for p in data] == [first["uuid"], second["uuid"]]
    assert {p["puuid"] for p in data} == {mine["uuid"]}
    assert data[0] == read(client, admin, first["uuid"])
    assert [p["uuid"] for p in of_patient(client, admin, theirs)] == [other["uuid"]]
    everyone = client.get(f"{API}/prescription", params={"_limit": 200, "_sort": "-id"},
                          headers=admin).json()["data"]
    assert {other["uuid"], second["uuid"]} <= {p["uuid"] for p in everyone}


def test_filters(client, admin, mine, provider):
    lisinopril = create(client, admin, body_for(
        mine, provider, drug="Lisinopril 10 mg tablet", rxnorm_drugcode="314076",
        date_added="2023-03-04 10:00", start_date="2023-03-05"))
    metformin = create(client, admin, body_for(
        mine, provider, drug="Metformin 500 mg tablet", rxnorm_drugcode="861007",
        date_added="2023-03-06 23:59:59", active=0))
    uuids = lambda **params: [p["uuid"] for p in of_patient(client, admin, mine, **params)]
    assert uuids(drug="lisin") == [lisinopril["uuid"]]
    assert uuids(drug="LISINOPRIL 10") == [lisinopril["uuid"]]
    assert uuids(drug="%") == []
    assert uuids(rxnorm_drugcode="861007") == [metformin["uuid"]]
    assert uuids(rxnorm_drugcode="86100") == []
    assert uuids(active=1) == [lisinopril["uuid"]]
    assert uuids(active=0) == [metformin["uuid"]]
    assert uuids(date_added="2023-03-06") == [metformin["uuid"]]
    assert uuids(start_date="2023-03-05") == [lisinopril["uuid"]]
    assert uuids(start_date="2023-03-06") == [metformin["uuid"]]  # its date_added's day


def test_sort_and_paging(client, admin, mine, provider):
    made = [create(client, admin, body_for(mine, provider, drug=name))["uuid"]
            for name in ("Beta", "Alpha", "Gamma")]
    assert [p["uuid"] for p in of_patient(client, admin, mine, _sort="drug")] == [
        made[1], made[0], made[2]]
    page = client.get(f"{API}/prescription", params={"patient_id": mine["pid"], "_limit": 2,
                                                     "_sort": "-id"}, headers=admin).json()
    assert [p["uuid"] for p in page["data"]] == [made[2], made[1]]
    assert page["links"]["previous"] is None
    rest = client.get(page["links"]["next"], headers=admin).json()
    assert [p["uuid"] for p in rest["data"]] == [made[0]] and rest["links"]["next"] is None


@pytest.mark.parametrize("params, field", [
    ({"_sort": "note"}, "_sort"),
    ({"patient_id": 0}, "patient_id"),
    ({"patient_id": "one"}, "patient_id"),
    ({"active": 2}, "active"),
    ({"start_date": "2021-02-30"}, "start_date"),
    ({"date_added": "2021-02-03 10:00"}, "date_added"),
    ({"drug": "x" * 151}, "drug"),
    ({"patient_uuid": str(uuid.uuid4())}, "patient_uuid"),
])
def test_bad_list_parameters_are_400(client, admin, params, field):
    invalid(client.get(f"{API}/prescription", params=params, headers=admin), field)


def test_an_unknown_patient_has_no_prescriptions(client, admin):
    r = client.get(f"{API}/prescription", params={"patient_id": 2_000_000_000}, headers=admin)
    assert r.status_code == 200 and r.json()["data"] == []


# --- delete ---------------------------------------------------------------------------

def test_delete_stops_the_prescription_and_keeps_the_row(client, admin, mine, provider):
    keep = create(client, admin, body_for(mine, provider, drug="Keep me"))
    gone = create(client, admin, body_for(mine, provider, drug="Stop me"))
    before = read(client, admin, gone["uuid"])
    r = client.delete(f"{API}/prescription/{gone['uuid']}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"validationErrors": [], "internalErrors": [],
                        "data": {"uuid": gone["uuid"]}}
    after = read(client, admin, gone["uuid"])
    assert (after["active"], after["status"]) == (0, "stopped")
    assert {k: v for k, v in after.items() if k not in ("active", "status", "date_modified")} == {
        k: v for k, v in before.items() if k not in ("active", "status", "date_modified")}
    assert [p["uuid"] for p in of_patient(client, admin, mine, active=1)] == [keep["uuid"]]
    assert [p["uuid"] for p in of_patient(client, admin, mine, active=0)] == [gone["uuid"]]
    again = client.delete(f"{API}/prescription/{gone['uuid']}", headers=admin)
    assert again.status_code == 200 and again.json()["data"] == {"uuid": gone["uuid"]}
    assert read(client, admin, keep["uuid"])["active"] == 1


def test_delete_through_another_patients_uuid_is_404_and_changes_nothing(client, admin, mine,
                                                                         theirs, provider):
    their = create(client, admin, body_for(theirs, provider, drug="Theirs"))
    r = client.delete(f"{API}/prescription/{their['uuid']}",
                      params={"patient_uuid": mine["uuid"]}, headers=admin)
    not_found(r, "uuid")
    assert read(client, admin, their["uuid"])["active"] == 1
    r = client.delete(f"{API}/prescription/{their['uuid']}",
                      params={"patient_uuid": theirs["uuid"].upper()}, headers=admin)
    assert r.status_code == 200, r.text
    assert read(client, admin, their["uuid"])["active"] == 0


def test_unknown_and_malformed_uuids(client, admin, mine):
    missing = str(uuid.uuid4())
    not_found(client.get(f"{API}/prescription/{missing}", headers=admin), "uuid")
    not_found(client.delete(f"{API}/prescription/{missing}", headers=admin), "uuid")
    invalid(client.get(f"{API}/prescription/nope", headers=admin), "uuid")
    invalid(client.delete(f"{API}/prescription/nope", headers=admin), "uuid")
    invalid(client.delete(f"{API}/prescription/{missing}", params={"patient_uuid": "nope"},
                          headers=admin), "patient_uuid")


def test_there_is_no_update(client, admin, mine, provider):
    ids = create(client, admin, body_for(mine, provider))
    r = client.put(f"{API}/prescription/{ids['uuid']}", json={"drug": "Changed"}, headers=admin)
    assert r.status_code == 405, r.text


# --- scopes, ACL, audit ---------------------------------------------------------------

def test_no_token_is_401(client, mine, provider):
    assert client.get(f"{API}/prescription").status_code == 401
    assert client.post(f"{API}/prescription", json=body_for(mine, provider)).status_code == 401
    assert client.delete(f"{API}/prescription/{uuid.uuid4()}").status_code == 401


def test_each_operation_needs_its_scope(client, app, app_client, admin, mine, provider):
    ids = create(client, admin, body_for(mine, provider))
    one = f"{API}/prescription/{ids['uuid']}"
    other = bearer(password_token(client, app_client, scope="api:oemr user/drug.read"))
    reader = bearer(password_token(client, app_client, scope="api:oemr user/prescription.read"))
    for headers, allowed in ((other, False), (reader, True)):
        for url in (f"{API}/prescription", one):
            assert (client.get(url, headers=headers).status_code == 200) is allowed, url
    assert client.post(f"{API}/prescription", json=body_for(mine, provider),
                       headers=reader).status_code == 403
    assert client.delete(one, headers=reader).status_code == 403
    writing_only = "api:oemr user/prescription.c user/prescription.d"
    v2 = register_client(client, scope=writing_only)
    writer = bearer(password_token(client, v2, scope=writing_only))
    made = client.post(f"{API}/prescription", json=body_for(mine, provider), headers=writer)
    assert made.status_code == 201, made.text
    assert client.get(f"{API}/prescription", headers=writer).status_code == 403
    assert client.get(one, headers=writer).status_code == 403
    assert client.delete(one, headers=writer).status_code == 200
    assert count_of(app, mine) == 2 and read(client, admin, ids["uuid"])["active"] == 0


def test_front_office_lacks_patients_med_and_a_physician_has_it(client, app, admin, front_office,
                                                               physician, mine, provider):
    ids = create(client, admin, body_for(mine, provider, drug="Untouched"))
    one = f"{API}/prescription/{ids['uuid']}"
    responses = [
        client.get(f"{API}/prescription", headers=front_office),
        client.get(one, headers=front_office),
        client.post(f"{API}/prescription", json=body_for(mine, provider), headers=front_office),
        client.delete(one, headers=front_office),
    ]
    assert [r.status_code for r in responses] == [403] * 4
    assert all("patients/med" in r.json()["internalErrors"][0] for r in responses)
    assert count_of(app, mine) == 1 and read(client, admin, ids["uuid"])["active"] == 1
    assert client.get(one, headers=physician).status_code == 200
    assert client.post(f"{API}/prescription", json=body_for(mine, provider),
                       headers=physician).status_code == 201


def test_the_audit_row_names_the_patient(client, app, admin, mine, provider):
    site = app.registry.get("default")
    made = client.post(f"{API}/prescription", json=body_for(mine, provider), headers=admin)
    one = f"{API}/prescription/{made.json()['data']['uuid']}"
    for r in (made, client.get(one, headers=admin), client.delete(one, headers=admin)):
        assert r.status_code in (200, 201), r.text
        with site.db.read() as s:
            row = s.execute(select(AuditLog).where(
                AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
            assert row.patient_uuid == mine["uuid"], (r.request.method, r.request.url)
