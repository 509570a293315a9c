"""Introspection (RFC 7662) and revocation (RFC 7009): client-authenticated, limited to
the client's own tokens, and a revoked token is refused by the API at once."""

from __future__ import annotations

import base64
import time

import pytest

from tests.conftest import bearer, password_token, register_client

INTROSPECT = "/oauth2/default/introspect"
REVOKE = "/oauth2/default/revoke"
PATIENTS = "/apis/default/api/patient"
SCOPE = "openid offline_access api:oemr user/patient.read"


def post_auth(app_client) -> dict:
    return {"client_id": app_client["client_id"], "client_secret": app_client["client_secret"]}


def basic_auth(app_client) -> dict:
    pair = f"{app_client['client_id']}:{app_client['client_secret']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def introspect(client, app_client, token: str, *, basic=False, **extra):
    data = {"token": token, **extra}
    if basic:
        return client.post(INTROSPECT, data=data, headers=basic_auth(app_client))
    return client.post(INTROSPECT, data={**data, **post_auth(app_client)})


def revoke(client, app_client, token: str, **extra):
    return client.post(REVOKE, data={"token": token, **extra, **post_auth(app_client)})


@pytest.fixture()
def token(client, app_client) -> dict:
    return password_token(client, app_client, scope=SCOPE)


def subject_of(client, token) -> str:
    r = client.get("/oauth2/default/userinfo", headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()["sub"]


@pytest.mark.parametrize("basic", [False, True], ids=["client_secret_post", "client_secret_basic"])
def test_a_live_access_token_is_active_with_its_facts(client, app_client, token, basic):
    r = introspect(client, app_client, token["access_token"], basic=basic)
    assert r.status_code == 200, r.text
    facts = r.json()
    assert facts["active"] is True
    assert set(facts["scope"].split()) == set(SCOPE.split())
    assert facts["client_id"] == app_client["client_id"]
    assert facts["sub"] == subject_of(client, token)
    assert time.time() < facts["exp"] <= time.time() + 3600 + 5
    assert facts["token_type"] == "Bearer"


def test_a_live_refresh_token_is_active(client, app_client, token):
    r = introspect(client, app_client, token["refresh_token"], token_type_hint="refresh_token")
    assert r.status_code == 200, r.text
    facts = r.json()
    assert facts["active"] is True
    assert facts["client_id"] == app_client["client_id"]
    assert facts["exp"] > time.time()


@pytest.mark.parametrize("value", ["garbage", "a.b.c", "x" * 500])
def test_an_unknown_token_is_inactive(client, app_client, value):
    r = introspect(client, app_client, value)
    assert r.status_code == 200, r.text
    assert r.json() == {"active": False}


def test_introspection_needs_client_authentication(client, app_client, token):
    r = client.post(INTROSPECT, data={"token": token["access_token"]})
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client"
    r = client.post(INTROSPECT, data={"token": token["access_token"],
                                      "client_id": app_client["client_id"],
                                      "client_secret": "wrong"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_another_client_learns_nothing_about_the_token(client, app_client, token):
    other = register_client(client)
    r = introspect(client, other, token["access_token"])
    assert r.status_code == 200, r.text
    assert r.json() == {"active": False}
    r = introspect(client, other, token["refresh_token"])
    assert r.json() == {"active": False}


def test_another_client_cannot_revoke_the_token(client, app_client, token):
    other = register_client(client)
    r = revoke(client, other, token["access_token"])
    assert r.status_code in (200, 400), r.text
    assert client.get(PATIENTS, headers=bearer(token)).status_code == 200
    assert introspect(client, app_client, token["access_token"]).json()["active"] is True


def test_a_revoked_access_token_is_refused_at_once_and_inactive(client, app_client, token):
    assert client.get(PATIENTS, headers=bearer(token)).status_code == 200
    r = revoke(client, app_client, token["access_token"])
    assert r.status_code == 200, r.text
    refused = client.get(PATIENTS, headers=bearer(token))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert introspect(client, app_client, token["access_token"]).json() == {"active": False}


def test_revoking_with_the_access_token_hint_and_basic_auth(client, app_client, token):
    r = client.post(REVOKE, data={"token": token["access_token"],
                                  "token_type_hint": "access_token"},
                    headers=basic_auth(app_client))
    assert r.status_code == 200, r.text
    assert client.get(PATIENTS, headers=bearer(token)).status_code == 401


def test_a_revoked_refresh_token_cannot_refresh_and_its_access_token_dies(client, app_client,
                                                                          token):
    r = revoke(client, app_client, token["refresh_token"], token_type_hint="refresh_token")
    assert r.status_code == 200, r.text
    again = client.post("/oauth2/default/token", data={
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"],
        **post_auth(app_client)})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert introspect(client, app_client, token["refresh_token"]).json() == {"active": False}
    assert client.get(PATIENTS, headers=bearer(token)).status_code == 401


def test_revoking_an_unknown_token_is_still_200(client, app_client):
    r = revoke(client, app_client, "never-issued")
    assert r.status_code == 200, r.text


def test_revocation_needs_client_authentication(client, app_client, token):
    r = client.post(REVOKE, data={"token": token["access_token"],
                                  "client_id": app_client["client_id"],
                                  "client_secret": "wrong"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert client.get(PATIENTS, headers=bearer(token)).status_code == 200


def test_introspection_without_a_token_is_invalid_request(client, app_client):
    r = client.post(INTROSPECT, data=post_auth(app_client))
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_request"


@pytest.mark.parametrize("endpoint", ["/oauth2/default/token", INTROSPECT, REVOKE])
@pytest.mark.parametrize("wrong", ["basic", "post", "neither"])
def test_credentials_sent_two_ways_at_once_are_invalid_request(client, app_client, token,
                                                               endpoint, wrong):
    """RFC 6749 §2.3: one method per request, whichever of the two carries the right secret."""
    right = post_auth(app_client)
    bad = {**right, "client_secret": "not-the-secret"}
    data = {"token": token["access_token"], "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            **(bad if wrong == "post" else right)}
    header = basic_auth(bad if wrong == "basic" else app_client)
    r = client.post(endpoint, data=data, headers=header)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_request"
    assert "more than one way" in r.json()["error_description"]
    # Nothing happened: the refresh token still works and the access token is live.
    assert introspect(client, app_client, token["access_token"]).json()["active"] is True


def test_unknown_parameters_are_ignored(client, app_client, token):
    """RFC 6749 §3.2: the server ignores parameters it does not know (clients send extras)."""
    r = introspect(client, app_client, token["access_token"], grant_type="x", aud="y")
    assert r.status_code == 200 and r.json()["active"] is True
