"""FHIR Specimen (US Core 6.1 Specimen) from OpenEMR's `procedure_specimen`: a specimen taken
for one test of a procedure order. Its id is the row's uuid, its subject the order's
patient, its `request` the order's ServiceRequest. The type, collection method and body
site are SNOMED CT codes as stored (with the stored words as text); a specimen whose type
is not recorded says so with a data-absent-reason. Deleted rows, and the specimens of a
deleted order, are not served."""

from __future__ import annotations

from sqlalchemy import false, select, true

from emr_api.db.models import Patient, ProcedureOrder, ProcedureSpecimen
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, codes, instant

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-specimen"
SNOMED = "http://snomed.info/sct"
CONDITION = "http://terminology.hl7.org/CodeSystem/v2-0493"
ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
ACTIVE_ORDERS = select(ProcedureOrder.procedure_order_id).where(
    ProcedureOrder.activity == true())


def _of_patient(uuid: str):
    return ProcedureSpecimen.procedure_order_id.in_(
        select(ProcedureOrder.procedure_order_id)
        .join(Patient, Patient.pid == ProcedureOrder.patient_id).where(Patient.uuid == uuid))


def _of_request(uuid: str):
    return ProcedureSpecimen.procedure_order_id.in_(
        select(ProcedureOrder.procedure_order_id).where(ProcedureOrder.uuid == uuid))


PARAMS = {
    "patient": Param("patient", "reference", (ProcedureSpecimen.procedure_order_id,),
                     reference=_of_patient, targets=("Patient",), element="subject"),
    "accession": Param("accession", "token", (ProcedureSpecimen.accession_identifier,),
                       token=codes(ProcedureSpecimen.accession_identifier, None)),
    "type": Param("type", "token", (ProcedureSpecimen.specimen_type_code,),
                  token=codes(ProcedureSpecimen.specimen_type_code, SNOMED)),
    "collected": Param("collected", "date", (ProcedureSpecimen.collected_date,)),
    "request": Param("request", "reference", (ProcedureSpecimen.procedure_order_id,),
                     reference=_of_request, targets=("ServiceRequest",)),
}


def _concept(system: str, code: str | None, text: str | None) -> dict | None:
    if code:
        coding = {"system": system, "code": code, **({"display": text} if text else {})}
        return {"coding": [coding], "text": text} if text else {"coding": [coding]}
    return {"text": text} if text else None


def to_fhir(row: ProcedureSpecimen, order: tuple[str, str]) -> dict:
    order_uuid, puuid = order
    resource = {"resourceType": "Specimen", "id": row.uuid,
                "meta": {"versionId": "1", "lastUpdated": instant(row.date_updated),
                         "profile": [US_CORE]}}
    if row.specimen_identifier:
        resource["identifier"] = [{"value": row.specimen_identifier}]
    if row.accession_identifier:
        resource["accessionIdentifier"] = {"value": row.accession_identifier}
    resource["type"] = _concept(SNOMED, row.specimen_type_code, row.specimen_type) or {
        "extension": [{"url": ABSENT, "valueCode": "unknown"}]}
    resource["subject"] = {"reference": f"Patient/{puuid}"}
    resource["request"] = [{"reference": f"ServiceRequest/{order_uuid}"}]
    collection = {}
    if row.collected_date:
        collection["collectedDateTime"] = instant(row.collected_date)
    elif row.collection_date_low or row.collection_date_high:
        collection["collectedPeriod"] = {k: instant(v) for k, v in (
            ("start", row.collection_date_low), ("end", row.collection_date_high)) if v}
    if row.volume_value is not None:
        value = float(row.volume_value)
        collection["quantity"] = {"value": int(value) if value.is_integer() else value,
                                  **({"unit": row.volume_unit} if row.volume_unit else {})}
    method = _concept(SNOMED, row.collection_method_code, row.collection_method)
    if method:
        collection["method"] = method
    site = _concept(SNOMED, row.specimen_location_code, row.specimen_location)
    if site:
        collection["bodySite"] = site
    if collection:
        resource["collection"] = collection
    condition = _concept(CONDITION, row.condition_code, row.specimen_condition)
    if condition:
        resource["condition"] = [condition]
    if row.comments:
        resource["note"] = [{"text": row.comments}]
    return resource


def represent(session, rows) -> list[dict]:
    orders = {found[0]: tuple(found[1:]) for found in session.execute(
        select(ProcedureOrder.procedure_order_id, ProcedureOrder.uuid, Patient.uuid)
        .join(Patient, Patient.pid == ProcedureOrder.patient_id)
        .where(ProcedureOrder.procedure_order_id.in_({r.procedure_order_id for r in rows})))
    } if rows else {}
    return [to_fhir(row, orders[row.procedure_order_id]) for row in rows]


PROVIDER = Provider(
    type="Specimen",
    model=ProcedureSpecimen,
    params=PARAMS,
    sort={},
    owner=_of_patient,
    represent=represent,
    base=(ProcedureSpecimen.deleted == false(),
          ProcedureSpecimen.procedure_order_id.in_(ACTIVE_ORDERS)),
    updated_column_name="date_updated",
)
read, search, search_query, search_form = bind(PROVIDER)
