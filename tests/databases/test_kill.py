"""SIGKILL under load loses no audit row of an answered request: the server commits a
request's row before the response completes, so every response a client received has its
row, however abruptly the server dies (SQLite, PostgreSQL and MariaDB)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
from sqlalchemy import create_engine, select

from emr_api.db.models import AuditLog
from tests.conftest import server_database
from tests.databases.test_two_workers import free_port

CLIENTS = 8
LOAD_SECONDS = 1.5


def test_sigkill_under_load_loses_no_answered_row(db_kind, tmp_path):
    with server_database(db_kind) as url:
        data = tmp_path / "data"
        port = free_port()
        cli = [sys.executable, "-m", "emr_api.cli"]
        database = ["--database-url", url] if url else []
        env = {**os.environ, "EMR_API_LOG_LEVEL": "warning"}
        subprocess.run(cli + ["init", "--data-dir", str(data), *database], check=True, env=env,
                       capture_output=True, timeout=120)
        server = subprocess.Popen(
            cli + ["serve", "--http", "--port", str(port), "--data-dir", str(data), *database],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        answered: list[str] = []
        try:
            headers, puuid = _ready(base)
            stop = threading.Event()

            def load():
                with httpx.Client(base_url=base, timeout=10) as client:
                    while not stop.is_set():
                        for path, auth in ((f"/apis/default/api/patient/{puuid}", headers),
                                           ("/apis/default/api/version", {})):
                            try:
                                r = client.get(path, headers=auth)
                            except httpx.HTTPError:
                                return  # the server is gone
                            answered.append(r.headers["x-request-id"])

            threads = [threading.Thread(target=load) for _ in range(CLIENTS)]
            for t in threads:
                t.start()
            time.sleep(LOAD_SECONDS)
            os.killpg(server.pid, signal.SIGKILL)
            stop.set()
            for t in threads:
                t.join(30)
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(30)

        assert len(answered) > 50, "the load did not get going"
        engine = create_engine(url or f"sqlite:///{data / 'sites' / 'default' / 'emr.sqlite'}")
        try:
            with engine.connect() as conn:
                audited = set(conn.execute(select(AuditLog.request_id)).scalars())
        finally:
            engine.dispose()
        lost = [rid for rid in answered if rid not in audited]
        assert lost == [], f"{len(lost)} of {len(answered)} answered requests have no audit row"


def _ready(base: str) -> tuple[dict, str]:
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=base, timeout=10) as client:
        while True:
            try:
                if client.get("/apis/default/api/version").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        scope = "api:oemr user/patient.read"
        creds = client.post("/oauth2/default/registration", json={
            "client_name": "Kill", "redirect_uris": ["https://kill.example/cb"],
            "scope": scope}).json()
        token = client.post("/oauth2/default/token", data={
            "grant_type": "password", "user_role": "users", "username": "admin",
            "password": "pass", "client_id": creds["client_id"],
            "client_secret": creds["client_secret"], "scope": scope}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        puuid = client.get("/apis/default/api/patient", headers=headers,
                           params={"_limit": 1}).json()["data"][0]["uuid"]
        return headers, puuid
