"""Dynamic client registration (RFC 7591): what a registered client gets back, and every
metadata rule answered with RFC 7591's errors (also when the schema catches it first)."""

from __future__ import annotations

import time

import pytest

from tests.conftest import BASE_URL

REGISTER = "/oauth2/default/registration"


def body(**overrides) -> dict:
    data = {"application_type": "private", "client_name": "Registration Test",
            "redirect_uris": ["https://app.example.org/callback"],
            "post_logout_redirect_uris": ["https://app.example.org/bye"],
            "token_endpoint_auth_method": "client_secret_post",
            "contacts": ["ops@app.example.org"],
            "scope": "openid offline_access api:oemr user/patient.read user/patient.write"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def rejected(client, data, error: str):
    r = client.post(REGISTER, json=data)
    assert r.status_code == 400, r.text
    answer = r.json()
    assert answer["error"] == error, answer
    assert answer.get("error_description")
    return answer


def test_a_private_app_gets_credentials_and_its_accepted_metadata(client):
    before = int(time.time())
    r = client.post(REGISTER, json=body())
    assert r.status_code == 201, r.text
    info = r.json()
    assert info["client_id"] and len(info["client_id"]) >= 20
    assert info["client_secret"] and len(info["client_secret"]) >= 32
    assert info["registration_access_token"]
    assert info["registration_client_uri"] == (
        f"{BASE_URL}/oauth2/default/client/{info['client_id']}")
    assert before - 5 <= info["client_id_issued_at"] <= time.time() + 5
    assert info["client_secret_expires_at"] == 0
    assert info["client_name"] == "Registration Test"
    assert info["redirect_uris"] == ["https://app.example.org/callback"]
    assert info["post_logout_redirect_uris"] == ["https://app.example.org/bye"]
    assert info["contacts"] == ["ops@app.example.org"]
    assert info["token_endpoint_auth_method"] == "client_secret_post"
    assert set(info["scope"].split()) == {"openid", "offline_access", "api:oemr",
                                          "user/patient.read", "user/patient.write"}


def test_two_registrations_get_different_credentials(client):
    a = client.post(REGISTER, json=body()).json()
    b = client.post(REGISTER, json=body()).json()
    assert a["client_id"] != b["client_id"]
    assert a["client_secret"] != b["client_secret"]
    assert a["registration_access_token"] != b["registration_access_token"]


def test_the_issued_secret_authenticates_and_a_wrong_one_does_not(client):
    info = client.post(REGISTER, json=body()).json()
    form = {"grant_type": "password", "user_role": "users", "username": "admin",
            "password": "pass", "scope": "api:oemr user/patient.read",
            "client_id": info["client_id"]}
    ok = client.post("/oauth2/default/token", data={**form, "client_secret": info["client_secret"]})
    assert ok.status_code == 200, ok.text
    bad = client.post("/oauth2/default/token", data={**form, "client_secret": "x" + info["client_secret"]})
    assert bad.status_code == 401, bad.text
    assert bad.json()["error"] == "invalid_client"


def test_a_public_app_gets_no_secret_and_authenticates_with_its_id(client):
    r = client.post(REGISTER, json=body(application_type="public", token_endpoint_auth_method="none",
                                        scope="openid api:oemr api:port patient/patient.read"))
    assert r.status_code == 201, r.text
    info = r.json()
    assert info["client_id"]
    assert info.get("client_secret") in (None, "")
    assert info["token_endpoint_auth_method"] == "none"
    assert info["registration_access_token"]
    t = client.post("/oauth2/default/token", data={
        "grant_type": "password", "user_role": "patient", "username": "phil", "password": "phil",
        "email": "phil@example.com", "scope": "api:port patient/patient.read",
        "client_id": info["client_id"]})
    assert t.status_code == 200, t.text


def test_a_public_app_is_public_without_naming_the_auth_method(client):
    r = client.post(REGISTER, json=body(application_type="public", token_endpoint_auth_method=None,
                                        scope="openid api:port patient/patient.read"))
    assert r.status_code == 201, r.text
    assert r.json().get("client_secret") in (None, "")


@pytest.mark.parametrize("scope", [
    "user/version.s", "user/version.read", "user/product.s", "user/product.read",
])
def test_the_scopes_openemr_documents_for_open_routes_register(client, scope):
    r = client.post(REGISTER, json=body(scope=f"openid api:oemr {scope}"))
    assert r.status_code == 201, r.text
    assert scope in r.json()["scope"].split()


@pytest.mark.parametrize("scope", [
    "openid api:oemr user/nosuchthing.read",
    "api:oemr admin:everything",
    "user/patient.xyz",
    "user/patient.",
    "system/*.cruds",  # wildcards are not in scopes_supported
    "user/*.read",
    "patient/*.rs",
])
def test_unknown_scopes_are_invalid_client_metadata(client, scope):
    rejected(client, body(scope=scope), "invalid_client_metadata")


@pytest.mark.parametrize("scope", ["openid api:oemr user/patient.read",
                                   "openid api:port patient/patient.read user/patient.rs"])
def test_a_public_app_cannot_hold_user_scopes(client, scope):
    answer = rejected(client, body(application_type="public", token_endpoint_auth_method="none",
                                   scope=scope), "invalid_client_metadata")
    assert "user/patient" in answer["error_description"]


@pytest.mark.parametrize("application_type", ["private", "public"])
def test_no_app_registers_system_scopes_without_a_key_set(client, application_type):
    method = "none" if application_type == "public" else "client_secret_post"
    answer = rejected(client, body(application_type=application_type,
                                   token_endpoint_auth_method=method,
                                   scope="openid system/patient.read"),
                      "invalid_client_metadata")
    assert "system/" in answer["error_description"]


def test_a_v2_scope_is_narrowed_to_what_its_resource_offers(client):
    """RFC 7591 §3.2.1: registration answers the scope it registered (encounters are
    never deleted through the API, so `d` is dropped)."""
    r = client.post(REGISTER, json=body(scope="openid api:oemr user/encounter.cud"))
    assert r.status_code == 201, r.text
    assert r.json()["scope"].split() == ["openid", "api:oemr", "user/encounter.cu"]


def test_the_scopes_supported_all_register_for_a_private_app(client):
    supported = client.get("/oauth2/default/.well-known/openid-configuration").json()[
        "scopes_supported"]
    r = client.post(REGISTER, json=body(scope=" ".join(supported)))
    assert r.status_code == 201, r.text
    assert set(r.json()["scope"].split()) == set(supported)


@pytest.mark.parametrize("uri", [
    "https://app.example.org/callback#fragment",
    "https://app.example.org/callback#",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "http://app.example.org/callback",
    "http://192.168.1.10/callback",
    "HTTP://app.example.org/callback",
    "http://localhost.evil.example/callback",
    "http://127.0.0.1.evil.example/callback",
    "http://localhost@evil.example/callback",
    "https:///no-host",
    "not a uri",
])
def test_unsafe_redirect_uris_are_invalid_redirect_uri(client, uri):
    rejected(client, body(redirect_uris=[uri]), "invalid_redirect_uri")


def test_one_bad_redirect_uri_among_good_ones_is_rejected(client):
    rejected(client, body(redirect_uris=["https://app.example.org/a", "javascript:void(0)"]),
             "invalid_redirect_uri")


def test_an_unsafe_post_logout_redirect_uri_is_rejected(client):
    rejected(client, body(post_logout_redirect_uris=["https://app.example.org/bye#x"]),
             "invalid_redirect_uri")


@pytest.mark.parametrize("uri", [
    "http://localhost:8080/callback",
    "http://localhost/callback",
    "http://127.0.0.1:5000/cb",
    "http://[::1]:8080/cb",
    "https://app.example.org/callback?tenant=1",
    "com.example.app:/oauth2redirect",
])
def test_loopback_http_and_https_redirect_uris_are_accepted(client, uri):
    r = client.post(REGISTER, json=body(redirect_uris=[uri]))
    assert r.status_code == 201, r.text
    assert r.json()["redirect_uris"] == [uri]


def test_a_missing_client_name_is_invalid_client_metadata(client):
    rejected(client, body(client_name=None), "invalid_client_metadata")


@pytest.mark.parametrize("name", ["", "   ", "x" * 256])
def test_a_bad_client_name_is_invalid_client_metadata(client, name):
    rejected(client, body(client_name=name), "invalid_client_metadata")


def test_missing_redirect_uris_is_invalid_redirect_uri(client):
    rejected(client, body(redirect_uris=None), "invalid_redirect_uri")


def test_an_empty_redirect_uri_list_is_invalid_redirect_uri(client):
    rejected(client, body(redirect_uris=[]), "invalid_redirect_uri")


@pytest.mark.parametrize("overrides", [
    {"application_type": "native-desktop"},
    {"token_endpoint_auth_method": "private_key_jwt_unknown"},
    {"application_type": "public", "token_endpoint_auth_method": "client_secret_post"},
    {"application_type": "private", "token_endpoint_auth_method": "none"},
    {"scope": ["api:oemr"]},
    {"contacts": "ops@app.example.org"},
])
def test_other_bad_metadata_is_invalid_client_metadata(client, overrides):
    rejected(client, body(**overrides), "invalid_client_metadata")


def test_a_body_that_is_not_json_is_a_400_oauth_error(client):
    r = client.post(REGISTER, content=b"client_name=x",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["error"] in ("invalid_client_metadata", "invalid_request")


def test_registration_errors_are_not_cached(client):
    r = client.post(REGISTER, json=body(scope="user/nosuchthing.read"))
    assert r.status_code == 400
    assert r.headers["cache-control"] == "no-store"


def test_with_manual_approval_a_new_app_cannot_get_tokens_yet(client, app):
    site = app.registry.create("approval")
    site.set_global("oauth_password_grant", "1")
    site.set_global("oauth_app_manual_approval", "1")
    r = client.post("/oauth2/approval/registration", json=body())
    assert r.status_code == 201, r.text
    info = r.json()
    t = client.post("/oauth2/approval/token", data={
        "grant_type": "password", "user_role": "users", "username": "admin", "password": "pass",
        "scope": "api:oemr", "client_id": info["client_id"],
        "client_secret": info["client_secret"]})
    assert t.status_code in (400, 401), t.text
    assert t.json()["error"] == "invalid_client"
