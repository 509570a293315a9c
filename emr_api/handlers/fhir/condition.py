"""FHIR Condition (US Core 6.1 Condition Problems and Health Concerns) from OpenEMR's
`lists` rows of type medical_problem: problem-list items, coded with the row's ICD-10-CM
(or SNOMED CT) `diagnosis`, onset and abatement from its dates."""

from __future__ import annotations

from sqlalchemy import true

from emr_api.db.models import Issue
from emr_api.handlers.fhir import codes
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.lists import (
    clinical_status,
    clinical_status_param,
    patient_param,
    provider,
    status_concept,
)
from emr_api.handlers.fhir.provider import Param, instant
from emr_api.services import lists

US_CORE = ("http://hl7.org/fhir/us/core/StructureDefinition/"
           "us-core-condition-problems-health-concerns")
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"


def _category(system, code):
    if system not in (None, CATEGORY) or code not in ("problem-list-item", ""):
        return None
    return true()


PARAMS = {
    "patient": patient_param(lists.MEDICAL_PROBLEM, element="subject"),
    "subject": patient_param(lists.MEDICAL_PROBLEM, "subject", element="subject"),
    "category": Param("category", "token", (Issue.type,), token=_category),
    "clinical-status": clinical_status_param(CLINICAL),
    "code": Param("code", "token", (Issue.diagnosis,), token=codes.token(Issue.diagnosis)),
    "onset-date": Param("onset-date", "date", (Issue.begdate,)),
    "abatement-date": Param("abatement-date", "date", (Issue.enddate,)),
    "recorded-date": Param("recorded-date", "date", (Issue.date,)),
}
SORT = {"recorded-date": Issue.date}


def to_fhir(row: Issue, patient_uuid: str) -> dict:
    resource = {
        "resourceType": "Condition",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.modifydate),
                 "profile": [US_CORE]},
        "clinicalStatus": status_concept(CLINICAL, clinical_status(row)),
        "verificationStatus": status_concept(VERIFICATION, "confirmed"),
        "category": [{"coding": [{"system": CATEGORY, "code": "problem-list-item",
                                  "display": "Problem List Item"}]}],
        "code": codes.concept(row.diagnosis, row.title),
        "subject": {"reference": f"Patient/{patient_uuid}"},
        "recordedDate": instant(row.date),
    }
    if row.begdate:
        resource["onsetDateTime"] = row.begdate.isoformat()
    if row.enddate:
        resource["abatementDateTime"] = row.enddate.isoformat()
    return resource


PROVIDER = provider("Condition", lists.MEDICAL_PROBLEM, PARAMS, SORT, to_fhir)
read, search, search_query, search_form = bind(PROVIDER)
