"""The authorization code flow with PKCE, through the real pages: authorize -> login
page -> consent page -> redirect with a code -> token -> a working API call."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.conftest import ALL_SCOPES, bearer, register_client

REDIRECT = "https://client.example.org/callback"
SCOPE = "openid offline_access api:oemr user/patient.read"
# Public apps hold no user/ scopes: their flows here are a portal patient's.
PATIENT_SCOPE = "openid offline_access api:port patient/patient.read"
PATIENT_LOGIN = {"username": "phil", "password": "phil", "role": "patient",
                 "email": "phil@example.com"}


def is_public(app: dict) -> bool:
    return app.get("token_endpoint_auth_method") == "none"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def authorize_params(app: dict, challenge: str | None, **extra) -> dict:
    params = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT,
              "scope": PATIENT_SCOPE if is_public(app) else SCOPE,
              "state": "st-" + secrets.token_hex(4)}
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def hidden(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert m, f"no hidden field {name}"
    return unescape(m.group(1))


def query_of(location: str) -> dict:
    assert location.startswith(REDIRECT), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def login_page(client, params: dict):
    r = client.get("/oauth2/default/authorize?" + urlencode(params), follow_redirects=False)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    return r


def sign_in(client, params: dict, *, username="admin", password="pass", role="users", email=None):
    ticket = hidden(login_page(client, params).text, "ticket")
    form = {"ticket": ticket, "user_role": role, "username": username, "password": password}
    if email:
        form["email"] = email
    return client.post("/oauth2/default/authorize/login", data=form, follow_redirects=False)


def approve(client, consent_html: str, scopes: list[str] | None = None, decision="approve"):
    offered = re.findall(r'name="scope" value="([^"]*)"', consent_html)
    form = {"ticket": hidden(consent_html, "ticket"), "decision": decision,
            "scope": offered if scopes is None else scopes}
    return client.post("/oauth2/default/authorize/consent", data=form, follow_redirects=False)


def get_code(client, app: dict, challenge: str, **extra) -> tuple[str, dict]:
    params = authorize_params(app, challenge, **extra)
    r = sign_in(client, params, **(PATIENT_LOGIN if is_public(app) else {}))
    assert r.status_code == 200, r.text
    r = approve(client, r.text)
    assert r.status_code == 303, r.text
    q = query_of(r.headers["location"])
    assert q["state"] == params["state"]
    return q["code"], params


def exchange(client, app: dict, code: str, verifier: str | None, redirect_uri=REDIRECT):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_id": app["client_id"]}
    if verifier is not None:
        form["code_verifier"] = verifier
    if app.get("client_secret"):
        form["client_secret"] = app["client_secret"]
    return client.post("/oauth2/default/token", data=form)


@pytest.fixture(scope="module")
def confidential(client) -> dict:
    return register_client(client, post_logout_redirect_uris=["https://client.example.org/bye"])


@pytest.fixture(scope="module")
def public(client) -> dict:
    return register_client(client, scope=PATIENT_SCOPE, application_type="public",
                           token_endpoint_auth_method="none")


def test_discovery_lists_the_browser_endpoints(client):
    meta = client.get("/oauth2/default/.well-known/openid-configuration").json()
    assert meta["authorization_endpoint"] == "https://localhost:9300/oauth2/default/authorize"
    assert meta["end_session_endpoint"] == "https://localhost:9300/oauth2/default/logout"
    assert "authorization_code" in meta["grant_types_supported"]
    assert meta["code_challenge_methods_supported"] == ["S256"]


@pytest.mark.parametrize("kind", ["confidential", "public"])
def test_code_flow_with_pkce_gives_a_working_token(client, request, kind):
    app = request.getfixturevalue(kind)
    verifier, challenge = pkce()
    code, _ = get_code(client, app, challenge)
    r = exchange(client, app, code, verifier)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    token = r.json()
    assert token["token_type"] == "Bearer"
    assert token["scope"].split() == authorize_params(app, challenge)["scope"].split()
    assert token["refresh_token"] and token["id_token"]
    own_record = "/apis/default/portal/patient" if is_public(app) else "/apis/default/api/patient"
    r = client.get(own_record, headers=bearer(token))
    assert r.status_code == 200, r.text
    # the refresh token from the code works too
    form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
            "client_id": app["client_id"]}
    if app.get("client_secret"):
        form["client_secret"] = app["client_secret"]
    assert client.post("/oauth2/default/token", data=form).status_code == 200


def test_login_and_consent_pages_are_accessible_html(client, confidential):
    _, challenge = pkce()
    r = login_page(client, authorize_params(confidential, challenge))
    assert '<html lang="en">' in r.text
    assert '<label for="username">' in r.text and '<label for="password">' in r.text
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    r = sign_in(client, authorize_params(confidential, challenge))
    assert r.status_code == 200
    assert "Read and search patient records that you can see" in r.text
    assert 'value="deny"' in r.text


def test_id_token_carries_the_nonce(client, confidential):
    verifier, challenge = pkce()
    nonce = secrets.token_urlsafe(16)
    code, _ = get_code(client, confidential, challenge, nonce=nonce)
    token = exchange(client, confidential, code, verifier).json()
    keys = KeySet.import_key_set(client.get("/oauth2/default/jwk").json())
    claims = jwt.decode(token["id_token"], keys).claims
    assert claims["nonce"] == nonce
    assert claims["aud"] == confidential["client_id"]
    assert claims["iss"] == "https://localhost:9300/oauth2/default"
    assert claims["sub"] and claims["at_hash"]
    # the same nonce again is a replay
    _, challenge2 = pkce()
    r = client.get("/oauth2/default/authorize?" + urlencode(
        authorize_params(confidential, challenge2, nonce=nonce)), follow_redirects=False)
    assert r.status_code == 302
    assert query_of(r.headers["location"])["error"] == "invalid_request"


def test_plain_pkce_is_refused(client, public):
    verifier = secrets.token_urlsafe(48)
    params = authorize_params(public, verifier, code_challenge_method="plain")
    r = client.get("/oauth2/default/authorize?" + urlencode(params), follow_redirects=False)
    assert r.status_code == 302
    q = query_of(r.headers["location"])
    assert q["error"] == "invalid_request" and q["state"] == params["state"]


@pytest.mark.parametrize("kind", ["confidential", "public"])
def test_missing_pkce_is_refused(client, request, kind):
    app = request.getfixturevalue(kind)
    params = authorize_params(app, None)
    r = client.get("/oauth2/default/authorize?" + urlencode(params), follow_redirects=False)
    assert r.status_code == 302
    q = query_of(r.headers["location"])
    assert q["error"] == "invalid_request" and "PKCE" in q["error_description"]
    # a challenge without its method is refused too (it would mean plain)
    _, challenge = pkce()
    params = authorize_params(app, None, code_challenge=challenge)
    r = client.get("/oauth2/default/authorize?" + urlencode(params), follow_redirects=False)
    assert query_of(r.headers["location"])["error"] == "invalid_request"


def test_token_request_without_verifier_is_refused(client, public):
    _, challenge = pkce()
    code, _ = get_code(client, public, challenge)
    r = exchange(client, public, code, None)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


def test_wrong_verifier_is_invalid_grant(client, public):
    _, challenge = pkce()
    code, _ = get_code(client, public, challenge)
    other_verifier, _ = pkce()
    r = exchange(client, public, code, other_verifier)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


def test_code_reuse_is_invalid_grant_and_revokes_its_tokens(client, confidential):
    verifier, challenge = pkce()
    code, _ = get_code(client, confidential, challenge)
    first = exchange(client, confidential, code, verifier)
    assert first.status_code == 200
    token = first.json()
    again = exchange(client, confidential, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert client.get("/apis/default/api/patient", headers=bearer(token)).status_code == 401
    form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
            "client_id": confidential["client_id"], "client_secret": confidential["client_secret"]}
    assert client.post("/oauth2/default/token", data=form).json()["error"] == "invalid_grant"


def test_code_is_bound_to_client_and_redirect_uri(client, confidential, public):
    verifier, challenge = pkce()
    code, _ = get_code(client, confidential, challenge)
    r = exchange(client, public, code, verifier)  # another client
    assert r.json()["error"] == "invalid_grant"
    r = exchange(client, confidential, code, verifier, redirect_uri="https://client.example.org/x")
    assert r.json()["error"] == "invalid_grant"


def test_confidential_client_must_authenticate(client, confidential):
    verifier, challenge = pkce()
    code, _ = get_code(client, confidential, challenge)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": confidential["client_id"], "code_verifier": verifier}
    r = client.post("/oauth2/default/token", data=form)
    assert r.status_code in (400, 401)
    assert r.json()["error"] == "invalid_client"


@pytest.mark.parametrize("change", [
    {"redirect_uri": "https://evil.example.com/callback"},
    {"client_id": "no-such-client"},
    {"client_id": None},
])
def test_bad_client_or_redirect_uri_is_an_error_page_not_a_redirect(client, confidential, change):
    _, challenge = pkce()
    params = {**authorize_params(confidential, challenge), **change}
    params = {k: v for k, v in params.items() if v is not None}
    r = client.get("/oauth2/default/authorize?" + urlencode(params), follow_redirects=False)
    assert r.status_code == 400
    assert "location" not in r.headers
    assert r.headers["content-type"].startswith("text/html")
    assert 'href="https://evil' not in r.text


def test_repeated_parameter_is_an_error_page(client, confidential):
    _, challenge = pkce()
    query = urlencode(authorize_params(confidential, challenge)) + "&redirect_uri=" + REDIRECT
    r = client.get("/oauth2/default/authorize?" + query, follow_redirects=False)
    assert r.status_code == 400 and "location" not in r.headers


def test_unsupported_response_type_is_redirected(client, confidential):
    _, challenge = pkce()
    params = authorize_params(confidential, challenge, response_type="token")
    r = client.get("/oauth2/default/authorize?" + urlencode(params), follow_redirects=False)
    assert r.status_code == 302
    q = query_of(r.headers["location"])
    assert q["error"] == "unsupported_response_type" and q["state"] == params["state"]


def test_prompt_none_needs_a_login(client, confidential):
    _, challenge = pkce()
    params = authorize_params(confidential, challenge, prompt="none")
    r = client.get("/oauth2/default/authorize?" + urlencode(params), follow_redirects=False)
    assert query_of(r.headers["location"])["error"] == "login_required"


def test_deny_redirects_with_access_denied_and_state(client, confidential):
    _, challenge = pkce()
    params = authorize_params(confidential, challenge)
    r = sign_in(client, params)
    r = approve(client, r.text, decision="deny")
    assert r.status_code == 303
    q = query_of(r.headers["location"])
    assert q["error"] == "access_denied" and q["state"] == params["state"]
    assert "code" not in q


def test_unticked_scopes_are_not_granted(client, confidential):
    verifier, challenge = pkce()
    params = authorize_params(confidential, challenge)
    r = sign_in(client, params)
    r = approve(client, r.text, scopes=["openid", "api:oemr"])
    code = query_of(r.headers["location"])["code"]
    token = exchange(client, confidential, code, verifier).json()
    assert token["scope"] == "openid api:oemr"
    assert "refresh_token" not in token
    assert client.get("/apis/default/api/patient", headers=bearer(token)).status_code == 403


def test_nothing_ticked_is_access_denied(client, confidential):
    _, challenge = pkce()
    r = approve(client, sign_in(client, authorize_params(confidential, challenge)).text, scopes=[])
    assert query_of(r.headers["location"])["error"] == "access_denied"


def test_consent_ticket_gives_one_code(client, confidential):
    _, challenge = pkce()
    html = sign_in(client, authorize_params(confidential, challenge)).text
    assert approve(client, html).status_code == 303
    r = approve(client, html)
    assert r.status_code == 400 and "location" not in r.headers


def test_wrong_password_shows_the_login_page_again(client, confidential):
    _, challenge = pkce()
    r = sign_in(client, authorize_params(confidential, challenge), password="wrong")
    assert r.status_code == 401
    assert 'role="alert"' in r.text and 'name="ticket"' in r.text


def test_forged_or_foreign_ticket_is_refused(client, confidential):
    _, challenge = pkce()
    ticket = hidden(login_page(client, authorize_params(confidential, challenge)).text, "ticket")
    head, body, sig = ticket.split(".")
    r = client.post("/oauth2/default/authorize/login",
                    data={"ticket": f"{head}.{body}x.{sig}", "username": "admin",
                          "password": "pass"},
                    follow_redirects=False)
    assert r.status_code == 400 and "location" not in r.headers
    # a login ticket is not a consent ticket
    r = client.post("/oauth2/default/authorize/consent",
                    data={"ticket": ticket, "decision": "approve", "scope": ["openid"]},
                    follow_redirects=False)
    assert r.status_code == 400 and "location" not in r.headers


def test_portal_patient_signs_in_to_a_portal_app(client):
    app = register_client(client, scope="openid api:port patient/patient.read",
                          application_type="public", token_endpoint_auth_method="none")
    verifier, challenge = pkce()
    params = authorize_params(app, challenge, scope="openid api:port patient/patient.read")
    page = login_page(client, params).text
    assert 'name="email"' in page
    r = sign_in(client, params, username="phil", password="phil", role="patient",
                email="phil@example.com")
    assert r.status_code == 200, r.text
    r = approve(client, r.text)
    code = query_of(r.headers["location"])["code"]
    token = exchange(client, app, code, verifier).json()
    assert token["scope"] == "openid api:port patient/patient.read"
    info = client.get("/oauth2/default/userinfo", headers=bearer(token)).json()
    assert info["sub"]
    # a staff login is not offered to a patient-only app
    r = sign_in(client, params, username="admin", password="pass", role="users")
    assert r.status_code == 400


def test_all_scopes_client_offers_both_logins(client):
    app = register_client(client, scope=ALL_SCOPES)
    _, challenge = pkce()
    page = login_page(client, authorize_params(app, challenge)).text
    assert 'value="users"' in page and 'value="patient"' in page


def test_aud_must_be_an_api_of_this_site(client, confidential):
    verifier, challenge = pkce()
    code, _ = get_code(client, confidential, challenge,
                       aud="https://localhost:9300/apis/default/fhir")
    assert exchange(client, confidential, code, verifier).status_code == 200
    params = authorize_params(confidential, challenge, aud="https://elsewhere.example.com/fhir")
    r = client.get("/oauth2/default/authorize?" + urlencode(params), follow_redirects=False)
    assert query_of(r.headers["location"])["error"] == "invalid_request"


def test_only_query_response_mode(client, confidential):
    _, challenge = pkce()
    ok = authorize_params(confidential, challenge, response_mode="query", max_age="0",
                          ui_locales="en")
    login_page(client, ok)
    params = authorize_params(confidential, challenge, response_mode="form_post")
    r = client.get("/oauth2/default/authorize?" + urlencode(params), follow_redirects=False)
    assert query_of(r.headers["location"])["error"] == "invalid_request"


def test_single_approved_scope(client, confidential):
    verifier, challenge = pkce()
    r = approve(client, sign_in(client, authorize_params(confidential, challenge)).text,
                scopes=["api:oemr"])
    code = query_of(r.headers["location"])["code"]
    assert exchange(client, confidential, code, verifier).json()["scope"] == "api:oemr"


def test_a_client_with_several_redirect_uris_must_name_one(client):
    """RFC 6749 §3.1.2.3: without `redirect_uri`, a client with several registered URIs gets
    an error page, and no code goes to any of them."""
    app = register_client(client, redirect_uris=[REDIRECT, "https://client.example.org/other"])
    _, challenge = pkce()
    params = authorize_params(app, challenge, redirect_uri=None)
    r = client.get("/oauth2/default/authorize?" + urlencode(params), follow_redirects=False)
    assert r.status_code == 400 and "location" not in r.headers
    assert r.headers["content-type"].startswith("text/html")
    assert "redirect_uri" in r.text


def test_a_client_with_one_redirect_uri_may_leave_it_out(client, confidential):
    _, challenge = pkce()
    params = authorize_params(confidential, challenge, redirect_uri=None)
    assert login_page(client, params).status_code == 200


def test_redirects_answering_a_post_are_303(client, confidential):
    """RFC 9700 §4.12: after the login form (which carried the password) and the consent
    form, the browser is sent on with 303, so it never posts the form to the client."""
    _, challenge = pkce()
    params = authorize_params(confidential, challenge, scope="patient/patient.read")
    r = sign_in(client, params)  # a staff login cannot be granted patient/ scopes
    assert r.status_code == 303, r.text
    assert query_of(r.headers["location"])["error"] == "invalid_scope"
    r = approve(client, sign_in(client, authorize_params(confidential, challenge)).text)
    assert r.status_code == 303 and "code" in query_of(r.headers["location"])
