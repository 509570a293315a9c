"""Two server processes on one site, as `emr-api serve --workers 2` runs them: concurrent
writes through both never answer 500 or lose a row (SQLite: busy timeout and BEGIN
IMMEDIATE), and a token revoked through one is refused by both at the next request."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

WRITERS = 20
EACH = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    data = tmp_path_factory.mktemp("two-workers")
    port = free_port()
    cli = [sys.executable, "-m", "emr_api.cli"]
    env = {**os.environ, "EMR_API_LOG_LEVEL": "warning"}
    env.pop("EMR_API_DATABASE_URL", None)
    subprocess.run(cli + ["init", "--data-dir", str(data)], check=True, env=env,
                   capture_output=True, timeout=120)
    server = subprocess.Popen(
        cli + ["serve", "--http", "--workers", "2", "--port", str(port), "--data-dir", str(data),
               "--public-url", f"http://127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/apis/default/api/version", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=30) as client:
            scope = "openid api:oemr user/patient.read user/patient.write"
            creds = client.post("/oauth2/default/registration", json={
                "client_name": "Two workers", "redirect_uris": ["https://two.example/cb"],
                "scope": scope}).json()
            yield client, creds, scope
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def token(client, creds, scope) -> str:
    r = client.post("/oauth2/default/token", data={
        "grant_type": "password", "user_role": "users", "username": "admin", "password": "pass",
        "client_id": creds["client_id"], "client_secret": creds["client_secret"], "scope": scope})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_concurrent_writers_through_both_workers_lose_nothing(two_workers):
    client, creds, scope = two_workers
    headers = {"Authorization": f"Bearer {token(client, creds, scope)}"}

    def write(writer: int) -> list[int]:
        with httpx.Client(base_url=str(client.base_url), timeout=30) as own:
            return [own.post("/apis/default/api/patient", headers=headers, json={
                "fname": f"Writer{writer}", "lname": "Concurrent", "sex": "Female",
                "DOB": "1991-02-03", "pubpid": f"w{writer}-{n}"}).status_code
                for n in range(EACH)]

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = [s for result in pool.map(write, range(WRITERS)) for s in result]
    assert statuses == [201] * (WRITERS * EACH)
    found = client.get("/apis/default/api/patient", headers=headers,
                       params={"lname": "Concurrent", "_limit": 200}).json()["data"]
    assert sorted(p["pubpid"] for p in found) == sorted(
        f"w{w}-{n}" for w in range(WRITERS) for n in range(EACH))


def test_a_revocation_through_one_worker_holds_in_both(two_workers):
    client, creds, scope = two_workers
    access = token(client, creds, scope)
    headers = {"Authorization": f"Bearer {access}"}
    # Both workers have seen (and may have cached anything about) the live token.
    assert all(client.get("/apis/default/api/patient", headers=headers).status_code == 200
               for _ in range(10))
    r = client.post("/oauth2/default/revoke", data={
        "token": access, "client_id": creds["client_id"], "client_secret": creds["client_secret"]})
    assert r.status_code == 200
    assert [client.get("/apis/default/api/patient", headers=headers).status_code
            for _ in range(20)] == [401] * 20
