"""FHIR ServiceRequest (US Core 6.1 ServiceRequest) from OpenEMR's procedure orders.

One ServiceRequest per order, as OpenEMR serves them: its id is the order's uuid, so that a
DiagnosticReport, Specimen or Procedure can name the request it answers by the order alone.
The request's `code` is the order's first test (its lowest `procedure_order_seq`), coded
with the standard code the laboratory's catalogue gives the test (`LOINC:58410-2`), else,
for a laboratory order whose code has LOINC's shape, as LOINC; the names of every test of
the order are its text.

OpenEMR's `order_status` becomes the request status (pending and routed orders are
`active`, complete ones `completed`, canceled ones `revoked`); its `procedure_order_type`
the US Core category (SNOMED CT). The order keeps no change time: `meta.lastUpdated` is
when it was sent to the laboratory, else when it was ordered, and `_lastUpdated` is not
offered."""

from __future__ import annotations

import re

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import aliased

from emr_api.db.models import ProcedureOrder, ProcedureOrderCode, ProcedureType
from emr_api.handlers.fhir import codes
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, instant
from emr_api.services import procedures

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-servicerequest"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
# OpenEMR's order_status -> FHIR request-status.
STATUSES = {"pending": "active", "routed": "active", "complete": "completed",
            "completed": "completed", "canceled": "revoked", "cancelled": "revoked"}
# OpenEMR's procedure_order_type -> a US Core ServiceRequest category (SNOMED CT).
CATEGORIES = {"laboratory_test": ("108252007", "Laboratory procedure"),
              "imaging": ("363679005", "Imaging"),
              "clinical_test": ("103693007", "Diagnostic procedure"),
              "procedure": ("387713003", "Surgical procedure"),
              "intervention": ("409063005", "Counseling"),
              "education": ("409073007", "Education"),
              "evaluation": ("386053000", "Evaluation procedure"),
              "social_service": ("410606002", "Social service procedure")}
PRIORITIES = {"high": "urgent", "stat": "stat", "asap": "asap", "normal": "routine",
              "routine": "routine"}
LOINC_SHAPE = re.compile(r"\d{1,7}-\d")


def status(stored: str | None) -> str:
    return STATUSES.get((stored or "").strip().lower(), "unknown")


def _status(system, code):
    if system not in (None, "http://hl7.org/fhir/request-status"):
        return None
    if not code:
        return ProcedureOrder.procedure_order_id.is_not(None)
    if code == "unknown":
        return or_(ProcedureOrder.order_status.is_(None),
                   func.lower(ProcedureOrder.order_status).not_in(list(STATUSES)))
    stored = [ours for ours, theirs in STATUSES.items() if theirs == code]
    return func.lower(ProcedureOrder.order_status).in_(stored) if stored else None


def _category(system, code):
    if system not in (None, SNOMED):
        return None
    if not code:
        return ProcedureOrder.procedure_order_type.in_(list(CATEGORIES))
    kinds = [kind for kind, (snomed, _) in CATEGORIES.items() if snomed == code]
    if "laboratory_test" in kinds:
        kinds.append("")  # an order of no type is served as a laboratory order
    return ProcedureOrder.procedure_order_type.in_(kinds) if kinds else None


def first_test(order_id_column):
    """The order's first test (its lowest sequence number), as a correlated condition on
    `ProcedureOrderCode` rows."""
    other = aliased(ProcedureOrderCode)
    lowest = select(func.min(other.procedure_order_seq)).where(
        other.procedure_order_id == order_id_column).scalar_subquery()
    return and_(ProcedureOrderCode.procedure_order_id == order_id_column,
                ProcedureOrderCode.procedure_order_seq == lowest)


def coded(code: str):
    """The tests (`ProcedureOrderCode` rows) a LOINC code names: their own code, or the
    standard code the catalogue gives it; any coded test for no code."""
    if not code:
        return ProcedureOrderCode.procedure_code != ""
    return or_(ProcedureOrderCode.procedure_code == code,
               ProcedureOrderCode.procedure_code.in_(
                   select(ProcedureType.procedure_code).where(
                       ProcedureType.procedure_type == "ord",
                       ProcedureType.standard_code == f"LOINC:{code}")))


