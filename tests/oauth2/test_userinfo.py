"""OpenID Connect UserInfo: claims about the token's user or patient; needs `openid`."""

from __future__ import annotations

import base64
import json

from tests.conftest import bearer, password_token

USERINFO = "/oauth2/default/userinfo"


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_userinfo_of_a_user_matches_the_id_token(client, app_client):
    token = password_token(client, app_client, scope="openid api:oemr")
    r = client.get(USERINFO, headers=bearer(token))
    assert r.status_code == 200, r.text
    info = r.json()
    assert info["sub"] == claims_of(token["id_token"])["sub"]
    assert info["sub"] == claims_of(token["access_token"])["sub"]
    assert info["given_name"] == "Administrator"
    assert info["email"] == "admin@example.com"
    assert info["role"] == "users"


def test_userinfo_of_another_user_is_theirs(client, app_client):
    token = password_token(client, app_client, username="receptionist", password="receptionist",
                           scope="openid")
    info = client.get(USERINFO, headers=bearer(token)).json()
    assert info["given_name"] == "Robin" and info["family_name"] == "Okafor"
    assert info["email"] == "receptionist@example.com"


def test_userinfo_of_a_patient(client, app_client):
    token = password_token(client, app_client, role="patient", username="phil", password="phil",
                           email="phil@example.com", scope="openid api:port")
    r = client.get(USERINFO, headers=bearer(token))
    assert r.status_code == 200, r.text
    info = r.json()
    assert info["role"] == "patient"
    assert info["sub"] == claims_of(token["access_token"])["patient"]
    assert info["name"] == "Phil Belford"
    assert info["email"] == "phil@example.com"


def test_userinfo_needs_the_openid_scope(client, app_client):
    token = password_token(client, app_client, scope="api:oemr user/patient.read")
    r = client.get(USERINFO, headers=bearer(token))
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "insufficient_scope"


def test_userinfo_needs_a_token(client):
    r = client.get(USERINFO)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = client.get(USERINFO, headers={"Authorization": "Bearer not.a.jwt"})
    assert r.status_code == 401


def test_userinfo_refuses_a_revoked_token(client, app_client):
    token = password_token(client, app_client, scope="openid")
    client.post("/oauth2/default/revoke", data={
        "token": token["access_token"], "client_id": app_client["client_id"],
        "client_secret": app_client["client_secret"]})
    assert client.get(USERINFO, headers=bearer(token)).status_code == 401
