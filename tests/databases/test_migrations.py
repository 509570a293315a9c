"""The Alembic migrations on every database kind: an empty database upgrades to head,
the migrated schema is what the models say (autogenerate finds nothing to do), and the
migrations downgrade to an empty database and upgrade again.

Runs on SQLite always and on each kind in EMR_API_TEST_DATABASES, each time in a new,
uniquely named database that is dropped afterwards."""

from __future__ import annotations

from contextlib import contextmanager

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from emr_api.db import migrate
from emr_api.db.engine import make_engine
from emr_api.db.models import Base
from tests.conftest import server_database


@contextmanager
def empty_database(db_kind: str, tmp_path):
    """An engine on a new empty database (the project's engine options), dropped after."""
    with server_database(db_kind) as url:
        engine = make_engine(url or f"sqlite:///{tmp_path / 'migrations.db'}")
        try:
            yield engine
        finally:
            engine.dispose()


def head_revision() -> str:
    return ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def current_revision(engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_differences(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_empty_database_upgrades_to_head_and_matches_models(db_kind, tmp_path):
    with empty_database(db_kind, tmp_path) as engine:
        assert inspect(engine).get_table_names() == []
        migrate.upgrade(engine)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert schema_differences(engine) == []


def test_upgrade_is_idempotent_and_downgrade_round_trips(db_kind, tmp_path):
    with empty_database(db_kind, tmp_path) as engine:
        migrate.upgrade(engine)
        migrate.upgrade(engine)  # a second start of a site: nothing to do, no error
        assert current_revision(engine) == head_revision()

        command.downgrade(migrate.alembic_config(engine), "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        migrate.upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert schema_differences(engine) == []


def test_mariadb_tables_compare_text_byte_exact(db_kind, tmp_path):
    """On MariaDB every table, whoever creates it, uses utf8mb4_bin, whatever the
    database's default collation: text compares, sorts and is unique as on SQLite and
    PostgreSQL."""
    if db_kind != "mariadb":
        return
    with empty_database(db_kind, tmp_path) as engine:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            collations = dict(conn.execute(text(
                "SELECT table_name, table_collation FROM information_schema.tables "
                "WHERE table_schema = DATABASE()")).all())
    assert collations and set(collations.values()) == {"utf8mb4_bin"}, collations


def test_the_search_keys_of_existing_patients_are_filled(db_kind, tmp_path):
    """Rows written before revision 0003 get their case-folded keys from the migration."""
    from datetime import date, datetime

    from sqlalchemy import column, insert, select, table

    old = table("patient_data", column("uuid"), column("fname"), column("lname"),
                column("DOB"), column("sex"), column("date"), column("last_updated"))
    with empty_database(db_kind, tmp_path) as engine:
        command.upgrade(migrate.alembic_config(engine), "0002")
        with engine.begin() as conn:
            conn.execute(insert(old), [
                {"uuid": f"00000000-0000-4000-8000-00000000000{i}", "fname": f, "lname": ln,
                 "DOB": date(1970, 1, 1), "sex": "Female", "date": datetime(2020, 1, 1),
                 "last_updated": datetime(2020, 1, 1)}
                for i, (f, ln) in enumerate([("Élodie", "MÜLLER"), ("ann", "Straße")])])
        migrate.upgrade(engine)
        keys = table("patient_data", column("pid"), column("fname_key"), column("lname_key"))
        with engine.connect() as conn:
            found = conn.execute(select(keys.c.fname_key, keys.c.lname_key)
                                 .order_by(keys.c.pid)).all()
        assert [tuple(k) for k in found] == [("élodie", "müller"), ("ann", "strasse")]
