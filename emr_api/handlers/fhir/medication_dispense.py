"""FHIR MedicationDispense (US Core 6.1 MedicationDispense) from OpenEMR's drug sales
(`drug_sales` rows of `trans_type` 1: a formulary drug handed to a patient).

A recorded sale is `completed` (OpenEMR keeps no other state of it). The medication is the
formulary drug (a Medication); the patient, the encounter it was sold in (context), who
recorded it (a Practitioner, when the username is one's), and the prescription it filled
(authorizingPrescription) are references. The type is HL7 ActCode `FF` (first fill) for
the first sale against a prescription and `RF` (refill) for each later one; a sale without
a prescription has no type. The quantity is in the drug's form (tablets, ...); the day it
was sold is whenHandedOver; the prescription's directions are the dosage instruction."""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from emr_api.db.models import Drug, DrugSale, Encounter, Patient, Practitioner, Prescription
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.medication import options
from emr_api.handlers.fhir.medication_request import dosage
from emr_api.handlers.fhir.provider import Param, Provider, instant
from emr_api.services import prescriptions
from emr_api.services.search import lookup

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationdispense"
STATUS = "http://terminology.hl7.org/CodeSystem/medicationdispense-status"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
FILLS = {"FF": "First Fill", "RF": "Refill"}
SALE = 1  # OpenEMR's trans_type of a sale (a dispense)


def _first_fill():
    """Whether a sale is the first against its prescription (no sale of it before)."""
    earlier = aliased(DrugSale)
    return ~select(earlier.sale_id).where(
        earlier.prescription_id == DrugSale.prescription_id, earlier.trans_type == SALE,
        earlier.sale_id < DrugSale.sale_id).exists()


def _type(system, code):
    if system not in (None, ACT_CODE):
        return None
    filled = DrugSale.prescription_id.is_not(None)
    if code == "":
        return filled
    if code == "FF":
        return and_(filled, _first_fill())
    if code == "RF":
        return and_(filled, ~_first_fill())
    return None


def _status(system, code):
    if system not in (None, STATUS) or code not in ("", "completed"):
        return None
    return DrugSale.sale_id.is_not(None)


def _of_patient(uuid: str):
    return DrugSale.pid.in_(select(Patient.pid).where(Patient.uuid == uuid))


def _by_uuid(model, key, column):
    return lambda uuid: column.in_(select(key).where(model.uuid == uuid))


PARAMS = {
    "patient": Param("patient", "reference", (DrugSale.pid,), reference=_of_patient,
                     targets=("Patient",), element="subject"),
    "status": Param("status", "token", (DrugSale.trans_type,), token=_status),
    "type": Param("type", "token", (DrugSale.prescription_id,), token=_type),
    "whenhandedover": Param("whenhandedover", "date", (DrugSale.sale_date,)),
    "medication": Param("medication", "reference", (DrugSale.drug_id,),
                        reference=_by_uuid(Drug, Drug.drug_id, DrugSale.drug_id),
                        targets=("Medication",), element="medicationReference"),
    "prescription": Param("prescription", "reference", (DrugSale.prescription_id,),
                          reference=_by_uuid(Prescription, Prescription.id,
                                             DrugSale.prescription_id),
                          targets=("MedicationRequest",), element="authorizingPrescription"),
}
SORT = {"whenhandedover": DrugSale.sale_date}


def _fills(session, rows) -> dict[int, str]:
    """sale id -> `FF` or `RF`, for the sales against a prescription."""
    scripts = {r.prescription_id for r in rows if r.prescription_id is not None}
    if not scripts:
        return {}
    first = dict(session.execute(
        select(DrugSale.prescription_id, DrugSale.sale_id.label("first"))
        .where(DrugSale.prescription_id.in_(scripts), DrugSale.trans_type == SALE,
               _first_fill())).all())
    return {r.sale_id: "FF" if first.get(r.prescription_id) == r.sale_id else "RF"
            for r in rows if r.prescription_id is not None}


def represent(session, rows) -> list[dict]:
    drugs = {d.drug_id: d for d in session.execute(
        select(Drug).where(Drug.drug_id.in_({r.drug_id for r in rows}))).scalars()} \
        if rows else {}
    forms = options(session, "drug_form", {d.form for d in drugs.values()})
    scripts = {p.id: p for p in session.execute(select(Prescription).where(
        Prescription.id.in_({r.prescription_id for r in rows} - {None})))
        .scalars()} if any(r.prescription_id for r in rows) else {}
    script_details = prescriptions.details(session, list(scripts.values()))
    refs = {
        "patients": lookup(session, Patient.pid, Patient.uuid, {r.pid for r in rows}),
        "performers": lookup(session, Practitioner.username, Practitioner.uuid,
                             {r.user for r in rows if r.user}),
        "fills": _fills(session, rows),
        "encounters": {},
    }
    numbers = {r.encounter for r in rows if r.encounter is not None}
    if numbers:
        found = session.execute(select(Encounter.pid, Encounter.encounter, Encounter.uuid).where(
            Encounter.pid.in_({r.pid for r in rows}), Encounter.encounter.in_(numbers)))
        refs["encounters"] = {(pid, number): uuid for pid, number, uuid in found}
    return [to_fhir(row, drugs.get(row.drug_id), forms, scripts.get(row.prescription_id),
                    script_details, refs) for row in rows]


def to_fhir(row: DrugSale, drug: Drug | None, forms: dict, script: Prescription | None,
            script_details: prescriptions.Details, refs: dict) -> dict:
    resource = {
        "resourceType": "MedicationDispense",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.last_updated),
                 "profile": [US_CORE]},
        "status": "completed",
    }
    if drug is not None:
        resource["medicationReference"] = {"reference": f"Medication/{drug.uuid}",
                                           "display": drug.name}
    resource["subject"] = {"reference": f"Patient/{refs['patients'][row.pid]}"}
    visit = refs["encounters"].get((row.pid, row.encounter))
    if visit:
        resource["context"] = {"reference": f"Encounter/{visit}"}
    performer = refs["performers"].get(row.user)
    if performer:
        resource["performer"] = [{"actor": {"reference": f"Practitioner/{performer}"}}]
    if script is not None:
        resource["authorizingPrescription"] = [{"reference": f"MedicationRequest/{script.uuid}"}]
    fill = refs["fills"].get(row.sale_id)
    if fill:
        resource["type"] = {"coding": [{"system": ACT_CODE, "code": fill,
                                        "display": FILLS[fill]}], "text": FILLS[fill]}
    quantity = {"value": row.quantity}
    unit = forms.get(drug.form) if drug is not None else None
    if unit:
        quantity["unit"] = unit
    resource["quantity"] = quantity
    resource["whenHandedOver"] = row.sale_date.isoformat()
    if script is not None:
        instruction = dosage(script, script_details.options)
        if instruction:
            resource["dosageInstruction"] = [instruction]
    if row.notes:
        resource["note"] = [{"text": row.notes}]
    return resource


PROVIDER = Provider(
    type="MedicationDispense",
    model=DrugSale,
    params=PARAMS,
    sort=SORT,
    owner=_of_patient,
    represent=represent,
    base=(DrugSale.trans_type == SALE, DrugSale.pid.is_not(None)),
)
read, search, search_query, search_form = bind(PROVIDER)
