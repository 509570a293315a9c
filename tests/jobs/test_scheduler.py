"""The background runner: due services run with nobody calling the API, on every site (one
no request has opened included), in threads of its own (the event loop keeps answering),
one check per site at a time; a site that fails is logged and the runner goes on; the
server's lifespan starts and stops it, and only when the settings ask for it."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from emr_api.db.models import BackgroundService, utcnow
from emr_api.jobs.scheduler import Scheduler
from emr_api.server.app import create_app
from emr_api.services import background
from emr_api.settings import Settings
from emr_api.sites import SiteRegistry
from tests.conftest import BASE_URL, server_database

NAMES = ("oauth_token_cleanup", "export_file_expiry", "audit_check")


@pytest.fixture()
def settings(db_kind, tmp_path):
    with server_database(db_kind) as url:
        yield Settings(data_dir=tmp_path, database_url=url, public_url=BASE_URL)


@pytest.fixture()
def registry(settings):
    opened = SiteRegistry(settings)
    yield opened
    opened.close()


def last_runs(site) -> dict:
    with site.db.read() as s:
        return {row.name: row.last_status for row in s.query(BackgroundService)}


def make_due(site) -> None:
    with site.db.write() as s:
        s.execute(update(BackgroundService).values(next_run=utcnow() - timedelta(minutes=1)))


def test_a_check_runs_every_sites_due_services_even_one_not_yet_opened(settings):
    setup = SiteRegistry(settings)
    setup.create("second")
    setup.close()
    registry = SiteRegistry(settings)
    scheduler = Scheduler(registry, interval=60)

    async def check():
        started = await scheduler.check()
        return await asyncio.gather(*started)

    try:
        assert registry.opened("second") is None
        outcomes = asyncio.run(check())
        assert [[o.status for o in site] for site in outcomes] == [["executed"] * 3] * 2
        for name in ("default", "second"):
            assert last_runs(registry.get(name)) == dict.fromkeys(NAMES, "ok")
    finally:
        scheduler.close()
        registry.close()


def test_the_runner_checks_on_its_own_and_stops_cleanly(registry):
    site = registry.get("default")
    scheduler = Scheduler(registry, interval=0.05)

    async def lifetime():
        scheduler.start()
        assert scheduler.running
        for _ in range(200):  # up to ten seconds
            if None not in last_runs(site).values():
                break
            await asyncio.sleep(0.05)
        await scheduler.stop()

    asyncio.run(lifetime())
    assert last_runs(site) == dict.fromkeys(NAMES, "ok")
    assert not scheduler.running
    make_due(site)
    time.sleep(0.3)
    with site.db.read() as s:  # stopped: nothing ran again
        assert all(row.next_run < utcnow() for row in s.query(BackgroundService))


def test_a_check_never_blocks_the_event_loop(registry, monkeypatch):
    """The jobs run on the runner's own threads, never on the event loop's: the loop goes
    on turning while a job works (shown by the thread the job ran on, not by timing)."""
    ran_on: list[int] = []
    monkeypatch.setitem(background.JOBS, "check_audit_log",
                        lambda site, deadline: ran_on.append(threading.get_ident()) or "ok")
    registry.get("default")
    scheduler = Scheduler(registry, interval=60)

    async def check() -> int:
        started = await scheduler.check()
        while not all(f.done() for f in started):
            await asyncio.sleep(0.01)  # the loop turns while the check runs elsewhere
        return threading.get_ident()

    try:
        loop_thread = asyncio.run(check())
    finally:
        scheduler.close()
    assert ran_on and loop_thread not in ran_on


def test_a_site_still_being_checked_is_not_checked_again(registry, monkeypatch):
    release = threading.Event()
    monkeypatch.setitem(background.JOBS, "check_audit_log",
                        lambda site, deadline: release.wait(10) and "held")
    scheduler = Scheduler(registry, interval=60)

    async def checks():
        first = await scheduler.check()
        second = await scheduler.check()
        release.set()
        outcomes = await asyncio.gather(*first)
        make_due(registry.get("default"))
        third = await scheduler.check()
        await asyncio.gather(*third)
        return len(first), len(second), len(third), outcomes

    try:
        first, second, third, outcomes = asyncio.run(checks())
    finally:
        scheduler.close()
    assert (first, second, third) == (1, 0, 1)
    assert outcomes[0][-1] == background.Outcome("audit_check", "executed", "held")


def test_a_site_that_fails_is_logged_and_the_others_still_run(registry, monkeypatch, caplog):
    registry.create("broken")
    opened = registry.get

    def get(name):
        if name == "broken":
            raise OSError("database unreachable")
        return opened(name)

    monkeypatch.setattr(registry, "get", get)
    scheduler = Scheduler(registry, interval=60)

    async def check():
        return await asyncio.gather(*await scheduler.check())

    try:
        with caplog.at_level(logging.ERROR, logger="emr_api.jobs"):
            outcomes = asyncio.run(check())
    finally:
        scheduler.close()
    assert sorted(len(site) for site in outcomes) == [0, 3]
    assert "background services of site broken not checked" in caplog.text


def test_the_server_runs_the_runner_for_its_lifespan(settings):
    app = create_app(settings.with_(background_interval=0.05))
    site = app.registry.get("default")
    try:
        with TestClient(app, base_url=BASE_URL):
            assert app.scheduler.running
            for _ in range(200):
                if None not in last_runs(site).values():
                    break
                time.sleep(0.05)
        assert not app.scheduler.running
        assert last_runs(site) == dict.fromkeys(NAMES, "ok")
    finally:
        app.close()


def test_no_runner_unless_the_settings_ask(tmp_path):
    assert Settings().background_interval == 0
    assert Settings.from_env({}).background_interval == 60
    assert Settings.from_env({"EMR_API_BACKGROUND_INTERVAL": "0"}).background_interval == 0
    app = create_app(Settings(data_dir=tmp_path))
    try:
        assert app.scheduler is None
        with TestClient(app, base_url=BASE_URL) as client:
            assert client.get("/apis/default/api/version").status_code == 200
    finally:
        app.close()
    with pytest.raises(ValueError):
        Scheduler(SiteRegistry(Settings(data_dir=tmp_path)), interval=0)
