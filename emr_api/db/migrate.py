"""Run the Alembic migrations of a site's database programmatically."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from emr_api.db.engine import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    command.upgrade(alembic_config(engine), "head")


def upgrade_database(url: str) -> None:
    """Migrate the database at `url` to the newest schema, on an engine of its own with no
    statement timeout (a site's engine bounds statements; a migration may take longer)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
