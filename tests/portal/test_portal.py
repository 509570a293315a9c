"""The Patient Portal API: a patient's own record with the patient's own token. Two portal
patients never see each other; staff tokens, tokens without `api:port` and requests that
name another patient get nothing of anyone else's."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import select

from emr_api.auth.passwords import hash_password
from emr_api.db.models import AuditLog, Encounter, Patient
from tests.conftest import bearer, password_token

PORTAL = "/apis/default/portal"
SCOPE = ("openid api:port patient/patient.read patient/encounter.read "
         "patient/patient.rs patient/encounter.rs")


@pytest.fixture(scope="module")
def site(app):
    return app.registry.get("default")


@pytest.fixture(scope="module")
def second_portal_patient(site) -> dict:
    """Another patient with portal credentials and two encounters of her own."""
    name = f"ruth{uuid.uuid4().hex[:6]}"
    with site.db.write() as s:
        ruth = Patient(fname="Ruth", lname="Portal", DOB=date(1960, 5, 1),
                       sex="Female", email=f"{name}@example.com", portal_username=name,
                       portal_password_hash=hash_password("ruth-pass"))
        s.add(ruth)
        s.flush()
        s.add_all(Encounter(pid=ruth.pid, reason=reason, pc_catid=5, class_code="AMB",
                            date=datetime(2024, 3, day, 9, 30), encounter=10_000 * day + ruth.pid)
                  for day, reason in ((5, "Ruth's visit"), (1, "Ruth's first visit")))
        s.flush()
        return {"uuid": ruth.uuid, "pid": ruth.pid, "username": name,
                "email": f"{name}@example.com"}


def patient_headers(client, app_client, username="phil", password="phil",
                    email="phil@example.com", scope=SCOPE) -> dict:
    return bearer(password_token(client, app_client, role="patient", username=username,
                                 password=password, email=email, scope=scope))


@pytest.fixture(scope="module")
def phil(client, app_client) -> dict:
    return patient_headers(client, app_client)


@pytest.fixture(scope="module")
def ruth(client, app_client, second_portal_patient) -> dict:
    p = second_portal_patient
    return patient_headers(client, app_client, username=p["username"], password="ruth-pass",
                           email=p["email"])


def test_a_patient_reads_their_own_record(client, phil):
    r = client.get(f"{PORTAL}/patient", headers=phil)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["validationErrors"] == [] and body["internalErrors"] == []
    assert body["data"]["fname"] == "Phil" and body["data"]["email"] == "phil@example.com"


def test_two_portal_patients_see_only_themselves(client, phil, ruth, second_portal_patient):
    mine = client.get(f"{PORTAL}/patient", headers=ruth).json()["data"]
    assert mine["uuid"] == second_portal_patient["uuid"]
    phils = client.get(f"{PORTAL}/patient", headers=phil).json()["data"]
    assert phils["uuid"] != mine["uuid"]
    ruths_visits = client.get(f"{PORTAL}/patient/encounter", params={"_sort": "-date"},
                              headers=ruth).json()["data"]
    assert [e["reason"] for e in ruths_visits] == ["Ruth's visit", "Ruth's first visit"]
    phils_visits = client.get(f"{PORTAL}/patient/encounter", headers=phil).json()["data"]
    assert all(e["puuid"] == phils["uuid"] for e in phils_visits)
    assert not {e["euuid"] for e in phils_visits} & {e["euuid"] for e in ruths_visits}


def test_encounters_page_with_links_that_stay_in_the_portal(client, ruth):
    r = client.get(f"{PORTAL}/patient/encounter", params={"_limit": 1, "_sort": "date"},
                   headers=ruth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [e["reason"] for e in body["data"]] == ["Ruth's first visit"]
    assert "/apis/default/portal/patient/encounter?" in body["links"]["first"]
    r = client.get(body["links"]["next"], headers=ruth)
    assert [e["reason"] for e in r.json()["data"]] == ["Ruth's visit"]
    assert r.json()["links"]["next"] is None


def test_one_encounter_and_never_another_patients(client, phil, ruth):
    ruths = client.get(f"{PORTAL}/patient/encounter", params={"_sort": "-date"},
                       headers=ruth).json()["data"][0]
    assert ruths["reason"] == "Ruth's visit"
    r = client.get(f"{PORTAL}/patient/encounter/{ruths['euuid']}", headers=ruth)
    assert r.status_code == 200 and r.json()["data"]["reason"] == "Ruth's visit"
    r = client.get(f"{PORTAL}/patient/encounter/{ruths['euuid']}", headers=phil)
    assert r.status_code == 404, r.text
    assert r.json()["data"] == [] and r.json()["internalErrors"]


@pytest.mark.parametrize("params", [{"puuid": "x"}, {"pid": "1"}])
def test_naming_another_patient_in_the_query_changes_nothing(client, ruth, params,
                                                             second_portal_patient):
    r = client.get(f"{PORTAL}/patient", params=params, headers=ruth)
    if r.status_code == 200:
        assert r.json()["data"]["uuid"] == second_portal_patient["uuid"]
    else:
        assert r.status_code == 400, r.text


def test_staff_tokens_are_refused(client, admin_token, app_client):
    staff = password_token(client, app_client, scope="openid api:port api:oemr user/patient.read")
    for headers in (bearer(admin_token), bearer(staff)):
        r = client.get(f"{PORTAL}/patient", headers=headers)
        assert r.status_code == 403, r.text
        assert "patients" in r.json()["internalErrors"][0]


def test_a_patient_token_without_api_port_is_refused(client, app_client):
    headers = patient_headers(client, app_client, scope="openid api:oemr patient/patient.read")
    assert client.get(f"{PORTAL}/patient", headers=headers).status_code == 403


def test_a_patient_token_without_the_resource_scope_is_refused(client, app_client):
    headers = patient_headers(client, app_client, scope="openid api:port patient/patient.read")
    assert client.get(f"{PORTAL}/patient", headers=headers).status_code == 200
    assert client.get(f"{PORTAL}/patient/encounter", headers=headers).status_code == 403


def test_no_token_is_401_in_the_envelope(client):
    r = client.get(f"{PORTAL}/patient")
    assert r.status_code == 401
    assert r.json()["error"] == "access_denied" and r.headers["www-authenticate"] == "Bearer"


def test_the_portal_switch_is_honoured(client, phil, site):
    site.set_global("rest_portal_api", "0")
    try:
        r = client.get(f"{PORTAL}/patient", headers=phil)
        assert r.status_code == 404, r.text
        assert "turned off" in r.json()["internalErrors"][0]
    finally:
        site.set_global("rest_portal_api", "1")
    assert client.get(f"{PORTAL}/patient", headers=phil).status_code == 200


def test_every_portal_read_is_audited_with_the_patient(client, ruth, site,
                                                       second_portal_patient):

    r = client.get(f"{PORTAL}/patient", headers=ruth)
    request_id = r.headers["x-request-id"]
    with site.db.read() as s:
        row = s.execute(select(AuditLog).where(AuditLog.request_id == request_id)).scalar_one()
    assert row.patient_uuid == second_portal_patient["uuid"] and row.user_role == "patient"
