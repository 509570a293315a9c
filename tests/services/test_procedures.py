"""Immunizations and procedure orders called as a job or the CLI would call them (no
HTTP): a patient-context Access reaches only its own patient's rows, in the list (whatever
the filters) and by uuid; staff and system access see everyone's; an immunization's joined
values come in one query, and everything a page of orders names in five, whatever the
number of rows, tests, reports and results; OpenEMR's code lists split as its API splits
them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import event, select

from emr_api.db.models import (
    Immunization,
    Patient,
    ProcedureOrder,
    ProcedureOrderCode,
    ProcedureReport,
    ProcedureResult,
)
from emr_api.errors import NotFound
from emr_api.identity import Access, Identity, Role
from emr_api.services import immunizations, procedures

STAFF = Access(Identity(Role.USER, user_uuid="staff"), acl_group="doc")
SYSTEM = Access.system()


def patient_access(puuid: str) -> Access:
    return Access(Identity(Role.PATIENT, user_uuid=puuid, patient_uuid=puuid),
                  client_id="portal-app",
                  scopes=frozenset({"patient/immunization.read", "patient/procedure.read"}))


@contextmanager
def counted(session) -> Iterator[list]:
    """The SQL statements the session runs inside the block."""
    statements: list = []

    def count(conn, cursor, statement, *rest):
        statements.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", count)


@pytest.fixture(scope="module")
def ordered(database, two_patients) -> dict:
    """Two orders each for Ann and Bea, each with a test, a report and three results:
    {name: (puuid, [order uuid, ...])}."""
    made = {}
    with database.write() as s:
        for name, (puuid, _) in two_patients.items():
            pid = s.execute(select(Patient.pid).where(Patient.uuid == puuid)).scalar()
            orders = [ProcedureOrder(patient_id=pid, date_ordered=datetime(2024, 2, day))
                      for day in (1, 2)]
            s.add_all(orders)
            s.flush()
            for order in orders:
                s.add(ProcedureOrderCode(procedure_order_id=order.procedure_order_id,
                                         procedure_order_seq=1, procedure_code="CBC"))
                report = ProcedureReport(procedure_order_id=order.procedure_order_id)
                s.add(report)
                s.flush()
                s.add_all(ProcedureResult(procedure_report_id=report.procedure_report_id,
                                          result_code=code, result="1")
                          for code in ("6690-2", "718-7", "777-3"))
            made[name] = (puuid, [order.uuid for order in orders])
    return made


def uuids(page) -> set:
    return {row.uuid for row in page.items}


@pytest.fixture(scope="module")
def vaccinated(database, two_patients) -> dict:
    """Two influenza vaccines each for Ann and Bea: {name: (puuid, pid, [uuid, ...])}."""
    made = {}
    with database.write() as s:
        for name, (puuid, _) in two_patients.items():
            pid = s.execute(select(Patient.pid).where(Patient.uuid == puuid)).scalar()
            rows = [Immunization(patient_id=pid, cvx_code="150", lot_number="NARROW",
                                 administered_date=datetime(2023, 10, day, 10),
                                 administration_site="left_deltoid") for day in (2, 3)]
            s.add_all(rows)
            s.flush()
            made[name] = (puuid, pid, [row.uuid for row in rows])
    return made


@pytest.mark.parametrize("access", [STAFF, SYSTEM], ids=["staff", "system"])
def test_staff_and_system_see_everyones_immunizations(database, vaccinated, access):
    with database.read() as s:
        everyone = immunizations.search(s, access, {"lot_number": "NARROW"})
        assert uuids(everyone) == {u for _, _, rows in vaccinated.values() for u in rows}
        for _, _, rows in vaccinated.values():
            assert {immunizations.find(s, access, u).uuid for u in rows} == set(rows)


@pytest.mark.parametrize("name", ["Ann", "Bea"])
def test_a_patient_sees_only_their_own_immunizations(database, vaccinated, name):
    puuid, pid, own = vaccinated[name]
    (other_puuid, other_pid, theirs), = [v for k, v in vaccinated.items() if k != name]
    access = patient_access(puuid)
    with database.read() as s:
        assert uuids(immunizations.search(s, access, {})) == set(own)
        assert uuids(immunizations.search(s, access, {"lot_number": "NARROW"})) == set(own)
        assert uuids(immunizations.search(s, access, {"patient_id": str(other_pid)})) == set()
        assert uuids(immunizations.search(s, access, {"uuid": theirs[0]})) == set()
        assert immunizations.find(s, access, own[0]).patient_id == pid
        for their in theirs:
            with pytest.raises(NotFound) as refused:
                immunizations.find(s, access, their)
            assert refused.value.fields == {"uuid": ["not found"]}


def test_an_immunizations_joined_values_come_in_one_query(database, vaccinated):
    with database.read() as s:
        rows = immunizations.search(s, SYSTEM, {"lot_number": "NARROW"}).items
        with counted(s) as statements:
            found = immunizations.extras(s, rows)
        assert len(statements) == 1 and set(found) == {row.id for row in rows}
        assert {e.site_code for e in found.values()} == {"LD"}
        assert {e.cvx_code_text for e in found.values()} == {
            "Influenza, injectable, quadrivalent, preservative free"}
        assert immunizations.extras(s, []) == {}


@pytest.mark.parametrize("access", [STAFF, SYSTEM], ids=["staff", "system"])
def test_staff_and_system_see_everyones_orders(database, ordered, access):
    with database.read() as s:
        everyone = uuids(procedures.search(s, access, limit=200))
        for _, orders in ordered.values():
            assert set(orders) <= everyone
            assert {procedures.find(s, access, u).uuid for u in orders} == set(orders)


@pytest.mark.parametrize("name", ["Ann", "Bea"])
def test_a_patient_sees_only_their_own_orders(database, ordered, name):
    puuid, own = ordered[name]
    (_, theirs), = [v for k, v in ordered.items() if k != name]
    access = patient_access(puuid)
    with database.read() as s:
        assert uuids(procedures.search(s, access, limit=200)) == set(own)
        assert procedures.find(s, access, own[0]).uuid == own[0]
        for their in theirs:
            with pytest.raises(NotFound) as refused:
                procedures.find(s, access, their)
            assert refused.value.fields == {"uuid": ["not found"]}


def test_a_page_of_orders_is_detailed_in_five_queries(database, ordered):
    with database.read() as s:
        orders = procedures.search(s, SYSTEM, limit=200).items
        with counted(s) as statements:
            found = procedures.details(s, orders)
        assert len(statements) == 5
        mine = [o for o in orders if o.uuid in ordered["Ann"][1]]
        for order in mine:
            (test,) = found.tests[order.procedure_order_id]
            ((_, results),) = test.reports
            assert [r.result_code for r in results] == ["6690-2", "718-7", "777-3"]
            assert found.uuids[order.procedure_order_id] == (ordered["Ann"][0], None, None)
        assert procedures.details(s, []) == procedures.Details({}, {})


@pytest.mark.parametrize("text, split", [
    ("ICD10:E11.9;ICD10:I10", [["ICD10", "E11.9"], ["ICD10", "I10"]]),
    ("SNOMED-CT:44054006", [["SNOMED-CT", "44054006"]]),
    ("ICD10:E11.9;", [["ICD10", "E11.9"]]),
    ("free text", [["free text"]]),
    ("", []),
    (None, []),
])
def test_code_lists_split_as_openemr_splits_them(text, split):
    assert procedures.parse_codes(text) == split
