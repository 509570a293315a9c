"""FHIR AllergyIntolerance (US Core 6.1) from OpenEMR's `lists` rows of type allergy.

The code is the row's coded `diagnosis` (RxNorm for a drug) with the title as text; the
reaction its manifestation in words and its severity; the status follows the row
(handlers/fhir/lists.py)."""

from __future__ import annotations

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
from emr_api.handlers.fhir.provider import instant
from emr_api.services import lists

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-allergyintolerance"
CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
SEVERITIES = {"mild", "moderate", "severe"}

PARAMS = {
    "patient": patient_param(lists.ALLERGY),
    "clinical-status": clinical_status_param(CLINICAL),
}
SORT = {"date": Issue.date}


def to_fhir(row: Issue, patient_uuid: str) -> dict:
    resource = {
        "resourceType": "AllergyIntolerance",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.modifydate),
                 "profile": [US_CORE]},
        "clinicalStatus": status_concept(CLINICAL, clinical_status(row)),
        "verificationStatus": status_concept(VERIFICATION, "confirmed"),
        "code": codes.concept(row.diagnosis, row.title),
        "patient": {"reference": f"Patient/{patient_uuid}"},
        "recordedDate": instant(row.date),
    }
    if row.begdate:
        resource["onsetDateTime"] = row.begdate.isoformat()
    if row.reaction:
        reaction = {"manifestation": [{"text": row.reaction.replace("_", " ")}]}
        if row.severity_al in SEVERITIES:
            reaction["severity"] = row.severity_al
        resource["reaction"] = [reaction]
    if row.comments:
        resource["note"] = [{"text": row.comments}]
    return resource


PROVIDER = provider("AllergyIntolerance", lists.ALLERGY, PARAMS, SORT, to_fhir)
read, search, search_query, search_form = bind(PROVIDER)
