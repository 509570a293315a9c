"""FHIR DiagnosticReport (US Core 6.1 DiagnosticReport for Laboratory Results Reporting)
from OpenEMR's `procedure_report`: what a laboratory reported for one test of an order.

Its id is the report's uuid. The code is the test's (as the ServiceRequest of the order
codes it), the category LAB (HL7 v2 table 0074), `basedOn` the order's ServiceRequest, and
`result` the laboratory Observations of the report (the `procedure_result` uuids, as
Observation serves them: a result with no date anywhere is not one). The laboratory the
order went to is the performer, by name. A report keeps no change time of its own:
`meta.lastUpdated` is when it was reported (else collected, else ordered), and
`_lastUpdated` is not offered.

SOAP notes are not served here: US Core's DiagnosticReport note categories are radiology,
cardiology and pathology, and a progress note belongs to DocumentReference."""

from __future__ import annotations

from sqlalchemy import func, or_, select, true

from emr_api.db.models import (
    Patient,
    ProcedureOrder,
    ProcedureOrderCode,
    ProcedureProvider,
    ProcedureReport,
    ProcedureResult,
)
from emr_api.handlers.fhir import service_request
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, instant
from emr_api.services import procedures

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-diagnosticreport-lab"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
LOINC = "http://loinc.org"
STATUS_SYSTEM = "http://hl7.org/fhir/diagnostic-report-status"
# OpenEMR's report_status -> FHIR's diagnostic-report-status.
STATUSES = {"final": "final", "prelim": "preliminary", "preliminary": "preliminary",
            "correct": "corrected", "corrected": "corrected", "cancel": "cancelled",
            "canceled": "cancelled", "cancelled": "cancelled", "error": "entered-in-error",
            "registered": "registered", "partial": "partial", "amended": "amended",
            "appended": "appended"}
ACTIVE_ORDERS = select(ProcedureOrder.procedure_order_id).where(
    ProcedureOrder.activity == true())


def status(stored: str | None) -> str:
    return STATUSES.get((stored or "").strip().lower(), "unknown")


def _of_patient(uuid: str):
    return ProcedureReport.procedure_order_id.in_(
        select(ProcedureOrder.procedure_order_id)
        .join(Patient, Patient.pid == ProcedureOrder.patient_id).where(Patient.uuid == uuid))


def _with_result(uuid: str):
    return ProcedureReport.procedure_report_id.in_(
        select(ProcedureResult.procedure_report_id).where(ProcedureResult.uuid == uuid))


def _based_on(uuid: str):
    return ProcedureReport.procedure_order_id.in_(
        select(ProcedureOrder.procedure_order_id).where(ProcedureOrder.uuid == uuid))


def _category(system, code):
    if system not in (None, V2_0074) or code not in ("LAB", ""):
        return None
    return ProcedureReport.procedure_report_id.is_not(None)


def _code(system, code):
    if system not in (None, LOINC):
        return None
    return select(ProcedureOrderCode.procedure_order_id).where(
        ProcedureOrderCode.procedure_order_id == ProcedureReport.procedure_order_id,
        ProcedureOrderCode.procedure_order_seq == ProcedureReport.procedure_order_seq,
        service_request.coded(code)).exists()


def _status(system, code):
    if system not in (None, STATUS_SYSTEM):
        return None
    stored = func.lower(ProcedureReport.report_status)
    if not code:
        return ProcedureReport.procedure_report_id.is_not(None)
    if code == "unknown":
        return or_(ProcedureReport.report_status.is_(None), stored.not_in(list(STATUSES)))
    ours = [key for key, value in STATUSES.items() if value == code]
    return stored.in_(ours) if ours else None


