"""The site edge: an unknown site is a 404 before any auth, in the API's error shape; a
name outside [A-Za-z0-9_-]{1,63} never reaches the file system; API switches."""

from __future__ import annotations

import os

import pytest

from emr_api.sites import valid_site_name


def tree(root) -> set[str]:
    return {os.path.relpath(os.path.join(d, n), root)
            for d, dirs, files in os.walk(root) for n in dirs + files}


@pytest.fixture()
def unchanged_data_dir(app):
    """Asserts that the test created nothing under the data folder."""
    root = app.settings.data_dir
    before = tree(root)
    yield
    created = {p for p in tree(root) - before
               if not p.endswith(("-wal", "-shm", "-journal"))}
    assert not created, created


def test_an_unknown_site_is_404_before_auth(client, unchanged_data_dir):
    r = client.get("/apis/nosuchsite/api/patient")
    assert r.status_code == 404, r.text
    assert "www-authenticate" not in r.headers
    body = r.json()
    assert body["data"] == [] and "nosuchsite" in body["internalErrors"][0]


def test_an_unknown_site_with_a_token_is_still_404(client, admin):
    r = client.get("/apis/nosuchsite/api/patient", headers=admin)
    assert r.status_code == 404, r.text


def test_an_unknown_site_answers_in_each_apis_shape(client, unchanged_data_dir):
    oauth = client.post("/oauth2/nosuchsite/token", data={"grant_type": "password"})
    assert oauth.status_code == 404
    assert oauth.json()["error"] and oauth.json()["error_description"]
    fhir = client.get("/apis/nosuchsite/fhir/Patient")
    assert fhir.status_code == 404
    assert fhir.json()["resourceType"] == "OperationOutcome"
    assert fhir.headers["content-type"].startswith("application/fhir+json")


BAD_NAMES = [
    "bad.name",
    "a" * 64,
    "..",
    "%2e%2e",
    "..%2f..%2fetc",
    "a%20b",
    "a%00b",
    "default%2f..",
    "%C3%A9t%C3%A9",
    "*",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_bad_site_name_is_404_and_touches_nothing(client, admin, name, unchanged_data_dir):
    for path in (f"/apis/{name}/api/patient", f"/oauth2/{name}/.well-known/openid-configuration",
                 f"/oauth2/{name}/registration"):
        r = client.get(path, headers=admin) if "registration" not in path else client.post(
            path, json={"client_name": "x", "redirect_uris": ["https://x.example/cb"]})
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert "Traceback" not in r.text


def test_the_longest_valid_name_is_only_unknown(client, unchanged_data_dir):
    name = "a" * 63
    assert valid_site_name(name) and not valid_site_name(name + "a")
    r = client.get(f"/apis/{name}/api/patient")
    assert r.status_code == 404
    assert name in r.json()["internalErrors"][0]


@pytest.mark.parametrize("name", ["bad.name", "a" * 64, "../x", "", "a/b", "é"])
def test_the_registry_refuses_bad_names(app, name, unchanged_data_dir):
    assert not app.registry.exists(name)
    with pytest.raises(ValueError):
        app.registry.create(name)


def test_a_path_outside_any_api_is_404(client):
    assert client.get("/apis/default/nosuchapi/patient").status_code == 404
    assert client.get("/somewhere/else").status_code == 404


def test_a_turned_off_api_is_404_on_that_site_only(client, admin, second_site, second_token):
    second_site.set_global("rest_api", "0")
    try:
        r = client.get("/apis/second/api/patient", headers={
            "Authorization": f"Bearer {second_token['access_token']}"})
        assert r.status_code == 404, r.text
        assert client.get("/apis/default/api/patient", headers=admin).status_code == 200
    finally:
        second_site.set_global("rest_api", "1")
    r = client.get("/apis/second/api/patient", headers={
        "Authorization": f"Bearer {second_token['access_token']}"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("site_name", ["default", "second"])
def test_each_sites_served_document_names_its_own_token_endpoint(client, second_site, site_name):
    """Swagger UI's "Authorize" on any site must get tokens that site accepts."""
    doc = client.get(f"/apis/{site_name}/api/openapi.json").json()
    assert doc["servers"][0]["url"].endswith(f"/apis/{site_name}/api")
    flow = doc["components"]["securitySchemes"]["oauth"]["flows"]["password"]
    assert flow["tokenUrl"] == f"https://localhost:9300/oauth2/{site_name}/token"
    assert flow["refreshUrl"] == f"https://localhost:9300/oauth2/{site_name}/token"
    oauth_doc = client.get(f"/oauth2/{site_name}/openapi.json").json()
    oauth_flow = oauth_doc["components"]["securitySchemes"]["oauth"]["flows"]["password"]
    assert oauth_flow["tokenUrl"] == f"https://localhost:9300/oauth2/{site_name}/token"
