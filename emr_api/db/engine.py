"""Engines and sessions, one engine per site.

SQLite: WAL, a busy timeout, and write transactions that start with BEGIN IMMEDIATE, so
two concurrent writers queue on the lock instead of deadlocking on a read-to-write
upgrade. PostgreSQL and MariaDB use their normal transactions."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateTable


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=20,
            max_overflow=20,
        )
        _configure_sqlite(engine)
        return engine
    if url.startswith("mysql") or url.startswith("mariadb"):
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                               pool_recycle=3600)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


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


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take transaction control from pysqlite so BEGIN is ours to choose.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()
        # SQLite's own lower()/upper() fold ASCII only; case-insensitive search must fold
        # "É" as PostgreSQL and MariaDB do.
        dbapi_conn.create_function("lower", 1, _fold(str.lower), deterministic=True)
        dbapi_conn.create_function("upper", 1, _fold(str.upper), deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get("emr_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def _fold(method):
    def fold(value):
        return method(value) if isinstance(value, str) else value
    return fold


class Database:
    """A site's engine with a read session factory and a write session factory."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write_engine = self.engine.execution_options(emr_write=True)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._write() as session, session.begin():
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection in a read transaction: for hot paths that need no ORM."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in one write transaction (BEGIN IMMEDIATE on SQLite)."""
        with self._write_engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
