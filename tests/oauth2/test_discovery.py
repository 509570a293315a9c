"""Discovery and the JWKS: the metadata names every endpoint of this site's issuer, and
the published key verifies the access and id tokens the token endpoint signs."""

from __future__ import annotations

import time

import pytest
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from tests.conftest import BASE_URL, password_token

ISSUER = f"{BASE_URL}/oauth2/default"


@pytest.fixture(scope="module")
def metadata(client) -> dict:
    r = client.get("/oauth2/default/.well-known/openid-configuration")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def key_set(client) -> tuple[dict, KeySet]:
    r = client.get("/oauth2/default/jwk")
    assert r.status_code == 200, r.text
    published = r.json()
    return published, KeySet.import_key_set(published)


def test_discovery_names_every_endpoint_of_the_issuer(metadata):
    assert metadata["issuer"] == ISSUER
    expected = {
        "authorization_endpoint": "/authorize",
        "token_endpoint": "/token",
        "jwks_uri": "/jwk",
        "userinfo_endpoint": "/userinfo",
        "registration_endpoint": "/registration",
        "introspection_endpoint": "/introspect",
        "revocation_endpoint": "/revoke",
        "end_session_endpoint": "/logout",
    }
    for field, suffix in expected.items():
        assert metadata[field] == ISSUER + suffix, field


def test_discovery_advertises_s256_only_and_the_scope_catalogue(metadata):
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    supported = set(metadata["scopes_supported"])
    for scope in ("openid", "offline_access", "api:oemr", "api:fhir", "api:port",
                  "user/patient.read", "user/patient.write", "user/patient.rs",
                  "user/patient.c"):
        assert scope in supported, scope
    assert "password" in metadata["grant_types_supported"]  # the test site turned it on
    assert "refresh_token" in metadata["grant_types_supported"]


def test_discovery_endpoints_answer_on_the_advertised_paths(client, metadata):
    jwk_path = metadata["jwks_uri"].removeprefix(BASE_URL)
    assert client.get(jwk_path).status_code == 200
    # The token endpoint exists (an empty grant is an OAuth2 error, not a 404).
    r = client.post(metadata["token_endpoint"].removeprefix(BASE_URL),
                    data={"grant_type": "password"})
    assert r.status_code in (400, 401) and "error" in r.json()


def test_jwks_publishes_only_public_rsa_keys(key_set):
    published, _ = key_set
    assert published["keys"], "no keys published"
    for key in published["keys"]:
        assert key["kty"] == "RSA" and key["kid"] and key["use"] == "sig"
        for private_part in ("d", "p", "q", "dp", "dq", "qi"):
            assert private_part not in key


def test_the_published_key_verifies_an_access_token(client, app_client, key_set):
    published, keys = key_set
    token = password_token(client, app_client, scope="openid api:oemr user/patient.read")
    access = token["access_token"]
    header = jws.extract_compact(access.encode()).protected
    assert header["alg"] == "RS256"
    assert header["kid"] in {k["kid"] for k in published["keys"]}

    claims = jwt.decode(access, keys, algorithms=["RS256"]).claims
    assert claims["iss"] == ISSUER
    assert claims["scope"] == token["scope"]
    assert claims["jti"]
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - time.time()) < 60


def test_a_tampered_access_token_fails_verification(client, app_client, key_set):
    _, keys = key_set
    access = password_token(client, app_client, scope="api:oemr user/patient.read")["access_token"]
    head, payload, signature = access.split(".")
    forged = f"{head}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    with pytest.raises(JoseError):
        jwt.decode(forged, keys, algorithms=["RS256"])


def test_the_published_key_verifies_the_id_token(client, app_client, key_set):
    _, keys = key_set
    token = password_token(client, app_client, scope="openid api:oemr")
    header = jws.extract_compact(token["id_token"].encode()).protected
    assert header["kid"]
    claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == app_client["client_id"]
    assert claims["sub"] and claims["exp"] > time.time()


def test_discovery_of_an_unknown_site_is_404(client):
    r = client.get("/oauth2/no-such-site/.well-known/openid-configuration")
    assert r.status_code == 404
    assert r.json()["error"]
