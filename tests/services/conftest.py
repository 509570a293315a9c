"""Service tests need no HTTP: a migrated database of each kind, sessions, and an Access."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from emr_api.db.engine import Database
from emr_api.db.migrate import upgrade
from emr_api.db.models import Encounter, Patient
from tests.conftest import server_database


@pytest.fixture(scope="session")
def database(db_kind, tmp_path_factory):
    with server_database(db_kind) as url:
        db = Database(url or f"sqlite:///{tmp_path_factory.mktemp('services') / 'emr.sqlite'}")
        try:
            upgrade(db.engine)
            yield db
        finally:
            db.dispose()


@pytest.fixture(scope="session")
def two_patients(database) -> dict:
    """Two patients named Narrow, each with two encounters: {name: (puuid, [euuid, ...])}."""
    made = {}
    with database.write() as s:
        for first in ("Ann", "Bea"):
            p = Patient(fname=first, lname="Narrow", sex="Female", DOB=date(1990, 1, 2))
            s.add(p)
            s.flush()
            encounters = [Encounter(pid=p.pid, date=datetime(2024, 1, day), pc_catid=5,
                                    class_code="AMB") for day in (1, 2)]
            s.add_all(encounters)
            s.flush()
            made[first] = (p.uuid, [e.uuid for e in encounters])
    return made
