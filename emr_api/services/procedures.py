"""Procedure orders (OpenEMR's `procedure_order`) with their tests (`procedure_order_code`),
the laboratory's reports on each test (`procedure_report`) and the results of each report
(`procedure_result`): read across patients, as OpenEMR's Standard API serves them. That API
has no writes for them; the demo data (and, later, lab interfaces) write the rows.

A page holds orders, never a row per result: `details` gathers everything the orders of a
page name in a fixed number of queries, whatever their tests and results. Every query is
narrowed for a patient-context access: such a caller never sees another patient's order,
in the list or by uuid."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from emr_api.db.models import (
    Encounter,
    Patient,
    Practitioner,
    ProcedureOrder,
    ProcedureOrderCode,
    ProcedureReport,
    ProcedureResult,
    ProcedureType,
)
from emr_api.identity import Access
from emr_api.services import resources
from emr_api.services.resources import Page, ResourceSpec


def _owner(puuid: str):
    return ProcedureOrder.patient_id.in_(select(Patient.pid).where(Patient.uuid == puuid))


SPEC = ResourceSpec(
    name="procedure",
    model=ProcedureOrder,
    id_name="uuid",
    writable=(),
    sort=("procedure_order_id", "date_ordered", "date_collected", "order_status"),
    default_order="procedure_order_id",
    owner=_owner,
)


def search(session: Session, access: Access, **paging) -> Page:
    """One page of the orders of every patient this access may see."""
    return resources.search(session, access, SPEC, {}, **paging)


def find(session: Session, access: Access, uuid: str) -> ProcedureOrder:
    """The order with this uuid, as this access may see it (else NotFound)."""
    return resources.find(session, access, SPEC, uuid)


def parse_codes(text: str | None) -> list[list[str]]:
    """OpenEMR's `ICD10:E11.9;ICD10:I10` as its API splits it: [["ICD10", "E11.9"], ...]."""
    return [part.split(":", 1) for part in (text or "").split(";") if part]


@dataclass(frozen=True)
class Test:
    """One test of an order, with the standard code of the test the laboratory's catalogue
    gives it, and its reports, each with its results."""

    code: ProcedureOrderCode
    standard_code: str | None
    reports: list[tuple[ProcedureReport, list[ProcedureResult]]]


@dataclass(frozen=True)
class Details:
    """What the orders of a page name, by order id: the uuids of their patient, encounter
    and ordering provider, and their tests."""

    uuids: dict[int, tuple[str, str | None, str | None]]  # (puuid, euuid, pruuid)
    tests: dict[int, list[Test]]


def details(session: Session, orders) -> Details:
    """Everything these orders name, in five queries."""
    ids = [order.procedure_order_id for order in orders]
    if not ids:
        return Details({}, {})
    uuids = {found[0]: tuple(found[1:]) for found in session.execute(
        select(ProcedureOrder.procedure_order_id, Patient.uuid, Encounter.uuid, Practitioner.uuid)
        .join(Patient, Patient.pid == ProcedureOrder.patient_id)
        .outerjoin(Encounter, and_(Encounter.pid == ProcedureOrder.patient_id,
                                   Encounter.encounter == ProcedureOrder.encounter_id))
        .outerjoin(Practitioner, Practitioner.id == ProcedureOrder.provider_id)
        .where(ProcedureOrder.procedure_order_id.in_(ids)))}
    codes = session.execute(
        select(ProcedureOrderCode).where(ProcedureOrderCode.procedure_order_id.in_(ids))
        .order_by(ProcedureOrderCode.procedure_order_id, ProcedureOrderCode.procedure_order_seq)
    ).scalars().all()
    reports = session.execute(
        select(ProcedureReport).where(ProcedureReport.procedure_order_id.in_(ids))
        .order_by(ProcedureReport.procedure_report_id)).scalars().all()
    results: dict[int, list[ProcedureResult]] = defaultdict(list)
    if reports:
        for result in session.execute(
                select(ProcedureResult)
                .where(ProcedureResult.procedure_report_id.in_(
                    [r.procedure_report_id for r in reports]))
                .order_by(ProcedureResult.procedure_result_id)).scalars():
            results[result.procedure_report_id].append(result)
    by_test: dict[tuple[int, int], list] = defaultdict(list)
    for report in reports:
        by_test[(report.procedure_order_id, report.procedure_order_seq)].append(
            (report, results[report.procedure_report_id]))
    labs = {order.procedure_order_id: order.lab_id for order in orders}
    standard = _standard_codes(session, {c.procedure_code for c in codes})
    tests: dict[int, list[Test]] = defaultdict(list)
    for code in codes:
        order_id = code.procedure_order_id
        tests[order_id].append(Test(
            code=code,
            standard_code=standard.get((labs[order_id], code.procedure_code)),
            reports=by_test[(order_id, code.procedure_order_seq)]))
    return Details(uuids, tests)


def _standard_codes(session: Session, procedure_codes: set[str]) -> dict[tuple, str]:
    """The standard code of each orderable test of these codes, by (laboratory, code); the
    catalogue's first entry wins where a laboratory lists a code twice."""
    found: dict[tuple, str] = {}
    if procedure_codes:
        for lab_id, code, standard_code in session.execute(
                select(ProcedureType.lab_id, ProcedureType.procedure_code,
                       ProcedureType.standard_code)
                .where(ProcedureType.procedure_type == "ord",
                       ProcedureType.procedure_code.in_(procedure_codes))
                .order_by(ProcedureType.procedure_type_id)):
            found.setdefault((lab_id, code), standard_code or None)
    return found
