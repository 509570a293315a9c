"""Scopes: `api:oemr` for the Standard API, and each operation's resource scope, with
v1 (`.read`/`.write`) and v2 (`.rs`, `.cud`, single letters) forms equivalent."""

from __future__ import annotations

import pytest

from tests.conftest import bearer, password_token
from tests.security.conftest import API

PATIENT = {"fname": "Scope", "lname": "Tester", "sex": "Female", "DOB": "1990-01-02"}


@pytest.fixture(scope="module")
def existing(client, admin) -> str:
    r = client.post(f"{API}/patient", json=PATIENT, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]["uuid"]


def statuses(client, headers, puuid) -> dict:
    """The status of each patient operation (search, read, create, update)."""
    return {
        "s": client.get(f"{API}/patient", headers=headers).status_code,
        "r": client.get(f"{API}/patient/{puuid}", headers=headers).status_code,
        "c": client.post(f"{API}/patient", json=PATIENT, headers=headers).status_code,
        "u": client.put(f"{API}/patient/{puuid}", json={"city": "Scopeville"},
                        headers=headers).status_code,
    }


ALLOWED = {"s": 200, "r": 200, "c": 201, "u": 200}


@pytest.mark.parametrize("scope,may", [
    ("user/patient.read", "rs"),
    ("user/patient.rs", "rs"),
    ("user/patient.r user/patient.s", "rs"),
    ("user/patient.r", "r"),
    ("user/patient.s", "s"),
    ("user/patient.write", "cu"),
    ("user/patient.cud", "cu"),
    ("user/patient.cu", "cu"),
    ("user/patient.c", "c"),
    ("user/patient.u", "u"),
    ("user/patient.read user/patient.write", "rscu"),
    ("user/patient.cruds", "rscu"),
    ("user/encounter.read user/encounter.write", ""),
])
def test_each_scope_form_allows_exactly_its_operations(client, app_client, existing, scope, may):
    token = password_token(client, app_client, scope=f"api:oemr {scope}")
    got = statuses(client, bearer(token), existing)
    expected = {op: (ALLOWED[op] if op in may else 403) for op in "srcu"}
    assert got == expected


def test_the_v1_and_v2_forms_are_the_same_grant(client, app_client, existing):
    v1 = statuses(client, bearer(password_token(
        client, app_client, scope="api:oemr user/patient.read user/patient.write")), existing)
    v2 = statuses(client, bearer(password_token(
        client, app_client, scope="api:oemr user/patient.rs user/patient.cud")), existing)
    assert v1 == v2 == ALLOWED


def test_without_api_oemr_the_standard_api_is_403(client, app_client, existing):
    token = password_token(client, app_client, scope="openid user/patient.read user/patient.write")
    r = client.get(f"{API}/patient", headers=bearer(token))
    assert r.status_code == 403, r.text
    assert "api:oemr" in r.json()["internalErrors"][0]
    assert r.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    assert statuses(client, bearer(token), existing) == {op: 403 for op in "srcu"}


def test_api_oemr_alone_is_403(client, app_client, existing):
    token = password_token(client, app_client, scope="api:oemr")
    r = client.get(f"{API}/patient/{existing}", headers=bearer(token))
    assert r.status_code == 403, r.text
    assert "user/patient.r" in r.json()["internalErrors"][0]


def test_a_403_writes_nothing(client, app_client, admin):
    token = password_token(client, app_client, scope="api:oemr user/patient.read")
    marker = {**PATIENT, "lname": "Neverwritten"}
    assert client.post(f"{API}/patient", json=marker, headers=bearer(token)).status_code == 403
    found = client.get(f"{API}/patient", params={"lname": "Neverwritten"}, headers=admin)
    assert found.status_code == 200 and found.json()["data"] == []


def test_a_patient_token_cannot_use_the_standard_api(client, app_client, existing):
    token = password_token(client, app_client, role="patient", username="phil", password="phil",
                           email="phil@example.com",
                           scope="openid api:oemr user/patient.read user/patient.write")
    assert not [s for s in token["scope"].split() if s.startswith("user/")]
    assert statuses(client, bearer(token), existing) == {op: 403 for op in "srcu"}


def test_version_and_product_need_no_token(client):
    for path in ("/version", "/product"):
        r = client.get(f"{API}{path}")
        assert r.status_code == 200, r.text
        assert r.json()["data"]
