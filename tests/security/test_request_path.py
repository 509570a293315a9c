"""What the hot path may skip and what it may not: a request's database work is one
connection on its site's own threads; a verified token is not verified again, but still
expires and still needs the key that signed it; Connexion's per-operation work is done once."""

from __future__ import annotations

import threading
import time

import anyio
import pytest
from connexion.decorators import StarletteDecorator
from sqlalchemy import event

from emr_api.auth import tokens
from emr_api.auth.tokens import InvalidToken, audience_of, verify_signature
from emr_api.codegen.apis import BY_NAME
from emr_api.server.resolver import SiteThreads, offloaded
from emr_api.settings import Settings
from tests.conftest import bearer, password_token
from tests.security.conftest import API


class Checkouts:
    """Pool checkouts of a site's engine, by the thread that made them."""

    def __init__(self, engine):
        self.engine = engine
        self.threads: list[str] = []

    def _checkout(self, *_):
        self.threads.append(threading.current_thread().name)

    def __enter__(self):
        event.listen(self.engine, "checkout", self._checkout)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "checkout", self._checkout)

    def by_handlers(self, site: str) -> list[str]:
        return [name for name in self.threads if name.startswith(f"emr-{site}")]


@pytest.fixture()
def site(app):
    return app.registry.get("default")


def test_a_read_is_one_connection_for_the_token_and_the_record(client, admin, new_patient,
                                                               site):
    with Checkouts(site.db.engine) as seen:
        r = client.get(f"{API}/patient/{new_patient['uuid']}", headers=admin)
    assert r.status_code == 200, r.text
    assert len(seen.by_handlers("default")) == 1, seen.threads


def test_a_write_is_one_connection_for_the_token_and_the_change(client, admin, site):
    body = {"fname": "Grace", "lname": "Hopper", "sex": "Female", "DOB": "1906-12-09"}
    with Checkouts(site.db.engine) as seen:
        r = client.post(f"{API}/patient", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert len(seen.by_handlers("default")) == 1, seen.threads


def test_each_site_works_on_threads_of_its_own(client, second_site, second_token):
    with Checkouts(second_site.db.engine) as seen:
        r = client.get("/apis/second/api/patient", headers=bearer(second_token))
    assert r.status_code == 200, r.text
    assert seen.by_handlers("second") and not seen.by_handlers("default"), seen.threads


def test_a_cached_token_still_expires(site, admin_token, monkeypatch):
    audience = audience_of(site, BY_NAME["standard"])
    claims = verify_signature(site, admin_token["access_token"], audience)
    assert verify_signature(site, admin_token["access_token"], audience) is claims  # cached
    later = claims["exp"] + tokens.LEEWAY_SECONDS + 1
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    with pytest.raises(InvalidToken):
        verify_signature(site, admin_token["access_token"], audience)


def test_a_cached_token_needs_the_key_that_signed_it(site, client, app_client, monkeypatch):
    token = password_token(client, app_client)["access_token"]
    audience = audience_of(site, BY_NAME["standard"])
    verify_signature(site, token, audience)
    monkeypatch.setattr(site.keys, "public_key", lambda kid: None)  # the key was removed
    with pytest.raises(InvalidToken):
        verify_signature(site, token, audience)


def test_a_cached_token_is_checked_for_each_audience(site, admin_token):
    verify_signature(site, admin_token["access_token"], audience_of(site, BY_NAME["standard"]))
    with pytest.raises(InvalidToken):
        verify_signature(site, admin_token["access_token"], "https://elsewhere.example/fhir")


def test_connexion_decorates_an_operation_once_not_per_request(client, admin, monkeypatch):
    assert client.get(f"{API}/facility", headers=admin).status_code == 200  # built here
    calls = []
    original = StarletteDecorator.decorate
    monkeypatch.setattr(StarletteDecorator, "decorate",
                        lambda self, fn: calls.append(fn) or original(self, fn))
    for _ in range(3):
        assert client.get(f"{API}/facility", headers=admin).status_code == 200
    assert calls == []


def test_work_still_queued_at_its_deadline_never_runs():
    threads = SiteThreads(1)
    started = []

    def handler(name, seconds):
        started.append(name)
        time.sleep(seconds)
        return name

    async def both():
        slow = offloaded(handler, deadline=5, retries=0, threads=threads)
        hurried = offloaded(handler, deadline=0.2, retries=0, threads=threads)
        async with anyio.create_task_group() as tg:
            tg.start_soon(slow, "slow", 0.6)
            await anyio.sleep(0.05)
            with pytest.raises(TimeoutError):
                await hurried("queued", 0)

    try:
        anyio.run(both)
    finally:
        threads.close()
    assert started == ["slow"]


def test_threads_are_a_setting_of_at_least_one():
    assert Settings.from_env({"EMR_API_THREADS": "2"}).threads == 2
    assert Settings.from_env({}).threads == 4
    with pytest.raises(ValueError):
        SiteThreads(0)
