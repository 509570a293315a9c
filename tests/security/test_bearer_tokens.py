"""Which bearer tokens the Standard API accepts: only live tokens this site signed.
Everything else is a 401 with `WWW-Authenticate: Bearer`, in the API's envelope."""

from __future__ import annotations

import base64
import json
import secrets
import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import update

from emr_api.db.models import User
from emr_api.auth.passwords import hash_password
from tests.conftest import bearer, password_token
from tests.security.conftest import API, claims_of

PATIENTS = f"{API}/patient"


def assert_401(r):
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Bearer")
    body = r.json()
    assert body["data"] == [] and body["internalErrors"], body
    # OpenEMR's keys, beside the envelope
    assert body["error"] == "access_denied" and body["message"] == body["internalErrors"][0]
    assert "Traceback" not in r.text


def test_the_admin_token_is_accepted(client, admin):
    r = client.get(PATIENTS, headers=admin)
    assert r.status_code == 200, r.text


def test_no_token_is_401(client):
    r = client.get(PATIENTS)
    assert_401(r)
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("authorization", [
    "Bearer",
    "Bearer ",
    "Bearer not-a-token",
    "Bearer a.b.c",
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
    "Basic YWRtaW46cGFzcw==",
    "bearer",
    "Token abc",
])
def test_malformed_authorization_is_401(client, authorization):
    assert_401(client.get(PATIENTS, headers={"Authorization": authorization}))


def test_a_token_with_a_broken_signature_is_401(client, admin_token):
    head, payload, sig = admin_token["access_token"].split(".")
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    assert_401(client.get(PATIENTS, headers=bearer(f"{head}.{payload}.{flipped}")))


def test_a_token_whose_claims_were_edited_is_401(client, admin_token):
    head, payload, sig = admin_token["access_token"].split(".")
    claims = claims_of(admin_token)
    claims["scope"] += " user/facility.write"
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert_401(client.get(PATIENTS, headers=bearer(f"{head}.{edited}.{sig}")))


def sign_like(site, base_claims: dict, *, key=None, alg="RS256", **changes) -> str:
    key = key or site.keys.signing_key
    claims = {**base_claims, **changes}
    return jwt.encode({"alg": alg, "kid": site.keys.signing_key.kid, "typ": "at+jwt"},
                      claims, key, algorithms=[alg])


def test_a_re_signed_copy_of_a_live_token_is_accepted(client, default_site, admin_token):
    # The control for the forgeries below: the same claims, signed with the site key.
    token = sign_like(default_site, claims_of(admin_token))
    assert client.get(PATIENTS, headers=bearer(token)).status_code == 200


def test_an_expired_token_is_401_even_if_its_record_is_live(client, default_site, admin_token):
    now = int(time.time())
    token = sign_like(default_site, claims_of(admin_token), iat=now - 7200, nbf=now - 7200,
                      exp=now - 3600)
    assert_401(client.get(PATIENTS, headers=bearer(token)))


def test_a_token_whose_record_has_expired_is_401(client, second_site, second_client):
    second_site.set_global("access_token_lifetime", "1")
    try:
        token = password_token(client, second_client, site="second")
    finally:
        second_site.set_global("access_token_lifetime", "3600")
    assert token["expires_in"] == 1
    time.sleep(2.1)
    assert_401(client.get("/apis/second/api/patient", headers=bearer(token)))


def test_a_token_carries_the_audiences_it_was_issued_for(admin_token):
    claims = claims_of(admin_token)
    assert "https://localhost:9300/apis/default/api" in claims["aud"]
    assert "https://localhost:9300/apis/default/fhir" in claims["aud"]
    assert claims["client_id"] and claims["client_id"] not in claims["aud"]


@pytest.mark.parametrize("aud", [
    ["https://localhost:9300/apis/default/fhir"],  # another API of this site
    "https://localhost:9300/apis/second/api",  # the same API of another site
    "https://resource.example/api",
])
def test_a_token_for_another_audience_is_401(client, default_site, admin_token, aud):
    """The same live token (its record stands), re-signed for another resource: refused,
    and the answer says the audience was wrong."""
    token = sign_like(default_site, claims_of(admin_token), aud=aud)
    r = client.get(PATIENTS, headers=bearer(token))
    assert_401(r)
    assert "aud" in r.json()["internalErrors"][0]


def test_a_token_signed_by_another_key_with_the_site_kid_is_401(client, default_site,
                                                               admin_token):
    stranger = RSAKey.generate_key(2048, private=True)
    token = sign_like(default_site, claims_of(admin_token), key=stranger)
    assert_401(client.get(PATIENTS, headers=bearer(token)))


def test_an_unsigned_token_is_401(client, admin_token):
    head = base64.urlsafe_b64encode(json.dumps(
        {"alg": "none", "kid": "x"}).encode()).decode().rstrip("=")
    body = admin_token["access_token"].split(".")[1]
    assert_401(client.get(PATIENTS, headers=bearer(f"{head}.{body}.")))


