"""The Patient Portal API's appointments: /patient/appointment and
/patient/appointment/{auuid}, the token's own patient's only, in the Standard API's row
shape; another patient's appointment is 404; scopes, staff tokens, paging and the audit."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from emr_api.auth.passwords import hash_password
from emr_api.db.models import AuditLog, Patient
from tests.conftest import bearer, password_token, register_client

PORTAL = "/apis/default/portal"
API = "/apis/default/api"
SCOPE = "openid api:port patient/patient.rs patient/appointment.rs"


@pytest.fixture(scope="module")
def site(app):
    return app.registry.get("default")


@pytest.fixture(scope="module")
def clinic(client, admin) -> dict:
    r = client.post(f"{API}/facility", json={"name": "Portal Appointment Clinic",
                                             "facility_npi": "9988776655"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def book(client, admin, pid: int, clinic: dict, **overrides) -> dict:
    body = {"pc_catid": 5, "pc_title": "Office Visit", "pc_duration": 900,
            "pc_hometext": "Portal", "pc_apptstatus": "-", "pc_eventDate": "2025-01-15",
            "pc_startTime": "10:00", "pc_facility": clinic["id"],
            "pc_billing_location": clinic["id"], **overrides}
    r = client.post(f"{API}/patient/{pid}/appointment", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def patient_headers(client, app_client, username, password, email, scope=SCOPE) -> dict:
    return bearer(password_token(client, app_client, role="patient", username=username,
                                 password=password, email=email, scope=scope))


@pytest.fixture(scope="module")
def phil(client, app_client, admin, clinic) -> dict:
    """The demo portal patient, with an appointment of his own."""
    headers = patient_headers(client, app_client, "phil", "phil", "phil@example.com")
    me = client.get(f"{PORTAL}/patient", headers=headers).json()["data"]
    made = book(client, admin, me["pid"], clinic, pc_title="Phil's check-up")
    return {"headers": headers, "uuid": me["uuid"], "pid": me["pid"], "auuid": made["pc_uuid"],
            "eid": made["id"]}


@pytest.fixture(scope="module")
def vera(client, app_client, admin, site, clinic) -> dict:
    """Another portal patient with three appointments of her own."""
    name = f"vera{uuid.uuid4().hex[:6]}"
    with site.db.write() as s:
        patient = Patient(fname="Vera", lname="Portal", DOB=date(1955, 7, 8), sex="Female",
                          email=f"{name}@example.com", portal_username=name,
                          portal_password_hash=hash_password("vera-pass"))
        s.add(patient)
        s.flush()
        pid, puuid = patient.pid, patient.uuid
    made = [book(client, admin, pid, clinic, pc_title=f"Vera {n}", pc_eventDate=f"2025-02-0{n}")
            for n in (1, 2, 3)]
    headers = patient_headers(client, app_client, name, "vera-pass", f"{name}@example.com")
    return {"headers": headers, "uuid": puuid, "pid": pid, "made": made}


def test_a_patient_lists_their_own_appointments(client, phil, vera):
    r = client.get(f"{PORTAL}/patient/appointment", headers=vera["headers"])
    assert r.status_code == 200, r.text
    rows = r.json()["data"]
    assert [a["pc_title"] for a in rows] == ["Vera 1", "Vera 2", "Vera 3"]
    assert {a["puuid"] for a in rows} == {vera["uuid"]} and {a["pid"] for a in rows} == {vera["pid"]}
    phils = client.get(f"{PORTAL}/patient/appointment", headers=phil["headers"]).json()["data"]
    assert phil["auuid"] in [a["pc_uuid"] for a in phils]
    assert {a["puuid"] for a in phils} == {phil["uuid"]}
    assert not {a["pc_uuid"] for a in phils} & {a["pc_uuid"] for a in rows}


def test_the_portal_row_is_the_standard_row(client, admin, phil):
    mine = client.get(f"{PORTAL}/patient/appointment/{phil['auuid']}", headers=phil["headers"])
    assert mine.status_code == 200, mine.text
    standard = client.get(f"{API}/patient/{phil['pid']}/appointment/{phil['eid']}", headers=admin)
    assert mine.json()["data"] == standard.json()["data"]
    assert mine.json()["data"]["pc_title"] == "Phil's check-up"


def test_another_patients_appointment_is_404(client, phil, vera):
    theirs = vera["made"][0]["pc_uuid"]
    r = client.get(f"{PORTAL}/patient/appointment/{theirs}", headers=phil["headers"])
    assert r.status_code == 404, r.text
    assert r.json()["data"] == [] and theirs in r.json()["internalErrors"][0]
    r = client.get(f"{PORTAL}/patient/appointment/{theirs}", headers=vera["headers"])
    assert r.status_code == 200 and r.json()["data"]["pc_title"] == "Vera 1"


def test_unknown_and_malformed_ids(client, phil):
    r = client.get(f"{PORTAL}/patient/appointment/{uuid.uuid4()}", headers=phil["headers"])
    assert r.status_code == 404, r.text
    r = client.get(f"{PORTAL}/patient/appointment/nope", headers=phil["headers"])
    assert r.status_code == 400, r.text
    assert "auuid" in r.json()["validationErrors"]


def test_the_list_pages_with_links_that_stay_in_the_portal(client, vera):
    r = client.get(f"{PORTAL}/patient/appointment", params={"_limit": 2, "_sort": "-pc_eventDate"},
                   headers=vera["headers"])
    assert r.status_code == 200, r.text
    answer = r.json()
    assert [a["pc_title"] for a in answer["data"]] == ["Vera 3", "Vera 2"]
    assert "/apis/default/portal/patient/appointment?" in answer["links"]["first"]
    r = client.get(answer["links"]["next"], headers=vera["headers"])
    assert [a["pc_title"] for a in r.json()["data"]] == ["Vera 1"]
    assert r.json()["links"]["next"] is None
    r = client.get(f"{PORTAL}/patient/appointment", params={"_sort": "pc_hometext"},
                   headers=vera["headers"])
    assert r.status_code == 400 and "_sort" in r.json()["validationErrors"]


@pytest.mark.parametrize("params", [{"puuid": "x"}, {"pid": "1"}, {"pc_pid": "1"}])
def test_naming_another_patient_in_the_query_changes_nothing(client, vera, params):
    r = client.get(f"{PORTAL}/patient/appointment", params=params, headers=vera["headers"])
    if r.status_code == 200:
        assert {a["puuid"] for a in r.json()["data"]} == {vera["uuid"]}
    else:
        assert r.status_code == 400, r.text


def test_each_operation_needs_its_scope(client, app_client, phil):
    one = f"{PORTAL}/patient/appointment/{phil['auuid']}"
    no_appointments = patient_headers(client, app_client, "phil", "phil", "phil@example.com",
                                      scope="openid api:port patient/patient.rs")
    assert client.get(f"{PORTAL}/patient/appointment", headers=no_appointments).status_code == 403
    assert client.get(one, headers=no_appointments).status_code == 403
    v2 = register_client(client, scope="openid api:port patient/appointment.s")
    searcher = patient_headers(client, v2, "phil", "phil", "phil@example.com",
                               scope="openid api:port patient/appointment.s")
    assert client.get(f"{PORTAL}/patient/appointment", headers=searcher).status_code == 200
    assert client.get(one, headers=searcher).status_code == 403
    no_port = patient_headers(client, app_client, "phil", "phil", "phil@example.com",
                              scope="openid api:oemr patient/appointment.rs")
    assert client.get(f"{PORTAL}/patient/appointment", headers=no_port).status_code == 403


def test_staff_tokens_are_refused(client, admin, phil):
    for url in (f"{PORTAL}/patient/appointment", f"{PORTAL}/patient/appointment/{phil['auuid']}"):
        r = client.get(url, headers=admin)
        assert r.status_code == 403, r.text


def test_no_token_is_401(client, phil):
    assert client.get(f"{PORTAL}/patient/appointment").status_code == 401
    assert client.get(f"{PORTAL}/patient/appointment/{phil['auuid']}").status_code == 401


def test_every_portal_appointment_read_is_audited_with_the_patient(client, site, vera):
    for url in (f"{PORTAL}/patient/appointment",
                f"{PORTAL}/patient/appointment/{vera['made'][1]['pc_uuid']}"):
        r = client.get(url, headers=vera["headers"])
        assert r.status_code == 200, r.text
        with site.db.read() as s:
            row = s.execute(select(AuditLog).where(
                AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
        assert row.patient_uuid == vera["uuid"] and row.user_role == "patient"
