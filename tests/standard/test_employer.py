"""/patient/{puuid}/employer (OpenEMR's employer_data): the patient's employer rows,
newest first, with the patient's and the recording user's uuids and the coded occupation
and industry; only this patient's rows; an empty list for a patient without any; paging;
scopes, the patients/demo ACL and the audit row. No API writes employer data (OpenEMR's
has none either), so the rows are put in the database directly."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import select

from emr_api.db.models import AuditLog, EmployerData, ListOption, User
from tests.conftest import bearer, password_token
from tests.standard.answers import invalid, not_found

API = "/apis/default/api"


def make_patient(client, admin, lname) -> dict:
    r = client.post(f"{API}/patient", json={"fname": "Eve", "lname": lname, "sex": "Female",
                                            "DOB": "1975-06-07"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def base(puuid: str) -> str:
    return f"{API}/patient/{puuid}/employer"


@pytest.fixture()
def employed(app, client, admin) -> dict:
    """A patient with two employer rows (an old one and the current one, recorded by the
    admin, with a coded occupation), and another patient with one."""
    mine = make_patient(client, admin, "Employed")
    theirs = make_patient(client, admin, "Elsewhere")
    with app.registry.get("default").db.write() as s:
        admin_id, admin_uuid = s.execute(select(User.id, User.uuid)
                                         .where(User.username == "admin")).one()
        if s.get(ListOption, ("OccupationODH", "29-1141.00")) is None:
            s.add(ListOption(list_id="OccupationODH", option_id="29-1141.00",
                             title="Registered Nurses", codes="ODH:29-1141.00"))
        rows = [EmployerData(pid=mine["pid"], name="Old Works", city="Austin", state="TX",
                             date=datetime(2019, 5, 1, 9), start_date=date(2015, 1, 1),
                             end_date=date(2019, 4, 30)),
                EmployerData(pid=mine["pid"], name="Riverside Hospital",
                             street="1 River Rd", street_line_2="Suite 2", postal_code="62701",
                             city="Springfield", state="IL", country="USA",
                             date=datetime(2024, 2, 3, 10, 11, 12), start_date=date(2019, 5, 1),
                             created_by=admin_id, occupation="29-1141.00",
                             industry="not-coded"),
                EmployerData(pid=theirs["pid"], name="Their Employer")]
        s.add_all(rows)
        s.flush()
        ids = [row.uuid for row in rows]
    return {"mine": mine, "theirs": theirs, "old": ids[0], "current": ids[1],
            "their_row": ids[2], "admin_uuid": admin_uuid}


def test_the_patients_rows_newest_first_as_openemr_answers_them(client, admin, employed):
    mine = employed["mine"]
    r = client.get(base(mine["uuid"]), headers=admin)
    assert r.status_code == 200, r.text
    rows = r.json()["data"]
    assert [row["uuid"] for row in rows] == [employed["current"], employed["old"]]
    current = rows[0]
    assert {k: current[k] for k in ("name", "street", "street_line_2", "postal_code", "city",
                                    "state", "country", "date", "start_date", "end_date")} == {
        "name": "Riverside Hospital", "street": "1 River Rd", "street_line_2": "Suite 2",
        "postal_code": "62701", "city": "Springfield", "state": "IL", "country": "USA",
        "date": "2024-02-03 10:11:12", "start_date": "2019-05-01", "end_date": None}
    assert (current["pid"], current["puuid"]) == (mine["pid"], mine["uuid"])
    assert current["user_uuid"] == employed["admin_uuid"] and isinstance(current["created_by"], int)
    assert (current["occupation"], current["occupation_codes"],
            current["occupation_codes_display"]) == ("29-1141.00", "ODH:29-1141.00",
                                                     "Registered Nurses")
    assert (current["industry"], current["industry_codes"]) == ("not-coded", None)
    old = rows[1]
    assert old["end_date"] == "2019-04-30" and old["user_uuid"] is None
    assert old["created_by"] is None and old["occupation_codes"] is None


def test_sort_and_paging(client, admin, employed):
    puuid = employed["mine"]["uuid"]
    rows = client.get(base(puuid), params={"_sort": "start_date"}, headers=admin).json()["data"]
    assert [row["uuid"] for row in rows] == [employed["old"], employed["current"]]
    page = client.get(base(puuid), params={"_limit": 1}, headers=admin).json()
    assert [row["uuid"] for row in page["data"]] == [employed["current"]]
    assert page["links"]["next"] and page["links"]["previous"] is None
    invalid(client.get(base(puuid), params={"_sort": "occupation"}, headers=admin), "_sort")


def test_only_this_patients_rows_and_an_empty_list_without_any(client, admin, employed):
    theirs = client.get(base(employed["theirs"]["uuid"]), headers=admin).json()["data"]
    assert [row["uuid"] for row in theirs] == [employed["their_row"]]
    nobody = make_patient(client, admin, "Unemployed")
    r = client.get(base(nobody["uuid"]), headers=admin)
    assert r.status_code == 200 and r.json()["data"] == []


def test_unknown_and_malformed_patients(client, admin):
    not_found(client.get(base(str(uuid.uuid4())), headers=admin), "puuid")
    invalid(client.get(base("nope"), headers=admin), "puuid")


def test_scope_acl_and_audit(client, app, app_client, admin, front_office, employed):
    url = base(employed["mine"]["uuid"])
    searcher = bearer(password_token(client, app_client, scope="api:oemr user/employer.read"))
    other = bearer(password_token(client, app_client, scope="api:oemr user/patient.read"))
    assert client.get(url, headers=searcher).status_code == 200
    assert client.get(url, headers=other).status_code == 403
    assert client.get(url).status_code == 401
    r = client.get(url, headers=front_office)  # patients/demo: the front office has it
    assert r.status_code == 200 and len(r.json()["data"]) == 2
    with app.registry.get("default").db.read() as s:
        row = s.execute(select(AuditLog).where(
            AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
    assert row.patient_uuid == employed["mine"]["uuid"]
