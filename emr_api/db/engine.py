"""Engines and sessions, one engine per site.

SQLite: WAL, a busy timeout, and write transactions that start with BEGIN IMMEDIATE, so
two concurrent writers queue on the lock instead of deadlocking on a read-to-write
upgrade. PostgreSQL and MariaDB use their normal transactions.

A site's engine bounds every wait by its `timeout`: connecting, a pool checkout, each
statement (enforced by the server: PostgreSQL's statement_timeout, MariaDB's
max_statement_time, SQLite's busy timeout) and, for MariaDB, each socket read. A database
that refuses or stalls costs a request seconds, not minutes. Migrations use an engine
without a statement bound (`timeout=None`): altering a large table may take longer."""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateTable

from emr_api.db import versions


def make_engine(url: str, timeout: float | None = None) -> Engine:
    """An engine for a site's database; `timeout` (seconds) bounds every wait."""
    seconds = max(int(math.ceil(timeout)), 2) if timeout else None
    pool = {"pool_timeout": timeout} if timeout else {}
    if url.startswith("sqlite"):
        busy = timeout or 30.0
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy},
            pool_size=20,
            max_overflow=20,
            **pool,
        )
        _configure_sqlite(engine, busy)
        return engine
    if url.startswith("mysql") or url.startswith("mariadb"):
        connect = {}
        if seconds:
            connect = {"connect_timeout": seconds, "read_timeout": seconds + 2,
                       "write_timeout": seconds + 2,
                       "init_command": f"SET SESSION max_statement_time={timeout:g}"}
        # READ COMMITTED, as PostgreSQL: each statement sees what has committed before it.
        # At MariaDB's default (REPEATABLE READ) a transaction keeps the snapshot of its
        # first read, the caller's token, so a conditional create that waited for another
        # to commit would not see what that one created.
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                             pool_recycle=3600, connect_args=connect,
                             isolation_level="READ COMMITTED", **pool)
    connect = {}
    if seconds:
        connect = {"connect_timeout": seconds,
                   "options": f"-c statement_timeout={int(timeout * 1000)}"}
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                         connect_args=connect, **pool)


@compiles(CreateTable, "mysql")
@compiles(CreateTable, "mariadb")
def _create_table_mariadb(create, compiler, **kw):
    """Every table MariaDB creates (models or migrations) compares text as SQLite and
    PostgreSQL do: byte-exact, so `ADMIN` is not the user `admin`, unique keys and exact
    filters are case-sensitive, and sorting does not depend on the server's default
    collation. Case-insensitive search folds both sides with lower() itself."""
    options = create.element.dialect_kwargs
    if "mysql_collate" not in options and "mariadb_collate" not in options:
        options["mysql_charset"] = "utf8mb4"
        options["mysql_collate"] = "utf8mb4_bin"
    return compiler.visit_create_table(create, **kw)


def _configure_sqlite(engine: Engine, busy_seconds: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control from pysqlite so BEGIN is ours to choose.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cur.close()
        # SQLite's own lower()/upper() fold ASCII only; case-insensitive search must fold
        # "É" as PostgreSQL and MariaDB do.
        dbapi_conn.create_function("lower", 1, _fold(str.lower), deterministic=True)
        dbapi_conn.create_function("upper", 1, _fold(str.upper), deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Straight to the driver: every request begins a transaction, and the statement
        # needs none of the engine's execution machinery.
        write = conn.get_execution_options().get("emr_write")
        conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")


def _fold(method):
    def fold(value):
        return method(value) if isinstance(value, str) else value
    return fold


class Database:
    """A site's engine with a read session factory and a write session factory."""

    def __init__(self, url: str, timeout: float | None = None):
        self.url = url
        self.timeout = timeout
        self.engine = make_engine(url, timeout)
        self._read_engine = self.engine
        if self.dialect == "postgresql":
            # At READ COMMITTED, PostgreSQL's default, every statement takes its own snapshot
            # in or out of a transaction: a read transaction adds only the round trips of its
            # BEGIN and COMMIT. Reads run in autocommit (a client-side switch in psycopg).
            self._read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._read = sessionmaker(self._read_engine, expire_on_commit=False)
        self._write_engine = self.engine.execution_options(emr_write=True)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)
        versions.keep_versions(self._write)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session to read in (a transaction, except on PostgreSQL: see __init__)."""
        with self._read() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._write() as session, session.begin():
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection to read in: for hot paths that need no ORM."""
        with self._read_engine.begin() as conn:
            yield conn

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in one write transaction (BEGIN IMMEDIATE on SQLite)."""
        with self._write_engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


# Failures that a new transaction may not meet again: a deadlock or serialization failure
# (PostgreSQL 40P01/40001), MariaDB's deadlock and lock wait timeout (1213, 1205), SQLite's
# busy lock, and a connection that broke.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}
_RETRYABLE_MYSQL_CODES = {1205, 1213}


def is_retryable(exc: BaseException) -> bool:
    """Whether running the same transaction again may well succeed."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    if orig is not None and orig.args and orig.args[0] in _RETRYABLE_MYSQL_CODES:
        return True
    return "database is locked" in str(orig)


def is_unavailable(exc: BaseException) -> bool:
    """Whether the database, not the request, is at fault: it refused, timed out, broke
    the connection or lost a race. Such a request may succeed later (503)."""
    return isinstance(exc, (OperationalError, SQLAlchemyTimeoutError)) or is_retryable(exc)
