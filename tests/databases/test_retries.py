"""A deadlock is the database's doing, not the request's: a real one (two transactions
locking two rows in opposite orders) is recognised as worth another try, idempotent work
is run again, and what is not retried answers 503 with Retry-After, never 500."""

from __future__ import annotations

import threading

import anyio
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from emr_api.db.engine import is_retryable, is_unavailable
from emr_api.server.errors import problem_of
from emr_api.server.resolver import offloaded
from tests.conftest import server_database


@pytest.fixture(scope="module")
def deadlock(db_kind) -> DBAPIError:
    """The error the losing transaction of a real deadlock raised."""
    if db_kind == "sqlite":
        pytest.skip("SQLite takes one writer at a time: it cannot deadlock")
    with server_database(db_kind) as url:
        engine = create_engine(url)
        try:
            with engine.begin() as c:
                c.execute(text("CREATE TABLE pair (id INTEGER PRIMARY KEY, v INTEGER)"))
                c.execute(text("INSERT INTO pair (id, v) VALUES (1, 0), (2, 0)"))
            both_hold_one = threading.Barrier(2, timeout=10)
            lost: list[DBAPIError] = []

            def lock(first: int, second: int) -> None:
                with engine.connect() as c, c.begin():
                    c.execute(text("UPDATE pair SET v = v + 1 WHERE id = :id"), {"id": first})
                    both_hold_one.wait()
                    try:
                        c.execute(text("UPDATE pair SET v = v + 1 WHERE id = :id"), {"id": second})
                    except DBAPIError as exc:
                        lost.append(exc)

            threads = [threading.Thread(target=lock, args=pair) for pair in ((1, 2), (2, 1))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert len(lost) == 1, lost
            return lost[0]
        finally:
            engine.dispose()


def test_a_real_deadlock_is_retryable_and_a_503(deadlock):
    assert is_retryable(deadlock) and is_unavailable(deadlock)
    problem = problem_of(deadlock)
    assert problem.status == 503 and problem.retry_after


def test_idempotent_work_is_run_again(deadlock):
    calls = []

    def handler(x):
        calls.append(x)
        if len(calls) == 1:
            raise deadlock
        return x * 2

    assert anyio.run(offloaded(handler, deadline=10, retries=2), 21) == 42
    assert calls == [21, 21]


def test_work_that_is_not_retried_raises_for_a_503(deadlock):
    calls = []

    def handler():
        calls.append(1)
        raise deadlock

    with pytest.raises(DBAPIError):
        anyio.run(offloaded(handler, deadline=10, retries=0))
    assert calls == [1]


def test_retries_are_bounded(deadlock):
    calls = []

    def handler():
        calls.append(1)
        raise deadlock

    with pytest.raises(DBAPIError):
        anyio.run(offloaded(handler, deadline=10, retries=2))
    assert len(calls) == 3


def test_a_bug_is_not_retried():
    calls = []

    def handler():
        calls.append(1)
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        anyio.run(offloaded(handler, deadline=10, retries=2))
    assert calls == [1]
