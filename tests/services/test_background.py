"""Background services with no HTTP, on each database: one worker at a time (the claim is a
compare-and-set in the database, and a claim whose lease lapsed is taken over, but never
released by the worker that lost it), what is due and what is not, the time budget, and
each job doing its real work: expired tokens and codes go while what revocation needs
stays, expired export files go and nothing outside the export folder is touched, and the
audit log check tells a healthy log from a stalled one."""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from emr_api.auth import tokens
from emr_api.cli import demo
from emr_api.db.models import (
    AuditLog,
    BackgroundService,
    OAuthAccessToken,
    OAuthAuthorizationCode,
    OAuthRefreshToken,
    utcnow,
)
from emr_api.errors import NotFound
from emr_api.services import background
from emr_api.settings import Settings
from emr_api.sites import SiteRegistry
from tests.conftest import server_database

SERVICE = "test_service"  # a service of these tests' own, running the job they give it


@pytest.fixture(scope="module")
def site(db_kind, tmp_path_factory):
    with server_database(db_kind) as url:
        registry = SiteRegistry(Settings(data_dir=tmp_path_factory.mktemp("background"),
                                         database_url=url))
        try:
            yield registry.get("default")
        finally:
            registry.close()


@pytest.fixture()
def job(site, monkeypatch):
    """The test service (due, active, every 60 minutes) and its job: a list the test may
    fill with a callable (site, deadline) -> message; by default it answers "done"."""
    steps: list = []

    def run_test_job(site_, deadline):
        return steps.pop(0)(site_, deadline) if steps else "done"

    monkeypatch.setitem(background.JOBS, "test_job", run_test_job)
    with site.db.write() as s:
        s.add(BackgroundService(name=SERVICE, title="Test", active=True, running=False,
                                next_run=utcnow() - timedelta(minutes=1), execute_interval=60,
                                function="test_job", sort_order=99))
    yield steps
    with site.db.write() as s:
        s.execute(delete(BackgroundService).where(BackgroundService.name == SERVICE))


def service(site, name=SERVICE) -> BackgroundService:
    with site.db.read() as s:
        return s.get(BackgroundService, name)


def change(site, name=SERVICE, **values) -> None:
    with site.db.write() as s:
        s.execute(update(BackgroundService).where(BackgroundService.name == name)
                  .values(**values))


# --- claiming and running -------------------------------------------------------------------

def test_a_due_service_runs_and_records_its_outcome(site, job):
    before = utcnow().replace(microsecond=0)
    outcome = background.run(site, SERVICE)
    assert outcome == background.Outcome(SERVICE, background.EXECUTED, "done")
    row = service(site)
    assert (row.running, row.lock_owner, row.lock_expires_at) == (False, None, None)
    assert (row.last_status, row.last_message) == ("ok", "done")
    assert before <= row.last_run_start <= row.last_run_end
    assert row.next_run >= before + timedelta(minutes=60)


def test_a_service_not_due_runs_only_when_forced(site, job):
    change(site, next_run=utcnow() + timedelta(hours=1))
    outcome = background.run(site, SERVICE)
    assert outcome.status == background.NOT_DUE and outcome.message.startswith("next run at ")
    assert service(site).last_status is None
    assert background.run(site, SERVICE, force=True).status == background.EXECUTED


def test_inactive_and_on_demand_services(site, job):
    change(site, execute_interval=0)
    assert background.run(site, SERVICE).status == background.SKIPPED
    assert background.run(site, SERVICE, force=True).status == background.EXECUTED
    change(site, active=False)
    assert background.run(site, SERVICE, force=True) == background.Outcome(
        SERVICE, background.SKIPPED, "inactive")


def test_an_unknown_service_is_not_found(site):
    with pytest.raises(NotFound):
        background.run(site, "no_such_service")


def test_a_service_held_by_a_live_claim_is_already_running(site, job):
    held = utcnow() + timedelta(minutes=5)
    change(site, running=True, lock_owner="another-worker", lock_expires_at=held)
    assert background.run(site, SERVICE, force=True).status == background.ALREADY_RUNNING
    row = service(site)
    assert (row.running, row.lock_owner) == (True, "another-worker")
    assert background.is_running(row)


def test_a_claim_whose_lease_lapsed_is_taken_over(site, job):
    """A worker that died leaves its mark: after the lease it no longer counts."""
    change(site, running=True, lock_owner="dead-worker",
           lock_expires_at=utcnow() - timedelta(seconds=1))
    assert not background.is_running(service(site))
    assert background.run(site, SERVICE).status == background.EXECUTED
    row = service(site)
    assert (row.running, row.lock_owner, row.last_status) == (False, None, "ok")


