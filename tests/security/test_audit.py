"""The audit log: one row per API request, naming site, user, client, token jti, method,
route, the patient touched and the status, and never a token or a secret."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from emr_api.db.models import AuditLog
from tests.conftest import bearer, password_token
from tests.security.conftest import API, claims_of


def rows_for(site, request_id: str) -> list[AuditLog]:
    with site.db.read() as s:
        rows = s.execute(select(AuditLog).where(AuditLog.request_id == request_id)).scalars().all()
        s.expunge_all()
        return rows


def one_row(site, response) -> AuditLog:
    request_id = response.headers["x-request-id"]
    rows = rows_for(site, request_id)
    assert len(rows) == 1, rows
    return rows[0]


def subject(client, token) -> str:
    return client.get("/oauth2/default/userinfo", headers=bearer(token)).json()["sub"]


@pytest.fixture(scope="module")
def audited(client, app_client) -> dict:
    return password_token(client, app_client, scope="openid api:oemr user/patient.read "
                                                    "user/patient.write")


def test_a_read_writes_one_row_naming_everyone(client, default_site, app_client, audited,
                                               new_patient):
    puuid = new_patient["uuid"]
    r = client.get(f"{API}/patient/{puuid}", headers=bearer(audited))
    assert r.status_code == 200
    row = one_row(default_site, r)
    assert row.site == "default"
    assert row.user_uuid == subject(client, audited)
    assert row.user_role == "users"
    assert row.client_id == app_client["client_id"]
    assert row.token_jti == claims_of(audited)["jti"]
    assert row.method == "GET"
    assert row.route == f"/apis/default/api/patient/{puuid}"
    assert row.patient_uuid == puuid
    assert row.status == 200
    assert row.duration_ms >= 0 and row.at is not None


def test_a_create_names_the_new_patient(client, default_site, audited):
    r = client.post(f"{API}/patient", headers=bearer(audited), json={
        "fname": "Audit", "lname": "Trail", "sex": "Male", "DOB": "1970-07-07"})
    assert r.status_code == 201, r.text
    row = one_row(default_site, r)
    assert row.method == "POST" and row.status == 201
    assert row.patient_uuid == r.json()["data"]["uuid"]


def test_an_update_names_its_patient(client, default_site, audited, new_patient):
    r = client.put(f"{API}/patient/{new_patient['uuid']}", headers=bearer(audited),
                   json={"city": "Audit City"})
    row = one_row(default_site, r)
    assert (row.method, row.status, row.patient_uuid) == ("PUT", 200, new_patient["uuid"])


def test_a_search_writes_one_row_without_a_patient(client, default_site, audited):
    r = client.get(f"{API}/patient", params={"lname": "Trail"}, headers=bearer(audited))
    row = one_row(default_site, r)
    assert row.status == 200 and row.route == "/apis/default/api/patient"
    assert row.patient_uuid is None
    assert "Trail" not in row.route  # the query string (possible PHI) is not kept


def test_refused_requests_are_audited_with_their_status(client, default_site, app_client):
    anonymous = client.get(f"{API}/patient")
    row = one_row(default_site, anonymous)
    assert row.status == 401 and row.user_uuid is None and row.token_jti is None

    narrow = password_token(client, app_client, scope="api:oemr user/patient.r")
    forbidden = client.get(f"{API}/patient", headers=bearer(narrow))
    row = one_row(default_site, forbidden)
    assert row.status == 403
    assert row.token_jti == claims_of(narrow)["jti"]

    missing = client.get(f"{API}/patient/00000000-0000-4000-8000-000000000000",
                         headers=bearer(narrow))
    assert one_row(default_site, missing).status == 404


def test_every_request_adds_exactly_one_row(client, default_site, audited):
    with default_site.db.read() as s:
        before = s.execute(select(func.count()).select_from(AuditLog)).scalar_one()
    for _ in range(3):
        client.get(f"{API}/patient", headers=bearer(audited))
    client.get(f"{API}/patient")
    with default_site.db.read() as s:
        after = s.execute(select(func.count()).select_from(AuditLog)).scalar_one()
    assert after - before == 4


def test_the_log_never_holds_a_token_or_secret(client, default_site, app_client):
    token = password_token(client, app_client, scope="openid offline_access api:oemr "
                                                     "user/patient.read")
    client.get(f"{API}/patient", headers=bearer(token))
    client.get(f"{API}/patient", params={"fname": token["access_token"][:40]},
               headers=bearer(token))
    client.post("/oauth2/default/introspect", data={
        "token": token["access_token"], "client_id": app_client["client_id"],
        "client_secret": app_client["client_secret"]})
    secrets = [token["access_token"], token["access_token"].split(".")[2],
               token["refresh_token"], token["id_token"], app_client["client_secret"]]
    with default_site.db.read() as s:
        rows = s.execute(select(AuditLog)).scalars().all()
        dump = "\n".join(
            " ".join(str(getattr(r, c.key)) for c in AuditLog.__table__.columns) for r in rows)
    assert rows
    for secret in secrets:
        assert secret not in dump
    assert token["access_token"][:40] not in dump


def test_requests_to_another_site_are_audited_there(client, default_site, second_site,
                                                    second_token):
    r = client.get("/apis/second/api/patient", headers=bearer(second_token))
    assert r.status_code == 200
    row = one_row(second_site, r)
    assert row.site == "second" and row.token_jti == claims_of(second_token)["jti"]
    assert rows_for(default_site, r.headers["x-request-id"]) == []


def test_oauth_calls_name_the_client_that_authenticated_or_was_registered(
        client, default_site, app_client):
    registered = client.post("/oauth2/default/registration", json={
        "client_name": "Audit App", "redirect_uris": ["https://audit.example/cb"],
        "scope": "openid api:oemr user/patient.read"})
    assert registered.status_code == 201
    assert one_row(default_site, registered).client_id == registered.json()["client_id"]

    token = client.post("/oauth2/default/token", data={
        "grant_type": "password", "user_role": "users", "username": "admin", "password": "pass",
        "scope": "api:oemr user/patient.read", "client_id": app_client["client_id"],
        "client_secret": app_client["client_secret"]})
    assert token.status_code == 200
    assert one_row(default_site, token).client_id == app_client["client_id"]

    # Introspecting a token issued to another client names the caller, not that client
    # (the answer's body says nothing about the token here: it is not the caller's).
    other = registered.json()
    asked = client.post("/oauth2/default/introspect", data={
        "token": token.json()["access_token"], "client_id": other["client_id"],
        "client_secret": other["client_secret"]})
    assert asked.json() == {"active": False}
    assert one_row(default_site, asked).client_id == other["client_id"]