def test_a_token_of_another_issuer_is_401(client, default_site, admin_token):
    token = sign_like(default_site, claims_of(admin_token),
                      iss="https://evil.example/oauth2/default")
    assert_401(client.get(PATIENTS, headers=bearer(token)))


def test_a_signed_token_never_issued_is_401(client, default_site, admin_token):
    token = sign_like(default_site, claims_of(admin_token), jti="f" * 40)
    assert_401(client.get(PATIENTS, headers=bearer(token)))


def test_a_revoked_token_is_401_at_once(client, app_client):
    token = password_token(client, app_client)
    assert client.get(PATIENTS, headers=bearer(token)).status_code == 200
    r = client.post("/oauth2/default/revoke", data={
        "token": token["access_token"], "client_id": app_client["client_id"],
        "client_secret": app_client["client_secret"]})
    assert r.status_code == 200, r.text
    r = client.get(PATIENTS, headers=bearer(token))
    assert_401(r)
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


def test_a_token_of_another_site_is_401(client, second_token, admin):
    assert client.get("/apis/second/api/patient", headers=bearer(second_token)).status_code == 200
    assert_401(client.get(PATIENTS, headers=bearer(second_token)))
    assert_401(client.get("/apis/second/api/patient", headers=admin))


def test_a_token_of_another_site_cannot_be_introspected_here(client, app_client, second_token):
    r = client.post("/oauth2/default/introspect", data={
        "token": second_token["access_token"], "client_id": app_client["client_id"],
        "client_secret": app_client["client_secret"]})
    assert r.status_code == 200 and r.json() == {"active": False}


def test_sites_have_their_own_keys(client, second_site):
    here = {k["kid"] for k in client.get("/oauth2/default/jwk").json()["keys"]}
    there = {k["kid"] for k in client.get("/oauth2/second/jwk").json()["keys"]}
    assert here and there and not here & there


def test_a_client_of_another_site_is_unknown_here(client, second_client):
    r = client.post("/oauth2/default/token", data={
        "grant_type": "password", "user_role": "users", "username": "admin", "password": "pass",
        "scope": "api:oemr", "client_id": second_client["client_id"],
        "client_secret": second_client["client_secret"]})
    assert r.status_code in (400, 401) and r.json()["error"] == "invalid_client"


def test_the_token_query_parameter_is_not_a_way_in(client, admin_token):
    r = client.get(PATIENTS, params={"access_token": admin_token["access_token"]})
    assert r.status_code in (400, 401), r.text


def test_a_deactivated_users_tokens_stop_working_at_once(client, app_client, default_site):
    username = "leaver_" + secrets.token_hex(4)
    with default_site.db.write() as s:
        s.add(User(username=username, password_hash=hash_password("gone-soon"),
                   acl_group="admin", fname="Lee", lname="Ver",
                   email=f"{username}@example.com"))
    token = password_token(client, app_client, username=username, password="gone-soon",
                           scope="offline_access api:oemr user/patient.read")
    assert client.get(PATIENTS, headers=bearer(token)).status_code == 200

    with default_site.db.write() as s:
        s.execute(update(User).where(User.username == username).values(active=False))
    assert_401(client.get(PATIENTS, headers=bearer(token)))
    again = client.post("/oauth2/default/token", data={
        "grant_type": "password", "user_role": "users", "username": username,
        "password": "gone-soon", "scope": "api:oemr", "client_id": app_client["client_id"],
        "client_secret": app_client["client_secret"]})
    assert again.status_code == 400, again.text
    refreshed = client.post("/oauth2/default/token", data={
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"],
        "client_id": app_client["client_id"], "client_secret": app_client["client_secret"]})
    assert refreshed.status_code == 400, refreshed.text
    assert refreshed.json()["error"] == "invalid_grant"


def test_a_token_not_yet_valid_is_401(client, default_site, admin_token):
    now = int(time.time())
    token = sign_like(default_site, claims_of(admin_token), nbf=now + 3600)
    assert_401(client.get(PATIENTS, headers=bearer(token)))


def test_a_site_sharing_the_database_still_refuses_the_other_sites_token(client, app, admin,
                                                                         admin_token,
                                                                         app_client):
    """Two sites on one database share keys and token records; the issuer (which names
    the site) is what keeps a token to its own site."""
    twin = app.registry.create("twin", database_url=app.registry.database_url("default"))
    assert twin.keys.jwks() == app.registry.get("default").keys.jwks()
    assert_401(client.get("/apis/twin/api/patient", headers=admin))
    # The client row is shared too, so it authenticates there; the token is still not live.
    r = client.post("/oauth2/twin/introspect", data={
        "token": admin_token["access_token"], "client_id": app_client["client_id"],
        "client_secret": app_client["client_secret"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"active": False}
    assert client.get(PATIENTS, headers=admin).status_code == 200
