"""FHIR Coverage (US Core 6.1 Coverage) from OpenEMR's insurance_data: a patient's policy,
its member number, the insurance company that pays (an Organization, organization.py),
the subscriber's relationship to the patient, its period, group and plan, and its slot
(primary, secondary, tertiary) as `order`."""

from __future__ import annotations

from sqlalchemy import select

from emr_api.db.models import InsuranceCompany, InsurancePolicy, InsuranceType, Patient
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider
from emr_api.services import insurance
from emr_api.services.search import lookup

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-coverage"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
ABSENT = {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                         "valueCode": "unknown"}]}
RELATIONSHIPS = {"self": "Self", "spouse": "Spouse", "child": "Child", "other": "Other"}
ORDER = {"primary": 1, "secondary": 2, "tertiary": 3}


def _payor(uuid: str):
    return InsurancePolicy.provider.in_(
        select(InsuranceCompany.id).where(InsuranceCompany.uuid == uuid))


PARAMS = {
    "patient": Param("patient", "reference", (InsurancePolicy.pid,),
                     reference=insurance.SPEC.owner, targets=("Patient",),
                     element="beneficiary"),
    "beneficiary": Param("beneficiary", "reference", (InsurancePolicy.pid,),
                         reference=insurance.SPEC.owner, targets=("Patient",),
                         element="beneficiary"),
    "payor": Param("payor", "reference", (InsurancePolicy.provider,), reference=_payor,
                   targets=("Organization",), element="payor"),
}
SORT = {"period": InsurancePolicy.date}


def _class(code: str, display: str, value: str) -> dict:
    return {"type": {"coding": [{"system": CLASS, "code": code, "display": display}]},
            "value": value}


def to_fhir(row: InsurancePolicy, refs: dict) -> dict:
    patient = f"Patient/{refs['patients'][row.pid]}"
    payer_uuid, payer_name, payer_type = refs["payers"][row.provider]
    relation = (row.subscriber_relationship or "").strip().lower()
    resource = {
        "resourceType": "Coverage",
        "id": row.uuid,
        "meta": {"versionId": "1", "profile": [US_CORE]},
        "status": "active",
        "beneficiary": {"reference": patient},
        "relationship": {"coding": [{"system": RELATIONSHIP, "code": relation,
                                     "display": RELATIONSHIPS[relation]}]}
        if relation in RELATIONSHIPS else ABSENT,
        "payor": [{"reference": f"Organization/{payer_uuid}", "display": payer_name}],
    }
    if row.policy_number:
        resource["identifier"] = [{"type": {"coding": [{"system": IDENTIFIER_TYPE,
                                                        "code": "MB",
                                                        "display": "Member Number"}]},
                                   "value": row.policy_number}]
        resource["subscriberId"] = row.policy_number
    if payer_type:
        resource["type"] = {"text": payer_type}
    if relation == "self":
        resource["subscriber"] = {"reference": patient}
    period = {"start": row.date.isoformat() if row.date else None,
              "end": row.date_end.isoformat() if row.date_end else None}
    if any(period.values()):
        resource["period"] = {k: v for k, v in period.items() if v}
    classes = ([_class("group", "Group", row.group_number)] if row.group_number else []) + \
        ([_class("plan", "Plan", row.plan_name)] if row.plan_name else [])
    if classes:
        resource["class"] = classes
    if row.type in ORDER:
        resource["order"] = ORDER[row.type]
    return resource


def represent(session, rows) -> list[dict]:
    payers = {}
    wanted = {r.provider for r in rows}
    if wanted:
        payers = {id_: (uuid, name, kind) for id_, uuid, name, kind in session.execute(
            select(InsuranceCompany.id, InsuranceCompany.uuid, InsuranceCompany.name,
                   InsuranceType.type)
            .outerjoin(InsuranceType, InsuranceType.id == InsuranceCompany.ins_type_code)
            .where(InsuranceCompany.id.in_(wanted)))}
    refs = {"patients": lookup(session, Patient.pid, Patient.uuid, {r.pid for r in rows}),
            "payers": payers}
    return [to_fhir(row, refs) for row in rows]


PROVIDER = Provider(
    type="Coverage",
    model=InsurancePolicy,
    params=PARAMS,
    sort=SORT,
    owner=insurance.SPEC.owner,
    represent=represent,
    patient_of=lambda resource: resource["beneficiary"]["reference"].removeprefix("Patient/"),
    updated_column_name=None,
)
read, search, search_query, search_form = bind(PROVIDER)
