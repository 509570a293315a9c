"""A database that refuses connections or stalls: every request still gets an answer
within seconds, in its API's own shape (503 with Retry-After where the database was
needed), what needs no database keeps being served, and all works again once the
database is back. PostgreSQL and MariaDB, each behind a TCP proxy the test controls."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from emr_api.settings import Settings
from tests.conftest import (
    BASE_URL,
    bearer,
    demo_app,
    password_token,
    register_client,
    server_database,
)
from tests.databases.tcp_proxy import TcpProxy

DB_TIMEOUT = 2.0
# A generous bound on any answer while the database misbehaves (it would otherwise wait
# as long as the database does).
PATIENCE = 4 * DB_TIMEOUT + 4


@pytest.fixture(scope="module")
def flaky(db_kind, tmp_path_factory):
    if db_kind == "sqlite":
        pytest.skip("a file database neither refuses nor stalls")
    with server_database(db_kind) as url:
        real = make_url(url)
        proxy = TcpProxy((real.host, real.port or {"postgresql": 5432}.get(db_kind, 3306)))
        proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        settings = Settings(data_dir=tmp_path_factory.mktemp("faults"), database_url=proxied,
                            public_url=BASE_URL, db_timeout=DB_TIMEOUT)
        app = demo_app(settings)
        try:
            with TestClient(app, base_url=BASE_URL) as client:
                creds = register_client(client)
                token = bearer(password_token(client, creds))
                yield proxy, client, creds, token
        finally:
            proxy.close()
            app.close()


def timed(call):
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def assert_unavailable_envelope(r):
    assert r.status_code == 503, r.text
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["internalErrors"] and r.json()["data"] == []
    assert r.headers["x-request-id"]


def test_a_refusing_database(flaky):
    proxy, client, creds, token = flaky
    assert client.get("/apis/default/api/patient", headers=token).status_code == 200
    proxy.refuse()
    try:
        r, took = timed(lambda: client.get("/apis/default/api/patient", headers=token))
        assert_unavailable_envelope(r)
        assert took < PATIENCE
        # What needs no database is served as before.
        assert client.get("/apis/default/api/version").status_code == 200
        assert client.get("/oauth2/default/.well-known/openid-configuration").status_code == 200
        # The OAuth2 endpoints answer in their own shape.
        r = client.post("/oauth2/default/token", data={
            "grant_type": "password", "user_role": "users", "username": "admin",
            "password": "pass", "client_id": creds["client_id"],
            "client_secret": creds["client_secret"], "scope": "api:oemr"})
        assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"
        assert r.headers["retry-after"]
    finally:
        proxy.forward()
    assert client.get("/apis/default/api/patient", headers=token).status_code == 200


def test_a_stalling_database(flaky):
    proxy, client, creds, token = flaky
    assert client.get("/apis/default/api/patient", headers=token).status_code == 200
    proxy.stall()
    try:
        r, took = timed(lambda: client.get("/apis/default/api/patient", headers=token))
        assert_unavailable_envelope(r)
        assert took < PATIENCE
        r, took = timed(lambda: client.get("/apis/default/api/version"))
        assert r.status_code == 200 and took < PATIENCE
    finally:
        proxy.forward()
    deadline = time.monotonic() + 30
    while client.get("/apis/default/api/patient", headers=token).status_code != 200:
        assert time.monotonic() < deadline, "the server did not recover"
        time.sleep(0.5)


def test_a_write_refused_by_the_database_writes_nothing(flaky):
    proxy, client, creds, token = flaky
    body = {"fname": "Fault", "lname": "Tolerant", "sex": "Male", "DOB": "1980-01-01"}
    proxy.refuse()
    try:
        r = client.post("/apis/default/api/patient", json=body, headers=token)
        assert_unavailable_envelope(r)
    finally:
        proxy.forward()
    found = client.get("/apis/default/api/patient", params={"lname": "Tolerant"}, headers=token)
    assert found.status_code == 200 and found.json()["data"] == []
