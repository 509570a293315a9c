"""The background runner: every `interval` seconds, each site's due background services
run (`services.background.run_due`), so the scheduled chores happen with nobody calling
the API.

It is one asyncio task on the server's event loop, and never blocks it: listing the sites,
opening one and running its services happen on a small thread pool of its own (not the
sites' request threads). Every site of the data folder is checked, opened first if no
request has opened it yet. A site whose last check is still running is left alone until
it is done; one that fails (its database is down) is logged and tried again at the next
check. Every server process runs a scheduler: the services' claim in the database lets
one worker run a service at a time. `stop` ends it cleanly: no new check starts, and the
checks under way get a few seconds to finish (each is bounded by its budget; a run cut
short by the process's end leaves a claim that lapses with its lease)."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from emr_api.services import background
from emr_api.services.background import Outcome
from emr_api.sites import SiteRegistry

log = logging.getLogger("emr_api.jobs")

# Seconds of work one site's check may do (its due services run in turn within it).
CHECK_BUDGET = 30.0
# Seconds `stop` waits for the checks under way.
STOP_GRACE = 10.0


class Scheduler:
    def __init__(self, registry: SiteRegistry, interval: float, *,
                 budget: float = CHECK_BUDGET, threads: int = 2):
        if interval <= 0:
            raise ValueError("the background runner needs a positive interval")
        self.registry = registry
        self.interval = interval
        self.budget = budget
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="emr-jobs")
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self._checks: dict[str, asyncio.Future] = {}  # each site's latest check

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start checking, on the running event loop; the first check is one interval away
        (a server that has just started has requests to answer first)."""
        if self.running:
            return
        self._stopping = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(
            self._loop(), name="emr-api background runner")

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Start no more checks, and wait up to `grace` seconds for those under way."""
        if self._task is not None:
            self._stopping.set()
            await self._task
            self._task = None
        under_way = [check for check in self._checks.values() if not check.done()]
        if under_way:
            _, unfinished = await asyncio.wait(under_way, timeout=grace)
            if unfinished:
                log.warning("%d background check(s) still running at shutdown; their "
                            "claims lapse with their lease", len(unfinished))
        self.close()

    def close(self) -> None:
        """Let go of the threads (no wait: a run under way ends on its own)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stopping.wait(), self.interval)
                return
            except TimeoutError:
                pass
            try:
                await self.check()
            except Exception:  # the next check may fare better; the runner must not die
                log.exception("background check not started")

    async def check(self) -> list[asyncio.Future]:
        """Start a check of each site whose last check is done; the checks started (the
        runner does not wait for them: a slow site holds up no other)."""
        loop = asyncio.get_running_loop()
        names = await loop.run_in_executor(self._pool, self.registry.names)
        started = []
        for name in names:
            last = self._checks.get(name)
            if last is None or last.done():
                self._checks[name] = loop.run_in_executor(self._pool, self._check_site, name)
                started.append(self._checks[name])
        return started

    def _check_site(self, name: str) -> list[Outcome]:
        """Run the site's due services (in a runner thread); what became of each."""
        try:
            return background.run_due(self.registry.get(name), budget=self.budget)
        except Exception:
            log.exception("background services of site %s not checked", name)
            return []
