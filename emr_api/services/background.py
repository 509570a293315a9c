"""Background services: the chores this server does on a schedule, listed in OpenEMR's
background_services table, and the one way to run them, shared by the scheduler of every
server process (emr_api/jobs/), the API and the CLI.

One worker runs a service at a time, whichever process it is in: a run first claims the
service with one conditional UPDATE (a compare-and-set of `running`, which also takes a
lease until `lock_expires_at`) and commits the claim; then it does the job in transactions
of its own, and records the outcome as it releases the claim. A claim whose lease has run
out (its worker died) is taken over by the next run. Every run is bounded in time: a job
starts no new batch after its deadline, and its message says that the rest is left for
the next run.

The jobs:
- `clean_oauth_tokens`: deletes expired access tokens, refresh tokens and authorization
  codes, but nothing revocation still needs: a revoked token stays until it would have
  expired anyway, a refresh token stays while an access token minted with it lives, and a
  used code stays a day past its expiry, so that a replay can still revoke what it gave.
- `expire_export_files`: deletes the bulk-export files older than the site's
  `export_file_lifetime` from the site's export folder; only regular files inside it, never
  through a symbolic link.
- `check_audit_log`: the audit log's health, as an administrator answerable for it needs
  it (HIPAA's audit controls): rows are still being written whenever requests are served
  (witnessed by the tokens the server issues, which are written by another path), none is
  dated in the future, and how many requests of the last day were refused or failed."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from emr_api.db.engine import Database
from emr_api.db.models import (
    AuditLog,
    BackgroundService,
    OAuthAccessToken,
    OAuthAuthorizationCode,
    OAuthRefreshToken,
    utcnow,
)
from emr_api.errors import NotFound
from emr_api.identity import Access
from emr_api.services import resources
from emr_api.services.resources import Page, ResourceSpec
from emr_api.sites import Site

log = logging.getLogger("emr_api.background")

SPEC = ResourceSpec(
    name="background service",
    model=BackgroundService,
    id_name="name",
    writable=(),  # the services come with the schema; the API runs them, never writes them
    sort=("name", "title", "sort_order", "next_run"),
    default_order="sort_order",
)

# A run's outcome, as OpenEMR's runner names it.
EXECUTED = "executed"
ERROR = "error"
ALREADY_RUNNING = "already_running"
NOT_DUE = "not_due"
SKIPPED = "skipped"

# How long a claim holds: far longer than any run's time budget, so only a claim whose
# worker died ever lapses.
LEASE = timedelta(minutes=10)
# The work a run does when asked over HTTP, in seconds: it answers within the request's
# deadline. The scheduler and the CLI allow more.
REQUEST_BUDGET = 2.0
# Rows deleted per transaction: short locks, and a deadline checked between batches.
BATCH = 1000
# A used authorization code is kept this long past its expiry (as the code grant keeps
# it): a replay within it revokes the tokens the code gave.
CODE_REPLAY_WINDOW = timedelta(days=1)
# How far the newest audit row may trail the newest token before the log counts as
# stalled, and the span whose requests the check counts.
AUDIT_LAG = timedelta(minutes=5)
AUDIT_SPAN = timedelta(hours=24)


@dataclass(frozen=True)
class Outcome:
    """What became of one service in a run: a status above and, when it ran or did not
    run for a reason worth saying, a short message."""

    name: str
    status: str
    message: str | None = None


class JobFailed(Exception):
    """A job that could not do its work, or found something wrong: its message becomes the
    service's last message, with the status `error`."""


# --- reading ------------------------------------------------------------------------------

def search(session: Session, access: Access, *, sort: str | None = None,
           limit: int | None = None, offset: int | None = None) -> Page:
    """One page of the services (not patient data: every caller with the ACL sees all)."""
    return resources.search(session, access, SPEC, {}, sort=sort, limit=limit, offset=offset)


def find(session: Session, access: Access, name: str) -> BackgroundService:
    """The service of this name, or NotFound naming it."""
    row = session.get(BackgroundService, name)
    if row is None:
        raise NotFound(f"No background service with name {name}",
                       fields={"name": ["not found"]})
    return row