PARAMS = {
    "patient": Param("patient", "reference", (ProcedureReport.procedure_order_id,),
                     reference=_of_patient, targets=("Patient",), element="subject"),
    "category": Param("category", "token", (ProcedureReport.procedure_report_id,),
                      token=_category),
    "code": Param("code", "token", (ProcedureReport.procedure_order_seq,), token=_code),
    "date": Param("date", "date", (ProcedureReport.date_collected,)),
    "status": Param("status", "token", (ProcedureReport.report_status,), token=_status),
    "result": Param("result", "reference", (ProcedureReport.procedure_report_id,),
                    reference=_with_result, targets=("Observation",)),
    "based-on": Param("based-on", "reference", (ProcedureReport.procedure_order_id,),
                      reference=_based_on, targets=("ServiceRequest",), element="basedOn"),
}
SORT = {}


def _served(result: ProcedureResult, report: ProcedureReport, order: ProcedureOrder) -> bool:
    """Whether Observation serves this result (it needs a date to place it in time)."""
    return any(d is not None for d in (result.date, report.date_collected,
                                       order.date_collected, report.date_report,
                                       order.date_ordered))


def represent(session, rows) -> list[dict]:
    orders = {o.procedure_order_id: o for o in session.execute(
        select(ProcedureOrder).where(ProcedureOrder.procedure_order_id.in_(
            {r.procedure_order_id for r in rows}))).scalars()} if rows else {}
    found = procedures.details(session, list(orders.values()))
    labs = dict(session.execute(select(ProcedureProvider.ppid, ProcedureProvider.name).where(
        ProcedureProvider.ppid.in_({o.lab_id for o in orders.values() if o.lab_id}))).all()) \
        if orders else {}
    resources = []
    for row in rows:
        order = orders[row.procedure_order_id]
        puuid, euuid, _ = found.uuids[order.procedure_order_id]
        test = next((t for t in found.tests.get(order.procedure_order_id, [])
                     if t.code.procedure_order_seq == row.procedure_order_seq), None)
        laboratory = order.procedure_order_type in ("laboratory_test", "", None)
        results = next((values for report, values in test.reports
                        if report.procedure_report_id == row.procedure_report_id), []) \
            if test else []
        resource = {"resourceType": "DiagnosticReport", "id": row.uuid,
                    "meta": {"versionId": "1", "profile": [US_CORE]}}
        changed = row.date_report or row.date_collected or order.date_ordered
        if changed:
            resource["meta"]["lastUpdated"] = instant(changed)
        if row.specimen_num:
            resource["identifier"] = [{"type": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "FILL",
                "display": "Filler Identifier"}]}, "value": row.specimen_num}]
        resource["basedOn"] = [{"reference": f"ServiceRequest/{order.uuid}"}]
        resource["status"] = status(row.report_status)
        resource["category"] = [{"coding": [{"system": V2_0074, "code": "LAB",
                                             "display": "Laboratory"}]}]
        resource["code"] = service_request.concept_of(test, laboratory) if test \
            else {"text": "Laboratory report"}
        resource["subject"] = {"reference": f"Patient/{puuid}"}
        if euuid:
            resource["encounter"] = {"reference": f"Encounter/{euuid}"}
        effective = row.date_collected or order.date_collected or row.date_report
        if effective:
            resource["effectiveDateTime"] = instant(effective)
        else:
            resource["_effectiveDateTime"] = {"extension": [{
                "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                "valueCode": "unknown"}]}
        if row.date_report:
            resource["issued"] = instant(row.date_report)
        lab = labs.get(order.lab_id)
        if lab:
            resource["performer"] = [{"display": lab}]
        served = [r for r in results if _served(r, row, order)]
        if served:
            resource["result"] = [{"reference": f"Observation/{r.uuid}",
                                   **({"display": r.result_text} if r.result_text else {})}
                                  for r in served]
        if row.report_notes:
            resource["conclusion"] = row.report_notes
        resources.append(resource)
    return resources


PROVIDER = Provider(
    type="DiagnosticReport",
    model=ProcedureReport,
    params=PARAMS,
    sort=SORT,
    owner=_of_patient,
    represent=represent,
    base=(ProcedureReport.procedure_order_id.in_(ACTIVE_ORDERS),),
    updated_column_name=None,
)
read, search, search_query, search_form = bind(PROVIDER)