def _code(system, code):
    if system not in (None, LOINC):
        return None
    return select(ProcedureOrderCode.procedure_order_id).where(
        first_test(ProcedureOrder.procedure_order_id), coded(code)).exists()


PARAMS = {
    "patient": Param("patient", "reference", (ProcedureOrder.patient_id,),
                     reference=procedures.SPEC.owner, targets=("Patient",), element="subject"),
    "category": Param("category", "token", (ProcedureOrder.procedure_order_type,),
                      token=_category),
    "code": Param("code", "token", (ProcedureOrder.procedure_order_id,), token=_code),
    "authored": Param("authored", "date", (ProcedureOrder.date_ordered,)),
    "status": Param("status", "token", (ProcedureOrder.order_status,), token=_status),
}


def concept_of(test: procedures.Test, laboratory: bool) -> dict:
    """A test of an order as a CodeableConcept: its standard code, else its own code as
    LOINC when the order is a laboratory order and the code looks like one."""
    name = test.code.procedure_name or test.code.procedure_order_title or \
        test.code.procedure_code
    coding = codes.codings(test.standard_code, name or None)
    code = test.code.procedure_code
    if not coding and laboratory and LOINC_SHAPE.fullmatch(code or ""):
        coding = [{"system": LOINC, "code": code, **({"display": name} if name else {})}]
    return {"coding": coding, "text": name} if coding else {"text": name or "Unnamed test"}


def _changed(order: ProcedureOrder):
    return order.date_transmitted or order.date_ordered or order.date_collected


def to_fhir(order: ProcedureOrder, found: procedures.Details) -> dict:
    puuid, euuid, pruuid = found.uuids[order.procedure_order_id]
    tests = found.tests.get(order.procedure_order_id, [])
    laboratory = order.procedure_order_type in ("laboratory_test", "", None)
    resource = {"resourceType": "ServiceRequest", "id": order.uuid,
                "meta": {"versionId": "1", "profile": [US_CORE]}}
    changed = _changed(order)
    if changed:
        resource["meta"]["lastUpdated"] = instant(changed)
    if order.control_id:
        resource["identifier"] = [{"type": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PLAC",
            "display": "Placer Identifier"}]}, "value": order.control_id}]
    resource["status"] = status(order.order_status)
    resource["intent"] = order.order_intent or "order"
    category = CATEGORIES.get(order.procedure_order_type or "laboratory_test")  # as searched
    if category:
        resource["category"] = [{"coding": [{"system": SNOMED, "code": category[0],
                                             "display": category[1]}]}]
    priority = PRIORITIES.get((order.order_priority or "").lower())
    if priority:
        resource["priority"] = priority
    if tests:
        resource["code"] = concept_of(tests[0], laboratory)
        names = [t.code.procedure_name for t in tests if t.code.procedure_name]
        if len(names) > 1:
            resource["code"]["text"] = "; ".join(names)
    else:
        resource["code"] = {"text": "Procedure order"}
    resource["subject"] = {"reference": f"Patient/{puuid}"}
    if euuid:
        resource["encounter"] = {"reference": f"Encounter/{euuid}"}
    occurrence = order.scheduled_date or order.date_collected or order.date_ordered
    if occurrence:
        resource["occurrenceDateTime"] = instant(occurrence)
    if order.date_ordered:
        resource["authoredOn"] = instant(order.date_ordered)
    if pruuid:
        resource["requester"] = {"reference": f"Practitioner/{pruuid}"}
    reasons = [{"coding": c} for c in (codes.codings(part)
                                       for part in order.order_diagnosis.split(";")) if c]
    if reasons:
        resource["reasonCode"] = reasons
    if order.patient_instructions:
        resource["patientInstruction"] = order.patient_instructions
    if order.clinical_hx:
        resource["note"] = [{"text": order.clinical_hx}]
    return resource


def represent(session, rows) -> list[dict]:
    found = procedures.details(session, rows)
    return [to_fhir(row, found) for row in rows]


PROVIDER = Provider(
    type="ServiceRequest",
    model=ProcedureOrder,
    params=PARAMS,
    sort={},
    owner=procedures.SPEC.owner,
    represent=represent,
    base=(ProcedureOrder.activity == true(),),
    updated_column_name=None,
)
read, search, search_query, search_form = bind(PROVIDER)
