"""How an operationId becomes the function Connexion calls: the handler, run in the thread
pool under a deadline, and run again when the database lost a race.

- The deadline: a database that stalls must not hold a request for as long as it stalls.
  The engine bounds each statement; this bounds the whole of a handler's database work
  (a second more than one statement may take), then answers 503. The thread is abandoned
  to finish on its own; nothing it does afterwards commits into this answer.
- Handlers written `async` answer from memory without a database; they run on the event
  loop as they are.
- Retries: a deadlock, serialization failure, busy SQLite lock or broken connection
  rolled the transaction back, so running the handler again is safe. Idempotent methods
  (GET, PUT, DELETE) get a few more tries; a POST answers 503 with Retry-After."""

from __future__ import annotations

import functools
import inspect
import logging
import random
import time

import anyio
import anyio.to_thread
from connexion.resolver import Resolution, Resolver

from emr_api.codegen import operations
from emr_api.db.engine import is_retryable
from emr_api.server.security import admit

log = logging.getLogger("emr_api.retry")

IDEMPOTENT = {"get", "head", "put", "delete", "options"}
RETRIES = 2


class OffloadingResolver(Resolver):
    def __init__(self, deadline: float):
        super().__init__()
        self.deadline = deadline

    def resolve(self, operation) -> Resolution:
        resolution = super().resolve(operation)
        if inspect.iscoroutinefunction(resolution.function):
            # Async handlers answer from memory (/version, discovery, jwk): no hop, no
            # database, and no token (tests/test_specs.py keeps protected ones sync, so
            # `admit` reads every token's standing).
            return resolution
        retries = RETRIES if operation.method.lower() in IDEMPOTENT else 0
        found = operations.by_id().get(resolution.operation_id)
        return Resolution(offloaded(resolution.function, self.deadline, retries,
                                    acl=found.acl if found else None),
                          resolution.operation_id)


def offloaded(handler, deadline: float, retries: int, acl: tuple[str, str] | None = None):
    """The handler as a coroutine: after the caller's standing and ACL (`admit`), in one
    hop to the thread pool, bounded by `deadline` seconds, tried `retries` more times after
    a retryable database failure."""

    def attempts(*args, **kwargs):
        for attempt in range(retries + 1):
            try:
                admit(acl)
                return handler(*args, **kwargs)
            except Exception as exc:
                if attempt == retries or not is_retryable(exc):
                    raise
                log.info("retrying %s after %s", handler.__qualname__, type(exc).__name__)
                time.sleep(0.01 * (attempt + 1) + random.random() * 0.02)

    @functools.wraps(handler)
    async def call(*args, **kwargs):
        with anyio.fail_after(deadline):
            return await anyio.to_thread.run_sync(
                functools.partial(attempts, *args, **kwargs), abandon_on_cancel=True)

    # Connexion reads the handler's signature on every request: give it one, made once.
    call.__signature__ = inspect.signature(handler)
    return call