def is_running(row: BackgroundService, now: datetime | None = None) -> bool:
    """Whether a worker holds the service now: a claim whose lease has lapsed does not."""
    now = now or utcnow()
    return bool(row.running and row.lock_expires_at is not None and row.lock_expires_at > now)


# --- running ------------------------------------------------------------------------------

def run(site: Site, name: str, *, force: bool = False,
        budget: float = REQUEST_BUDGET) -> Outcome:
    """Run one service now if it may run: it is active, no worker holds it, and it is due,
    unless `force` (a service whose interval is 0 runs only when forced). Otherwise the
    outcome says why not. An unknown name is NotFound."""
    with site.db.read() as s:
        row = find(s, Access.system(), name)
    deadline = time.monotonic() + budget
    return _refusal(row, utcnow(), force) or _claim_and_run(site, row, force, deadline)


def run_due(site: Site, *, budget: float = REQUEST_BUDGET) -> list[Outcome]:
    """Run every active service that is due, in `sort_order`, within `budget` seconds in
    all; the outcome of each service (one left when the time is spent is `skipped`)."""
    deadline = time.monotonic() + budget
    with site.db.read() as s:
        rows = s.execute(select(BackgroundService).order_by(
            BackgroundService.sort_order, BackgroundService.name)).scalars().all()
    outcomes = []
    for row in rows:
        refused = _refusal(row, utcnow(), force=False)
        if refused is None and time.monotonic() >= deadline:
            refused = Outcome(row.name, SKIPPED, "no time left in this run; due at the next")
        outcomes.append(refused or _claim_and_run(site, row, False, deadline))
    return outcomes


def _refusal(row: BackgroundService, now: datetime, force: bool) -> Outcome | None:
    """Why the service may not run now, or None when it may."""
    if not row.active:
        return Outcome(row.name, SKIPPED, "inactive")
    if row.execute_interval <= 0 and not force:
        return Outcome(row.name, SKIPPED, "runs only when forced")
    if is_running(row, now):
        return Outcome(row.name, ALREADY_RUNNING, f"running since {_at(row.last_run_start)}")
    if not force and row.next_run > now:
        return Outcome(row.name, NOT_DUE, f"next run at {_at(row.next_run)}")
    return None


def _claim_and_run(site: Site, row: BackgroundService, force: bool,
                   deadline: float) -> Outcome:
    now = utcnow()
    owner = str(uuid.uuid4())
    service = BackgroundService
    claim = (update(service)
             .where(service.name == row.name, service.active.is_(True),
                    or_(service.running.is_(False), service.lock_expires_at.is_(None),
                        service.lock_expires_at < now))
             .values(running=True, lock_owner=owner, lock_expires_at=now + LEASE,
                     last_run_start=now,
                     next_run=now + timedelta(minutes=max(row.execute_interval, 0)))
             .execution_options(synchronize_session=False))
    if not force:
        claim = claim.where(service.execute_interval > 0, service.next_run <= now)
    with site.db.write() as s:
        claimed = s.execute(claim).rowcount == 1
    if not claimed:  # another worker was first, or the row changed since it was read
        with site.db.read() as s:
            current = s.get(service, row.name)
        return ((current and _refusal(current, utcnow(), force))
                or Outcome(row.name, ALREADY_RUNNING, "another worker claimed it first"))
    if row.lock_owner is not None and row.running:
        log.warning("background service %s: took over a claim that lapsed at %s",
                    row.name, _at(row.lock_expires_at))
    return _do(site, row, owner, deadline)


