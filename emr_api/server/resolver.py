"""How an operationId becomes the function Connexion calls: the handler, run on its site's
threads under a deadline, in one transaction, and run again when the database lost a race.

- Threads: each site has a small pool of its own (`EMR_API_THREADS`, default 4) for the
  handlers' blocking work. Few threads, because they share one GIL: measured on the patient
  read, 40 threads spend a quarter more CPU per request than 4 on switching between them,
  for no more throughput on SQLite or PostgreSQL. One pool per site, so a site whose
  database stalls does not take the threads of the others.
- The deadline: a database that stalls must not hold a request for as long as it stalls.
  The engine bounds each statement; this bounds the whole of a handler's database work,
  its wait for a thread included (a second more than one statement may take), then
  answers 503. Work that has not started by then is dropped; work that has finishes on
  its own, and nothing it does afterwards commits into this answer.
- Handlers written `async` answer from memory without a database; they run on the event
  loop as they are.
- One transaction per hop: the token's standing and the handler's database work share
  one session and one connection checkout (a write transaction unless the method is safe),
  committed after the handler returns and before the answer is sent.
- Retries: a deadlock, serialization failure, busy SQLite lock or broken connection
  rolled the transaction back, so running the handler again is safe. Idempotent methods
  (GET, PUT, DELETE) get a few more tries; a POST answers 503 with Retry-After."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor

from connexion.resolver import Resolution, Resolver

from emr_api import request_context
from emr_api.codegen import operations
from emr_api.db.engine import is_retryable
from emr_api.server.security import admit

log = logging.getLogger("emr_api.retry")

IDEMPOTENT = {"get", "head", "put", "delete", "options"}
SAFE = {"get", "head", "options"}
RETRIES = 2


class SiteThreads:
    """A thread pool per site, made on the site's first request (event loop only)."""

    def __init__(self, size: int):
        if size < 1:
            raise ValueError("a site needs at least one thread (EMR_API_THREADS)")
        self.size = size
        self._pools: dict[str | None, ThreadPoolExecutor] = {}

    def of(self, site_name: str | None) -> ThreadPoolExecutor:
        pool = self._pools.get(site_name)
        if pool is None:
            pool = self._pools[site_name] = ThreadPoolExecutor(
                self.size, thread_name_prefix=f"emr-{site_name or 'none'}")
        return pool

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
        self._pools.clear()


class OffloadingResolver(Resolver):
    def __init__(self, deadline: float, threads: SiteThreads):
        super().__init__()
        self.deadline = deadline
        self.threads = threads

    def resolve(self, operation) -> Resolution:
        resolution = super().resolve(operation)
        if inspect.iscoroutinefunction(resolution.function):
            # Async handlers answer from memory (/version, discovery, jwk): no hop, no
            # database, and no token (tests/test_specs.py keeps protected ones sync, so
            # `admit` reads every token's standing).
            return resolution
        method = operation.method.lower()
        retries = RETRIES if method in IDEMPOTENT else 0
        found = operations.by_id().get(resolution.operation_id)
        return Resolution(offloaded(resolution.function, self.deadline, retries,
                                    acl=found.acl if found else None,
                                    writes=method not in SAFE, threads=self.threads),
                          resolution.operation_id)


def offloaded(handler, deadline: float, retries: int, acl: tuple[str, str] | None = None,
              writes: bool = True, threads: SiteThreads | None = None):
    """The handler as a coroutine: after the caller's standing and ACL (`admit`), in one
    hop to its site's threads and one transaction, bounded by `deadline` seconds, tried
    `retries` more times after a retryable database failure."""
    threads = threads or SiteThreads(1)

    def once(args, kwargs):
        info = request_context.current_or_none()
        if info is None:  # called outside a request (tests): nothing to admit or share
            return handler(*args, **kwargs)
        db = info.site.db
        with db.write() if writes else db.read() as session:
            info.session, info.session_writes = session, writes
            try:
                admit(acl)
                return handler(*args, **kwargs)
            finally:
                info.session = None

    def attempts(args, kwargs):
        for attempt in range(retries + 1):
            try:
                return once(args, kwargs)
            except Exception as exc:
                if attempt == retries or not is_retryable(exc):
                    raise
                log.info("retrying %s after %s", handler.__qualname__, type(exc).__name__)
                time.sleep(0.01 * (attempt + 1) + random.random() * 0.02)

    @functools.wraps(handler)
    async def call(*args, **kwargs):
        info = request_context.current_or_none()
        pool = threads.of(info.site.name if info else None)
        context = contextvars.copy_context()  # the request's facts, in the thread
        work = asyncio.get_running_loop().run_in_executor(
            pool, context.run, attempts, args, kwargs)
        return await asyncio.wait_for(work, deadline)

    # Connexion reads the handler's signature on every request: give it one, made once.
    call.__signature__ = inspect.signature(handler)
    return call
