"""OpenID Connect RP-initiated logout: the id_token_hint's subject loses this client's
tokens at once; the user agent goes on only to a post-logout URI the client registered."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.conftest import bearer, password_token, register_client
from tests.oauth2.test_authorize import exchange, get_code, pkce

BYE = "https://client.example.org/bye"


@pytest.fixture(scope="module")
def app_with_logout(client) -> dict:
    return register_client(client, post_logout_redirect_uris=[BYE])


def code_flow_token(client, app) -> dict:
    verifier, challenge = pkce()
    code, _ = get_code(client, app, challenge)
    r = exchange(client, app, code, verifier)
    assert r.status_code == 200, r.text
    return r.json()


def logout(client, **params):
    return client.get("/oauth2/default/logout?" + urlencode(params), follow_redirects=False)


def refresh(client, app, token):
    return client.post("/oauth2/default/token", data={
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"],
        "client_id": app["client_id"], "client_secret": app["client_secret"]})


def test_logout_revokes_and_redirects_to_the_registered_uri(client, app_with_logout):
    token = code_flow_token(client, app_with_logout)
    assert client.get("/apis/default/api/patient", headers=bearer(token)).status_code == 200
    r = logout(client, id_token_hint=token["id_token"], post_logout_redirect_uri=BYE, state="s1")
    assert r.status_code == 302
    location = r.headers["location"]
    assert location.startswith(BYE)
    assert parse_qs(urlsplit(location).query) == {"state": ["s1"]}
    assert client.get("/apis/default/api/patient", headers=bearer(token)).status_code == 401
    assert refresh(client, app_with_logout, token).json()["error"] == "invalid_grant"


def test_logout_revokes_password_grant_tokens_of_that_client_only(client, app_with_logout):
    other_app = register_client(client)
    token = password_token(client, app_with_logout)
    other = password_token(client, other_app)
    r = logout(client, id_token_hint=token["id_token"])
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "signed out" in r.text
    assert client.get("/apis/default/api/patient", headers=bearer(token)).status_code == 401
    assert client.get("/apis/default/api/patient", headers=bearer(other)).status_code == 200


def test_unregistered_post_logout_uri_is_not_followed(client, app_with_logout):
    token = code_flow_token(client, app_with_logout)
    r = logout(client, id_token_hint=token["id_token"],
               post_logout_redirect_uri="https://evil.example.com/")
    assert r.status_code == 200 and "location" not in r.headers
    assert client.get("/apis/default/api/patient", headers=bearer(token)).status_code == 401


def test_no_redirect_without_an_id_token_hint(client, app_with_logout):
    r = logout(client, client_id=app_with_logout["client_id"], post_logout_redirect_uri=BYE)
    assert r.status_code == 200 and "location" not in r.headers


def test_bad_id_token_hint_is_an_error_page(client, app_with_logout):
    token = code_flow_token(client, app_with_logout)
    head, body, sig = token["id_token"].split(".")
    for hint in (f"{head}.{body}.{sig[:-4]}AAAA", "not-a-jwt", token["access_token"]):
        r = logout(client, id_token_hint=hint, post_logout_redirect_uri=BYE)
        assert r.status_code == 400, hint
        assert "location" not in r.headers
    # the token still works: nothing was revoked
    assert client.get("/apis/default/api/patient", headers=bearer(token)).status_code == 200


def test_client_id_must_match_the_hint(client, app_with_logout):
    other_app = register_client(client)
    token = code_flow_token(client, app_with_logout)
    r = logout(client, id_token_hint=token["id_token"], client_id=other_app["client_id"],
               post_logout_redirect_uri=BYE)
    assert r.status_code == 400 and "location" not in r.headers