def _do(site: Site, row: BackgroundService, owner: str, deadline: float) -> Outcome:
    """The claimed service's job, then its outcome recorded and the claim released."""
    job = JOBS.get(row.function)
    try:
        if job is None:
            raise JobFailed(f"misconfigured: no job named {row.function!r}")
        message, status = job(site, deadline), "ok"
    except JobFailed as failed:
        message, status = str(failed), "error"
    except Exception as exc:  # the cause goes to the log; the service says where to look
        log.exception("background service %s failed", row.name)
        message, status = f"failed ({type(exc).__name__}); see the server log", "error"
    message = message[:255]
    release = (update(BackgroundService)
               .where(BackgroundService.name == row.name, BackgroundService.lock_owner == owner)
               .values(running=False, lock_owner=None, lock_expires_at=None,
                       last_run_end=utcnow(), last_status=status, last_message=message)
               .execution_options(synchronize_session=False))
    try:
        with site.db.write() as s:
            s.execute(release)
    except Exception:  # the claim lapses with its lease; the next run takes it over
        log.exception("background service %s: outcome not recorded", row.name)
    if status == "ok":
        log.info("background service %s: %s", row.name, message)
    else:
        log.warning("background service %s: %s", row.name, message)
    return Outcome(row.name, EXECUTED if status == "ok" else ERROR, message)


# --- the jobs: (site, deadline on time.monotonic()) -> what was done ----------------------

def clean_oauth_tokens(site: Site, deadline: float) -> str:
    now = utcnow()
    live_refresh_ids = select(OAuthAccessToken.refresh_token_id).where(
        OAuthAccessToken.expires_at >= now, OAuthAccessToken.refresh_token_id.is_not(None))
    sweeps = (
        ("expired access token", OAuthAccessToken.jti, OAuthAccessToken.expires_at < now),
        ("expired refresh token", OAuthRefreshToken.id,
         and_(OAuthRefreshToken.expires_at < now, OAuthRefreshToken.id.not_in(live_refresh_ids))),
        ("expired authorization code", OAuthAuthorizationCode.id,
         OAuthAuthorizationCode.expires_at < now - CODE_REPLAY_WINDOW),
    )
    removed, unfinished = [], False
    for noun, key, expired in sweeps:
        count, unfinished = _sweep(site.db, key, expired, deadline)
        if count:
            removed.append(_counted(count, noun))
        if unfinished:
            break
    done = f"removed {_listed(removed)}" if removed else "nothing had expired"
    return done + ("; the rest at the next run" if unfinished else "")


def _sweep(db: Database, key, condition, deadline: float) -> tuple[int, bool]:
    """Delete the rows matching `condition` in batches, each its own transaction, until none
    is left or the deadline has passed: (rows deleted, whether some may be left)."""
    removed = 0
    while True:
        with db.write() as s:
            keys = s.execute(select(key).where(condition).limit(BATCH)).scalars().all()
            if keys:  # the condition again: a row may have changed since it was read
                removed += s.execute(
                    delete(key.class_).where(key.in_(keys), condition)
                    .execution_options(synchronize_session=False)).rowcount
        if len(keys) < BATCH:
            return removed, False
        if time.monotonic() >= deadline:
            return removed, True