def test_two_workers_never_run_a_service_at_once(site, job):
    started, release, inside, most = threading.Event(), threading.Event(), [0], [0]

    def slow(site_, deadline):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        started.set()
        release.wait(10)
        inside[0] -= 1
        return "slow"

    job.append(slow)
    outcomes: list = []
    first = threading.Thread(target=lambda: outcomes.append(background.run(site, SERVICE)))
    first.start()
    assert started.wait(10)
    others = [threading.Thread(target=lambda: outcomes.append(
        background.run(site, SERVICE, force=True))) for _ in range(3)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join(10)
    release.set()
    first.join(10)
    assert sorted(o.status for o in outcomes) == [background.ALREADY_RUNNING] * 3 + [
        background.EXECUTED]
    assert most[0] == 1


def test_the_claim_is_a_compare_and_set(site, job, monkeypatch):
    """Workers that all read the service as free race for it in the database: one wins."""
    monkeypatch.setattr(background, "_refusal", lambda row, now, force: None)
    job.append(lambda site_, deadline: time.sleep(0.5) or "won")
    gate = threading.Barrier(4)
    outcomes: list = []

    def worker():
        gate.wait(10)
        outcomes.append(background.run(site, SERVICE))

    workers = [threading.Thread(target=worker) for _ in range(4)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(20)
    assert sorted((o.status, o.message) for o in outcomes) == [
        (background.ALREADY_RUNNING, "another worker claimed it first")] * 3 + [
        (background.EXECUTED, "won")]


def test_the_worker_that_lost_its_claim_does_not_release_the_new_one(site, job):
    """A worker that hangs past its lease and then finishes must not record its outcome
    over the run that took the service over, nor end that run's claim."""
    started, release = threading.Event(), threading.Event()

    def hanging(site_, deadline):
        started.set()
        release.wait(10)
        return "late"

    def taking_over(site_, deadline):
        assert background.is_running(service(site))  # its own claim, live
        return "took over"

    job.extend([hanging, taking_over])
    late: list = []
    first = threading.Thread(target=lambda: late.append(background.run(site, SERVICE)))
    first.start()
    assert started.wait(10)
    change(site, lock_expires_at=utcnow() - timedelta(seconds=1))
    assert background.run(site, SERVICE, force=True).message == "took over"
    release.set()
    first.join(10)
    assert late[0].message == "late"
    row = service(site)
    assert (row.last_message, row.running, row.lock_owner) == ("took over", False, None)


def test_a_failing_job_is_an_error_with_its_message_and_is_released(site, job):
    def broken(site_, deadline):
        raise RuntimeError("secret detail")

    def finding(site_, deadline):
        raise background.JobFailed("found a problem")

    job.extend([finding, broken])
    assert background.run(site, SERVICE) == background.Outcome(
        SERVICE, background.ERROR, "found a problem")
    outcome = background.run(site, SERVICE, force=True)
    assert outcome.status == background.ERROR
    assert outcome.message == "failed (RuntimeError); see the server log"  # no detail leaks
    row = service(site)
    assert (row.running, row.last_status, row.last_message) == (False, "error", outcome.message)


def test_a_service_naming_no_job_is_an_error(site, job):
    change(site, function="no_such_job")
    outcome = background.run(site, SERVICE)
    assert outcome.status == background.ERROR and "no_such_job" in outcome.message


def test_run_due_runs_what_is_due_in_order_and_says_why_not_the_rest(site, job):
    for name in ("oauth_token_cleanup", "export_file_expiry", "audit_check"):
        change(site, name, next_run=utcnow() + timedelta(hours=1))
    change(site, "export_file_expiry", next_run=utcnow() - timedelta(minutes=1))
    change(site, "audit_check", active=False)
    try:
        outcomes = background.run_due(site)
    finally:
        change(site, "audit_check", active=True)
    assert [(o.name, o.status) for o in outcomes] == [
        ("oauth_token_cleanup", background.NOT_DUE),
        ("export_file_expiry", background.EXECUTED),
        ("audit_check", background.SKIPPED),
        (SERVICE, background.EXECUTED),
    ]


def test_run_due_stops_starting_services_when_its_budget_is_spent(site, job):
    for name in ("oauth_token_cleanup", "export_file_expiry", "audit_check"):
        change(site, name, next_run=utcnow() - timedelta(minutes=1))
    job.append(lambda s, d: time.sleep(0.3) or "slow")
    change(site, sort_order=1)  # first of all
    outcomes = background.run_due(site, budget=0.2)
    assert [(o.name, o.status) for o in outcomes][:2] == [
        (SERVICE, background.EXECUTED), ("oauth_token_cleanup", background.SKIPPED)]
    assert {o.status for o in outcomes[1:]} == {background.SKIPPED}
    assert outcomes[1].message == "no time left in this run; due at the next"


def test_demo_data_runs_the_due_services_once(site):
    for name in ("oauth_token_cleanup", "export_file_expiry", "audit_check"):
        change(site, name, next_run=utcnow() - timedelta(minutes=1))
    assert demo.demo_background_services(site) == {"background_runs": 3}
    assert demo.demo_background_services(site) == {"background_runs": 0}
    assert service(site, "audit_check").last_status == "ok"


# --- oauth_token_cleanup ------------------------------------------------------------------

@pytest.fixture()
def no_tokens(site):
    def clear():
        with site.db.write() as s:
            for model in (OAuthAccessToken, OAuthRefreshToken, OAuthAuthorizationCode):
                s.execute(delete(model))
    clear()
    yield
    clear()


def access_token(jti, expires_in: timedelta, revoked=False, refresh=None) -> OAuthAccessToken:
    return OAuthAccessToken(jti=jti, client_id="c", scope="api:oemr", revoked=revoked,
                            issued_at=utcnow() - timedelta(hours=2),
                            expires_at=utcnow() + expires_in, refresh_token_id=refresh)


def refresh_token(id_, expires_in: timedelta, used=False) -> OAuthRefreshToken:
    return OAuthRefreshToken(id=id_, token_hash=f"hash-{id_}", client_id="c", user_role="users",
                             scope="api:oemr", expires_at=utcnow() + expires_in, family_id=id_,
                             used_at=utcnow() if used else None)


def code(id_, expired_for: timedelta, used=True) -> OAuthAuthorizationCode:
    return OAuthAuthorizationCode(
        id=id_, code_hash=f"hash-{id_}", ticket_jti=f"ticket-{id_}", client_id="c",
        scope="openid", user_role="users", code_challenge="x" * 43,
        code_challenge_method="S256", auth_time=0, expires_at=utcnow() - expired_for,
        used_at=utcnow() if used else None)


def keys(site, key) -> set:
    with site.db.read() as s:
        return set(s.execute(select(key)).scalars())


def test_token_cleanup_removes_the_expired_and_keeps_what_revocation_needs(site, no_tokens):
    hour = timedelta(hours=1)
    with site.db.write() as s:
        s.add_all([
            access_token("expired", -hour), access_token("revoked-expired", -hour, revoked=True),
            access_token("live", hour), access_token("revoked-live", hour, revoked=True),
            # A refresh token that expired while an access token it minted still lives.
            access_token("minted", hour, refresh="expired-but-minted"),
            refresh_token("expired-but-minted", -hour), refresh_token("expired", -hour),
            refresh_token("used-live", hour, used=True),
            code("old", timedelta(days=2)), code("recent", hour),
        ])
    outcome = background.run(site, "oauth_token_cleanup", force=True)
    assert outcome.status == background.EXECUTED
    assert outcome.message == ("removed 2 expired access tokens, 1 expired refresh token and "
                               "1 expired authorization code")
    assert keys(site, OAuthAccessToken.jti) == {"live", "revoked-live", "minted"}
    assert keys(site, OAuthRefreshToken.id) == {"expired-but-minted", "used-live"}
    assert keys(site, OAuthAuthorizationCode.id) == {"recent"}
    with site.db.read() as s:  # a revoked token that has not expired is still refused
        assert tokens.token_standing(s.connection(), "revoked-live") is None
    assert background.run(site, "oauth_token_cleanup", force=True).message == (
        "nothing had expired")


def test_token_cleanup_works_in_batches_and_leaves_the_rest_past_its_deadline(
        site, no_tokens, monkeypatch):
    monkeypatch.setattr(background, "BATCH", 2)
    with site.db.write() as s:
        s.add_all([access_token(f"old-{i}", -timedelta(minutes=1)) for i in range(5)])
    spent = time.monotonic() - 1
    assert background.clean_oauth_tokens(site, spent) == (
        "removed 2 expired access tokens; the rest at the next run")
    assert len(keys(site, OAuthAccessToken.jti)) == 3
    assert background.clean_oauth_tokens(site, time.monotonic() + 60) == (
        "removed 3 expired access tokens")
    assert keys(site, OAuthAccessToken.jti) == set()


# --- export_file_expiry ---------------------------------------------------------------------

def aged(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


@pytest.fixture()
def exports(site, tmp_path):
    """The site's export folder, emptied, and a folder outside it."""
    folder = site.export_dir
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    yield folder, outside
    site.set_global("export_file_lifetime", "3600")


def test_export_expiry_deletes_old_files_only_inside_the_export_folder(site, exports):
    folder, outside = exports
    (folder / "old.ndjson").write_text("x" * 1500)
    (folder / "new.ndjson").write_text("new")
    job = folder / "job-1"
    job.mkdir()
    (job / "Patient.ndjson").write_text("p")
    secret = outside / "secret.ndjson"
    secret.write_text("keep me")
    (outside / "deep").mkdir()
    (outside / "deep" / "old.ndjson").write_text("keep me too")
    (folder / "link-to-file").symlink_to(secret)
    (folder / "link-to-folder").symlink_to(outside / "deep")
    for path in (folder / "old.ndjson", job / "Patient.ndjson", secret,
                 outside / "deep" / "old.ndjson", folder / "link-to-file",
                 folder / "link-to-folder"):
        aged(path, 7200)
    aged(job, 7200)
    outcome = background.run(site, "export_file_expiry", force=True)
    assert outcome.status == background.EXECUTED
    assert outcome.message == "deleted 2 export files (1.5 kB) older than 1 hour"
    assert sorted(p.name for p in folder.iterdir()) == ["link-to-file", "link-to-folder",
                                                         "new.ndjson"]
    assert secret.read_text() == "keep me"
    assert (outside / "deep" / "old.ndjson").read_text() == "keep me too"


def test_export_expiry_follows_the_lifetime_global(site, exports):
    folder, _ = exports
    (folder / "a.ndjson").write_text("a")
    aged(folder / "a.ndjson", 120)
    assert background.run(site, "export_file_expiry", force=True).message == (
        "no export file older than 1 hour")
    site.set_global("export_file_lifetime", "60")
    assert background.run(site, "export_file_expiry", force=True).message == (
        "deleted 1 export file (1 byte) older than 1 minute")
    site.set_global("export_file_lifetime", "soon")
    outcome = background.run(site, "export_file_expiry", force=True)
    assert outcome.status == background.ERROR and "export_file_lifetime" in outcome.message


def test_an_export_folder_that_is_a_symbolic_link_is_not_followed(site, exports):
    folder, outside = exports
    folder.rmdir()
    folder.symlink_to(outside)
    victim = outside / "old.ndjson"
    victim.write_text("keep me")
    aged(victim, 7200)
    try:
        outcome = background.run(site, "export_file_expiry", force=True)
    finally:
        folder.unlink()
    assert outcome.status == background.ERROR
    assert "not a plain folder" in outcome.message and "nothing deleted" in outcome.message
    assert victim.read_text() == "keep me"


def test_no_export_folder_yet_is_nothing_to_do(site, exports):
    folder, _ = exports
    folder.rmdir()
    assert background.run(site, "export_file_expiry", force=True).message == (
        "no export folder yet: nothing to delete")


# --- audit_check ----------------------------------------------------------------------------

@pytest.fixture()
def no_audit(site, no_tokens):
    with site.db.write() as s:
        s.execute(delete(AuditLog))
    yield
    with site.db.write() as s:
        s.execute(delete(AuditLog))


def audited(site, *statuses, ago=timedelta(minutes=1)) -> None:
    with site.db.write() as s:
        s.add_all(AuditLog(at=utcnow() - ago, site="default", request_id=f"r-{time.time_ns()}-{i}",
                           method="GET", route="/apis/default/api/patient", status=status,
                           duration_ms=1)
                  for i, status in enumerate(statuses))


def test_the_audit_check_counts_the_last_day(site, no_audit):
    assert background.check_audit_log(site, 0) == "no request audited yet"
    audited(site, 200, ago=timedelta(days=3))
    audited(site, 200, 201, 401, 403, 404, 500)
    message = background.run(site, "audit_check", force=True).message
    assert message.startswith("6 requests audited in the last 24 hours (2 refused with 401 "
                              "or 403, 1 server error); newest row ")
    assert message.endswith(f"kept since {(utcnow() - timedelta(days=3)):%Y-%m-%d}")


def test_the_audit_check_fails_when_requests_go_unaudited(site, no_audit):
    """A token issued well after the newest audit row: requests were served, not audited."""
    audited(site, 200, ago=timedelta(hours=1))
    with site.db.write() as s:
        s.add(OAuthAccessToken(jti="witness", client_id="c", scope="api:oemr",
                               issued_at=utcnow() - timedelta(minutes=1),
                               expires_at=utcnow() + timedelta(hours=1)))
    outcome = background.run(site, "audit_check", force=True)
    assert outcome.status == background.ERROR
    assert outcome.message.startswith("requests are not being audited: a token was issued at ")
    assert service(site, "audit_check").last_status == "error"
    audited(site, 200)  # the writer is back
    assert background.run(site, "audit_check", force=True).status == background.EXECUTED


def test_the_audit_check_fails_on_rows_dated_in_the_future(site, no_audit):
    audited(site, 200, ago=-timedelta(hours=2))
    outcome = background.run(site, "audit_check", force=True)
    assert outcome.status == background.ERROR and "in the future" in outcome.message
