"""FHIR Procedure (US Core 6.1 Procedure) from two of OpenEMR's tables, as one type:

- surgeries: `lists` rows of type `surgery`, their id the row's uuid, performed on their
  begin date (a period when they end on another day); the row's `diagnosis` is the
  procedure's code when it is in a procedure code system (CPT, SNOMED CT, ICD-10-PCS,
  HCPCS), else the reason it was done (an ICD-10-CM diagnosis);
- completed procedure orders: the order's uuid is its id (the same as its ServiceRequest,
  which is its `basedOn`), its code the order's first test (as the ServiceRequest codes
  it), performed when the specimen was collected (else when it was ordered).

How one type searches two tables: `PROCEDURES` is a UNION ALL of one SELECT per table with
the columns a search needs (as `observation.py` does), mapped to `ProcedureRow`, the
Provider's model. A surgery is dated by a day, an order by an instant: the union keeps both
(`day`, `moment`) and `date` matches either. Neither table keeps a change time this server
can show for both, so `_lastUpdated` is not offered; `meta.lastUpdated` is the surgery's
`modifydate`, and for an order when it was sent (else ordered)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Date, DateTime, String, cast, func, literal_column, null, or_, select, true, union_all
from sqlalchemy.orm import registry as mapper_registry

from emr_api.db.models import Issue, Patient, ProcedureOrder, ProcedureOrderCode, ProcedureProvider
from emr_api.handlers.fhir import codes, service_request
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, instant, parse_date_value
from emr_api.services import procedures
from emr_api.services.search import date_clause

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-procedure"
STATUS = "http://hl7.org/fhir/event-status"
SURGERY, ORDER = "surgery", "order"
COMPLETE = ("complete", "completed")
# Procedure code systems as OpenEMR names them in `<SCHEME>:<code>`.
PROCEDURE_SYSTEMS = {
    "CPT4": "http://www.ama-assn.org/go/cpt",
    "CPT": "http://www.ama-assn.org/go/cpt",
    "SNOMED-CT": "http://snomed.info/sct",
    "SNOMED": "http://snomed.info/sct",
    "ICD10PCS": "http://www.cms.gov/Medicare/Coding/ICD10",
    "ICD10-PCS": "http://www.cms.gov/Medicare/Coding/ICD10",
    "HCPCS": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
}


def _text(value: str):
    # Our own constants only: inline, so both branches have the same column types.
    assert re.fullmatch(r"[a-z]+", value)
    return literal_column(f"'{value}'", String)


def _surgeries():
    return select(
        Issue.uuid.label("id"),
        Issue.id.label("row_id"),
        _text(SURGERY).label("kind"),
        Issue.diagnosis.label("code"),
        Issue.pid.label("pid"),
        Patient.uuid.label("puuid"),
        Issue.begdate.label("day"),
        cast(null(), DateTime).label("moment"),
    ).join(Patient, Patient.pid == Issue.pid).where(Issue.type == "surgery")


def _orders():
    return select(
        ProcedureOrder.uuid.label("id"),
        ProcedureOrder.procedure_order_id.label("row_id"),
        _text(ORDER).label("kind"),
        cast(null(), String(255)).label("code"),
        ProcedureOrder.patient_id.label("pid"),
        Patient.uuid.label("puuid"),
        cast(null(), Date).label("day"),
        func.coalesce(ProcedureOrder.date_collected, ProcedureOrder.date_ordered).label("moment"),
    ).join(Patient, Patient.pid == ProcedureOrder.patient_id).where(
        ProcedureOrder.activity == true(), func.lower(ProcedureOrder.order_status).in_(COMPLETE))


PROCEDURES = union_all(_surgeries(), _orders()).subquery("procedure")


class ProcedureRow:
    """One Procedure as the union gives it: `id` (public), `row_id` and `kind` (the stored
    row: a `lists` id for a surgery, a `procedure_order` id for an order), `code` (a
    surgery's stored `<SCHEME>:<code>`), `pid` and `puuid` (the patient), `day` (a surgery's
    date) or `moment` (an order's)."""


mapper_registry().map_imperatively(ProcedureRow, PROCEDURES, primary_key=[PROCEDURES.c.id])


def _of_patient(uuid: str):
    return ProcedureRow.puuid == uuid


def _code(system, code):
    """A surgery's code in a procedure code system, or an order's first test (LOINC)."""
    found = []
    schemes = [s for s, url in PROCEDURE_SYSTEMS.items() if system in (None, url)]
    if schemes:
        found.append(or_(*(ProcedureRow.code.like(f"{s}:%") for s in schemes)) if not code
                     else ProcedureRow.code.in_([f"{s}:{code}" for s in schemes]))
    if system in (None, service_request.LOINC):
        found.append(select(ProcedureOrderCode.procedure_order_id).where(
            service_request.first_test(ProcedureRow.row_id), ProcedureRow.kind == ORDER,
            service_request.coded(code)).exists())
    return or_(*found) if found else None


def _status(system, code):
    if system not in (None, STATUS):
        return None
    return ProcedureRow.id.is_not(None) if code in ("completed", "") else None


@dataclass(frozen=True)
class PerformedParam(Param):
    """A date parameter matching a day in one column or an instant in another."""

    def clause(self, modifier, value):
        if modifier is not None:
            return super().clause(modifier, value)
        moment = parse_date_value(self.name, value)
        return or_(*(date_clause(column, moment) for column in self.columns))


PARAMS = {
    "patient": Param("patient", "reference", (ProcedureRow.pid,), reference=_of_patient,
                     targets=("Patient",), element="subject"),
    "code": Param("code", "token", (ProcedureRow.code,), token=_code),
    "date": PerformedParam("date", "date", (ProcedureRow.day, ProcedureRow.moment)),
    "status": Param("status", "token", (ProcedureRow.kind,), token=_status),
}


def _procedure_codings(stored: str | None, display: str) -> list[dict]:
    found = []
    for part in (stored or "").split(";"):
        scheme, _, code = part.strip().partition(":")
        system = PROCEDURE_SYSTEMS.get(scheme.upper())
        if system and code:
            found.append({"system": system, "code": code, "display": display})
    return found


def _surgery(row: Issue) -> dict:
    coding = _procedure_codings(row.diagnosis, row.title)
    resource = {"meta": {"lastUpdated": instant(row.modifydate)}, "status": "completed",
                "code": {"coding": coding, "text": row.title} if coding else {"text": row.title}}
    if row.begdate and row.enddate and row.enddate != row.begdate:
        resource["performedPeriod"] = {"start": row.begdate.isoformat(),
                                       "end": row.enddate.isoformat()}
    elif row.begdate:
        resource["performedDateTime"] = row.begdate.isoformat()
    else:
        resource["_performedDateTime"] = {"extension": [{
            "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
            "valueCode": "unknown"}]}
    reasons = codes.codings(row.diagnosis) if not coding else []
    if reasons:
        resource["reasonCode"] = [{"coding": reasons}]
    if row.comments:
        resource["note"] = [{"text": row.comments}]
    return resource


def _order(order: ProcedureOrder, found: procedures.Details, labs: dict) -> dict:
    _, euuid, pruuid = found.uuids[order.procedure_order_id]
    tests = found.tests.get(order.procedure_order_id, [])
    laboratory = order.procedure_order_type in ("laboratory_test", "", None)
    changed = order.date_transmitted or order.date_ordered or order.date_collected
    resource = {"meta": {"lastUpdated": instant(changed)} if changed else {},
                "basedOn": [{"reference": f"ServiceRequest/{order.uuid}"}],
                "status": "completed",
                "code": service_request.concept_of(tests[0], laboratory) if tests
                else {"text": "Procedure order"}}
    if euuid:
        resource["encounter"] = {"reference": f"Encounter/{euuid}"}
    resource["performedDateTime"] = instant(order.date_collected or order.date_ordered)
    performers = []
    if labs.get(order.lab_id):
        performers.append({"actor": {"display": labs[order.lab_id]}})
    if pruuid:
        performers.append({"actor": {"reference": f"Practitioner/{pruuid}"}})
    if performers:
        resource["performer"] = performers
    reasons = [{"coding": c} for c in (codes.codings(part)
                                       for part in order.order_diagnosis.split(";")) if c]
    if reasons:
        resource["reasonCode"] = reasons
    return resource


def represent(session, rows) -> list[dict]:
    surgery_ids = [r.row_id for r in rows if r.kind == SURGERY]
    order_ids = [r.row_id for r in rows if r.kind == ORDER]
    surgeries = {s.id: s for s in session.execute(
        select(Issue).where(Issue.id.in_(surgery_ids))).scalars()} if surgery_ids else {}
    orders = {o.procedure_order_id: o for o in session.execute(
        select(ProcedureOrder).where(ProcedureOrder.procedure_order_id.in_(order_ids)))
        .scalars()} if order_ids else {}
    found = procedures.details(session, list(orders.values()))
    lab_ids = {o.lab_id for o in orders.values() if o.lab_id}
    labs = dict(session.execute(select(ProcedureProvider.ppid, ProcedureProvider.name).where(
        ProcedureProvider.ppid.in_(lab_ids))).all()) if lab_ids else {}
    resources = []
    for row in rows:
        body = _surgery(surgeries[row.row_id]) if row.kind == SURGERY \
            else _order(orders[row.row_id], found, labs)
        meta = {"versionId": "1", **body.pop("meta"), "profile": [US_CORE]}
        resource = {"resourceType": "Procedure", "id": row.id, "meta": meta}
        if "basedOn" in body:
            resource["basedOn"] = body.pop("basedOn")
        resource["status"] = body.pop("status")
        resource["code"] = body.pop("code")
        resource["subject"] = {"reference": f"Patient/{row.puuid}"}
        resource.update(body)
        resources.append(resource)
    return resources


PROVIDER = Provider(
    type="Procedure",
    model=ProcedureRow,
    params=PARAMS,
    sort={},
    owner=_of_patient,
    represent=represent,
    id_column_name="id",
    updated_column_name=None,
)
read, search, search_query, search_form = bind(PROVIDER)
