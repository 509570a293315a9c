"""Input built to break a server answers 4xx in the API's own shape, never a 500, and
writes nothing: bodies too large (declared or streamed), nested past the parser's depth,
without a media type, and forms past the parser's limits."""

from __future__ import annotations

import json

import anyio
import pytest
from sqlalchemy import func, select

from emr_api.db.models import Patient
from tests.security.conftest import API

PATIENT = b'{"fname": "Hostile", "lname": "Input", "sex": "Female", "DOB": "1990-01-01"}'


def patients(site) -> int:
    with site.db.read() as s:
        return s.execute(select(func.count()).select_from(Patient)).scalar_one()


def assert_envelope(r, status: int):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"validationErrors", "internalErrors", "data"}
    assert body["validationErrors"] or body["internalErrors"]


def test_a_body_declared_larger_than_the_limit_is_413(client, admin, default_site):
    before = patients(default_site)
    big = b'{"fname": "' + b"x" * (2 << 20) + b'", "lname": "Big", "sex": "Male", "DOB": "1990-01-01"}'
    r = client.post(f"{API}/patient", content=big,
                    headers={**admin, "Content-Type": "application/json"})
    assert_envelope(r, 413)
    assert patients(default_site) == before


def asgi_post(app, path: str, headers: dict, chunks: list[bytes]) -> tuple[int, dict]:
    """POST a body in chunks, without Content-Length (as a chunked upload arrives), straight
    to the ASGI app: the test client would send a generator's body as nothing."""
    messages = [{"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
                for i, chunk in enumerate(chunks)]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "http_version": "1.1", "method": "POST", "scheme": "https",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "server": ("localhost", 9300), "client": ("127.0.0.1", 5000),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
             + [(b"host", b"localhost:9300"), (b"transfer-encoding", b"chunked")]}
    anyio.run(app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body)


def test_a_streamed_body_growing_past_the_limit_is_413(app, admin, default_site):
    before = patients(default_site)
    chunks = [b'{"fname": "'] + [b"y" * (64 << 10)] * 40 + [
        b'", "lname": "Stream", "sex": "Male", "DOB": "1990-01-01"}']
    status, body = asgi_post(app, f"{API}/patient", {**admin, "Content-Type": "application/json"},
                             chunks)
    assert status == 413, body
    assert body["internalErrors"] and body["data"] == []
    assert patients(default_site) == before


def test_a_streamed_body_within_the_limit_is_served(app, admin):
    chunks = [b'{"fname": "Ch', b'unk", "lname": "Stream", "sex": "Male", "DOB": "1990-01-01"}']
    status, body = asgi_post(app, f"{API}/patient", {**admin, "Content-Type": "application/json"},
                             chunks)
    assert status == 201, body


def test_a_large_body_within_the_limit_is_parsed_and_validated(client, admin):
    note = b"z" * (600 << 10)  # parsed in the thread pool; too long for the field
    body = PATIENT[:-1] + b', "occupation": "' + note + b'"}'
    r = client.post(f"{API}/patient", content=body,
                    headers={**admin, "Content-Type": "application/json"})
    assert r.status_code == 400 and "occupation" in r.json()["validationErrors"]


@pytest.mark.parametrize("depth", [100_000, 10_000])
def test_json_nested_past_the_parser_is_400(client, admin, default_site, depth):
    before = patients(default_site)
    for deep in (b"[" * depth + b"]" * depth,
                 b'{"fname": ' + b"[" * depth + b"]" * depth + b"}",
                 PATIENT[:-1] + b', "extra": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"):
        if len(deep) > (1 << 20):
            continue
        r = client.post(f"{API}/patient", content=deep,
                        headers={**admin, "Content-Type": "application/json"})
        assert_envelope(r, 400)
    assert patients(default_site) == before


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_body_without_a_content_type_is_415(client, admin, new_patient, method):
    url = f"{API}/patient" if method == "POST" else f"{API}/patient/{new_patient['uuid']}"
    r = client.request(method, url, content=PATIENT, headers=admin)
    assert "content-type" not in {k.lower() for k in r.request.headers}
    assert_envelope(r, 415)


def test_a_huge_form_to_the_token_endpoint_is_413_in_oauth_shape(client):
    r = client.post("/oauth2/default/token", content=b"grant_type=password&username="
                    + b"u" * (20 << 20), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert r.json()["error"] == "invalid_request" and r.json()["error_description"]
    assert r.headers["cache-control"] == "no-store"


def test_a_form_field_past_the_parsers_limit_is_400_in_oauth_shape(client, monkeypatch):
    """The form parser's own limit (1 MiB a field) sits above the body limit; below it,
    a form the parser refuses is still a 400, not a 500."""
    from emr_api.codegen import apis
    from emr_api.codegen.apis import Api

    roomy = Api(**{**apis.BY_NAME["oauth2"].__dict__, "max_body": 4 << 20})
    monkeypatch.setattr(apis, "match", lambda path, real=apis.match: (
        (roomy, real(path)[1]) if real(path) and real(path)[0].name == "oauth2" else real(path)))
    r = client.post("/oauth2/default/token", content=b"grant_type=password&username="
                    + b"u" * (2 << 20), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_request"


NUL = "a\x00b"


@pytest.mark.parametrize("path, form", [
    ("/oauth2/default/token", {"grant_type": "password", "client_id": NUL, "username": "admin",
                               "password": "pass", "user_role": "users", "scope": "openid"}),
    ("/oauth2/default/token", {"grant_type": "password", "client_id": "x", "username": NUL,
                               "password": "pass", "user_role": "users", "scope": "openid"}),
    ("/oauth2/default/revoke", {"client_id": NUL, "client_secret": NUL, "token": "t"}),
    ("/oauth2/default/introspect", {"client_id": "x", "client_secret": "y", "token": NUL}),
    ("/oauth2/default/authorize/login", {"username": NUL, "password": "pass", "ticket": "t"}),
])
def test_nul_in_an_oauth_form_is_400_never_500(client, path, form):
    # PostgreSQL cannot hold U+0000: it must never reach a query.
    r = client.post(path, data=form)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_request"


def test_nul_in_a_basic_client_id_is_401_invalid_client(client):
    r = client.post("/oauth2/default/revoke", data={"token": "t"},
                    auth=(NUL, "secret"))
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client"


def test_nul_in_a_registration_is_invalid_client_metadata(client):
    r = client.post("/oauth2/default/registration", json={
        "application_type": "private", "client_name": NUL,
        "redirect_uris": ["https://app.example.org/cb"], "scope": "openid api:oemr"})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_client_metadata"


def test_nul_in_the_authorize_query_is_400(client):
    r = client.get("/oauth2/default/authorize", params={
        "response_type": "code", "client_id": NUL, "redirect_uri": "https://a.example/cb",
        "scope": "openid", "state": "s"})
    assert r.status_code == 400, r.text


@pytest.mark.parametrize("path, body", [
    ("/apis/default/api/patient", {"fname": "\ud800", "lname": "Lone", "sex": "Male",
                                   "DOB": "1990-01-01"}),
    ("/apis/default/api/facility", {"name": "Lone \udfff", "facility_npi": "1234567890"}),
])
def test_a_lone_surrogate_in_json_text_is_400_naming_the_field(client, admin, path, body):
    # JSON may escape one (\ud800); no database encoding can store it.
    r = client.post(path, content=json.dumps(body), headers={**admin,
                                                             "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert set(r.json()["validationErrors"]) & {"fname", "name"}