def expire_export_files(site: Site, deadline: float) -> str:
    if site.claim_refresh():  # a change made elsewhere (set-global) counts here too
        site.refresh_globals()
    try:
        lifetime = site.int_global("export_file_lifetime")
    except ValueError:
        raise JobFailed("the global export_file_lifetime is not a whole number of "
                        "seconds; nothing deleted") from None
    if lifetime <= 0:
        raise JobFailed("the global export_file_lifetime must be positive; nothing deleted")
    try:
        root = os.open(site.export_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return "no export folder yet: nothing to delete"
    except OSError as exc:  # a symbolic link, or not a folder: nothing is followed
        raise JobFailed(f"the export folder {site.export_dir} is not a plain folder "
                        f"({exc.strerror}); nothing deleted") from None
    sweep = _FileSweep(cutoff=time.time() - lifetime, deadline=deadline)
    try:
        sweep.folder(root)
    finally:
        os.close(root)
    age = _duration(lifetime)
    done = (f"deleted {_counted(sweep.files, 'export file')} ({_size(sweep.size)}) older "
            f"than {age}" if sweep.files else f"no export file older than {age}")
    if sweep.failed:
        raise JobFailed(f"{done}; {_counted(sweep.failed, 'entry', 'entries')} could not be "
                        f"deleted (see the server log)")
    return done + ("; the rest at the next run" if sweep.unfinished else "")


@dataclass
class _FileSweep:
    """Deletes expired regular files under an open folder. Nothing is followed: each entry
    is looked at as it is (a symbolic link is not a regular file, and stays), and a
    subfolder is opened relative to its parent with O_NOFOLLOW, so a link swapped in
    meanwhile leads nowhere."""

    cutoff: float  # time.time() of the newest modification that has expired
    deadline: float
    files: int = 0
    size: int = 0
    failed: int = 0
    unfinished: bool = False

    def folder(self, folder_fd: int) -> None:
        with os.scandir(folder_fd) as entries:
            for entry in entries:
                if time.monotonic() >= self.deadline:
                    self.unfinished = True
                    return
                try:
                    self._entry(folder_fd, entry.name)
                except FileNotFoundError:
                    continue  # gone meanwhile (another worker's sweep)
                except OSError:
                    log.warning("export file expiry: %s not deleted", entry.path, exc_info=True)
                    self.failed += 1

    def _entry(self, folder_fd: int, name: str) -> None:
        info = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
        if stat.S_ISREG(info.st_mode):
            if info.st_mtime < self.cutoff:
                os.unlink(name, dir_fd=folder_fd)
                self.files += 1
                self.size += info.st_size
        elif stat.S_ISDIR(info.st_mode):
            sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder_fd)
            try:
                self.folder(sub)
            finally:
                os.close(sub)
            if info.st_mtime < self.cutoff:  # an expired export's folder, once it is empty
                with contextlib.suppress(OSError):
                    os.rmdir(name, dir_fd=folder_fd)


def check_audit_log(site: Site, deadline: float) -> str:
    now = utcnow()
    refused = func.sum(case((AuditLog.status.in_((401, 403)), 1), else_=0))
    failed = func.sum(case((AuditLog.status >= 500, 1), else_=0))
    with site.db.read() as s:
        oldest, newest = s.execute(select(func.min(AuditLog.at), func.max(AuditLog.at))).one()
        total, refusals, failures = s.execute(
            select(func.count(), refused, failed).where(AuditLog.at >= now - AUDIT_SPAN)).one()
        last_token = s.execute(select(func.max(OAuthAccessToken.issued_at))).scalar()
    if newest is not None and newest > now + AUDIT_LAG:
        raise JobFailed(f"the newest audit row is dated {_at(newest)}, in the future: "
                        f"check the servers' clocks")
    if last_token is not None and (newest is None or last_token > newest + AUDIT_LAG):
        raise JobFailed(f"requests are not being audited: a token was issued at "
                        f"{_at(last_token)}, but the newest audit row is from {_at(newest)}")
    if newest is None:
        return "no request audited yet"
    return (f"{_counted(total, 'request')} audited in the last 24 hours "
            f"({int(refusals or 0)} refused with 401 or 403, "
            f"{_counted(int(failures or 0), 'server error')}); newest row "
            f"{_duration((now - newest).total_seconds())} old; kept since {oldest:%Y-%m-%d}")


# The jobs by the name a service's `function` gives (never an import path from the database).
JOBS: dict[str, Callable[[Site, float], str]] = {
    "clean_oauth_tokens": clean_oauth_tokens,
    "expire_export_files": expire_export_files,
    "check_audit_log": check_audit_log,
}


# --- words --------------------------------------------------------------------------------

def _at(moment: datetime | None) -> str:
    return "never" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _counted(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _duration(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= 2 * size or (seconds >= size and seconds % size == 0):
            return _counted(seconds // size, unit)
    return _counted(seconds, "second")


def _size(size: float) -> str:
    if size < 1000:
        return _counted(int(size), "byte")
    for unit in ("kB", "MB", "GB"):
        size /= 1000
        if size < 1000:
            break
    return f"{size:.1f} {unit}"
