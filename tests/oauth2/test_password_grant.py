"""OpenEMR's password grant: user_role users and patient, what the answer holds, the
site switch, and the errors of a wrong login."""

from __future__ import annotations

import base64
import json

import pytest

from emr_api.cli import demo
from tests.conftest import password_token, register_client

TOKEN = "/oauth2/default/token"


def form(app_client, **overrides) -> dict:
    data = {"grant_type": "password", "user_role": "users", "username": "admin",
            "password": "pass", "scope": "api:oemr user/patient.read",
            "client_id": app_client["client_id"], "client_secret": app_client["client_secret"]}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def claims_of(token: str) -> dict:
    """A JWT's claims, unverified (test_discovery verifies signatures with the JWKS)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def refused(client, data, status=400, errors=("invalid_grant",)):
    r = client.post(TOKEN, data=data)
    assert r.status_code == status, r.text
    assert r.json()["error"] in errors, r.json()
    assert "access_token" not in r.json()
    assert r.headers["cache-control"] == "no-store"
    return r.json()


def test_user_login_answers_a_bearer_token_for_an_hour_and_is_not_cached(client, app_client):
    r = client.post(TOKEN, data=form(app_client))
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["pragma"] == "no-cache"
    token = r.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert set(token["scope"].split()) == {"api:oemr", "user/patient.read"}
    assert token["access_token"].count(".") == 2
    assert "refresh_token" not in token
    assert "id_token" not in token


def test_id_token_only_with_openid(client, app_client):
    with_openid = password_token(client, app_client, scope="openid api:oemr")
    assert with_openid["id_token"].count(".") == 2
    claims = claims_of(with_openid["id_token"])
    assert claims["aud"] == app_client["client_id"]
    without = password_token(client, app_client, scope="api:oemr")
    assert "id_token" not in without


def test_refresh_token_only_with_offline_access(client, app_client):
    with_offline = password_token(client, app_client, scope="offline_access api:oemr")
    assert with_offline["refresh_token"]
    assert "offline_access" in with_offline["scope"].split()
    without = password_token(client, app_client, scope="openid api:oemr")
    assert "refresh_token" not in without


@pytest.mark.parametrize("username,password", [("admin", "pass"), ("physician", "physician"),
                                               ("receptionist", "receptionist")])
def test_each_demo_user_signs_in_as_a_user(client, app_client, username, password):
    token = password_token(client, app_client, username=username, password=password,
                           scope="openid api:oemr user/patient.read")
    claims = claims_of(token["access_token"])
    assert claims["role"] == "users"
    assert claims["sub"]
    assert "patient" not in claims


def test_distinct_users_get_distinct_subjects(client, app_client):
    a = claims_of(password_token(client, app_client)["access_token"])
    b = claims_of(password_token(client, app_client, username="physician",
                                 password="physician")["access_token"])
    assert a["sub"] != b["sub"]


def test_the_granted_scope_is_only_what_was_asked(client, app_client):
    token = password_token(client, app_client, scope="api:oemr user/patient.rs")
    assert token["scope"].split() == ["api:oemr", "user/patient.rs"]


def test_a_scope_the_client_did_not_register_is_not_granted(client):
    narrow = register_client(client, scope="api:oemr user/patient.read")
    r = client.post(TOKEN, data=form(narrow, scope="api:oemr user/patient.read user/facility.read"))
    if r.status_code == 200:
        assert "user/facility.read" not in r.json()["scope"].split()
    else:
        assert r.json()["error"] == "invalid_scope"
    r = client.post(TOKEN, data=form(narrow, scope="user/facility.read"))
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"


def test_patient_login_needs_the_email_and_gets_patient_context(client, app_client):
    token = password_token(client, app_client, role="patient", username="phil", password="phil",
                           email="phil@example.com", scope="openid api:oemr api:port")
    claims = claims_of(token["access_token"])
    assert claims["role"] == "patient"
    assert claims["patient"] and claims["sub"] == claims["patient"]
    assert token["id_token"]


def test_a_patient_is_never_granted_user_scopes(client, app_client):
    token = password_token(client, app_client, role="patient", username="phil", password="phil",
                           email="PHIL@example.com",
                           scope="openid api:oemr user/patient.read user/patient.write")
    granted = token["scope"].split()
    assert not [s for s in granted if s.startswith("user/")], granted
    assert "api:oemr" in granted
    # Only user/ scopes asked: nothing can be granted.
    refused(client, form(app_client, user_role="patient", username="phil", password="phil",
                         email="phil@example.com", scope="user/patient.read"),
            errors=("invalid_scope",))


@pytest.mark.parametrize("overrides", [
    {"password": "wrong"},
    {"password": ""},
    {"username": "nobody", "password": "pass"},
    {"username": "ADMIN"},
    {"username": "admin", "password": "physician"},
])
def test_a_wrong_user_login_is_refused(client, app_client, overrides):
    answer = refused(client, form(app_client, **overrides))
    assert answer == refused(client, form(app_client, username="nobody"))  # reveals nothing


@pytest.mark.parametrize("overrides", [
    {"email": "someone.else@example.com"},
    {"password": "wrong"},
    {"username": "admin", "password": "pass"},  # a user is not a portal patient
])
def test_a_wrong_patient_login_is_refused(client, app_client, overrides):
    data = form(app_client, user_role="patient", username="phil", password="phil",
                email="phil@example.com", scope="api:oemr api:port")
    data.update(overrides)
    assert refused(client, data) == refused(client, {**data, "username": "nobody"})


def test_a_patient_login_without_email_is_invalid_request(client, app_client):
    refused(client, form(app_client, user_role="patient", username="phil", password="phil",
                         scope="api:port"), errors=("invalid_request",))


@pytest.mark.parametrize("role", [None, "admin", ""])
def test_a_missing_or_unknown_user_role_is_invalid_request(client, app_client, role):
    refused(client, form(app_client, user_role=role), errors=("invalid_request",))


def test_missing_username_is_invalid_request(client, app_client):
    refused(client, form(app_client, username=None), errors=("invalid_request",))


def test_a_wrong_client_secret_is_invalid_client(client, app_client):
    refused(client, form(app_client, client_secret="nope"), status=401, errors=("invalid_client",))


def test_an_unknown_client_is_invalid_client(client, app_client):
    # RFC 6749 5.2: 401 is required only when the client used the Authorization header.
    r = client.post(TOKEN, data=form(app_client, client_id="no-such-client"))
    assert r.status_code in (400, 401), r.text
    assert r.json()["error"] == "invalid_client"
    pair = base64.b64encode(f"no-such-client:{app_client['client_secret']}".encode()).decode()
    data = form(app_client, client_id=None, client_secret=None)
    r = client.post(TOKEN, data=data, headers={"Authorization": f"Basic {pair}"})
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client"


def test_an_unknown_grant_type_is_refused(client, app_client):
    r = client.post(TOKEN, data=form(app_client, grant_type="client_credentials"))
    assert r.status_code == 400
    assert r.json()["error"] in ("unsupported_grant_type", "invalid_request")


@pytest.fixture(scope="module")
def fresh_site(app):
    site = app.registry.create("passwordoff")
    demo.seed_users(site)
    return site


def test_the_password_grant_is_off_on_a_new_site(client, fresh_site):
    assert not fresh_site.flag("oauth_password_grant")
    site_client = register_client(client, site="passwordoff")
    r = client.post("/oauth2/passwordoff/token", data=form(site_client))
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "unsupported_grant_type"
    meta = client.get("/oauth2/passwordoff/.well-known/openid-configuration").json()
    assert "password" not in meta["grant_types_supported"]


def test_turning_the_switch_on_enables_the_grant_and_off_again_disables_it(client, fresh_site):
    site_client = register_client(client, site="passwordoff")
    fresh_site.set_global("oauth_password_grant", "1")
    try:
        r = client.post("/oauth2/passwordoff/token", data=form(site_client))
        assert r.status_code == 200, r.text
    finally:
        fresh_site.set_global("oauth_password_grant", "0")
    r = client.post("/oauth2/passwordoff/token", data=form(site_client))
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"


def test_an_unknown_grant_type_is_unsupported_grant_type(client, app_client):
    r = client.post("/oauth2/default/token", data={
        "grant_type": "urn:example:made-up", "client_id": app_client["client_id"],
        "client_secret": app_client["client_secret"]})
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"
    assert r.headers["cache-control"] == "no-store"


def test_a_missing_grant_type_is_invalid_request(client, app_client):
    r = client.post("/oauth2/default/token", data={"client_id": app_client["client_id"]})
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
