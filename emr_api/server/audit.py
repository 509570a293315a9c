"""The audit log: one row per API request (who, which client, which token, what route,
which patient, what status). Never the token, a secret, a query string or a body.

A request's row is committed before its response completes (the edge holds back the last
body message until then), so a client never holds an answer whose row a crash could lose.
Commits are shared: each site has one writer thread that inserts everything pending in one
transaction, then wakes every request it carried. While one commit runs the next batch
gathers, so under load many requests share a commit and at rest a row waits for none."""

from __future__ import annotations

import asyncio
import logging
import threading

from sqlalchemy import insert

from emr_api.db.models import AuditLog, utcnow
from emr_api.request_context import RequestInfo
from emr_api.sites import Site

log = logging.getLogger("emr_api.audit")


def audit_row(info: RequestInfo, status: int, duration_ms: int) -> dict:
    access = info.access
    # A request refused before its token's standing was read is named by its signed claims.
    claims = info.claims or {}
    return dict(
        at=utcnow(),
        site=info.site.name,
        request_id=info.request_id,
        user_uuid=access.identity.subject if access else claims.get("sub"),
        user_role=access.role.value if access else claims.get("role"),
        client_id=access.client_id if access else claims.get("client_id", info.audit.client_id),
        token_jti=access.jti if access else claims.get("jti"),
        method=info.method,
        route=info.path[:255],
        patient_uuid=info.audit.patient_uuid or (access.patient_uuid if access else None),
        status=status,
        duration_ms=duration_ms,
    )


class AuditWriter:
    """The group-commit writer of one site's audit rows."""

    def __init__(self, site: Site):
        self.site = site
        self._pending: list[tuple[dict, asyncio.AbstractEventLoop, asyncio.Future]] = []
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"audit-{site.name}",
                                        daemon=True)
        self._thread.start()

    async def write(self, row: dict) -> None:
        """Queue the row and return once it is committed (or raise why it was not)."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        with self._wake:
            self._pending.append((row, loop, done))
            self._wake.notify()
        await done

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._thread.join(10)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if not self._pending:
                    return
                batch, self._pending = self._pending, []
            error = None
            try:
                # Core, not the ORM: this carries every request, and a Session costs ~3x more.
                with self.site.db.write_connection() as conn:
                    conn.execute(insert(AuditLog), [row for row, _, _ in batch])
            except Exception as exc:  # each waiting request reports it
                error = exc
            by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = {}
            for _, loop, done in batch:
                by_loop.setdefault(loop, []).append(done)
            for loop, futures in by_loop.items():  # one wake-up per loop, not per row
                try:
                    loop.call_soon_threadsafe(_settle, futures, error)
                except RuntimeError:  # that loop is gone
                    pass


def _settle(futures: list[asyncio.Future], error: BaseException | None) -> None:
    for done in futures:
        if done.cancelled():
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


class AuditWriters:
    """One writer per site, started on the site's first audited request."""

    def __init__(self):
        self._writers: dict[str, AuditWriter] = {}
        self._lock = threading.Lock()

    def of(self, site: Site) -> AuditWriter:
        writer = self._writers.get(site.name)
        if writer is None:
            with self._lock:
                writer = self._writers.get(site.name)
                if writer is None:
                    writer = self._writers[site.name] = AuditWriter(site)
        return writer

    def close(self) -> None:
        for writer in list(self._writers.values()):
            writer.close()
        self._writers.clear()
