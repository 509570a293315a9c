"""FHIR AllergyIntolerance (US Core 6.1) from OpenEMR's `lists` rows of type allergy.

The code is the row's coded `diagnosis` (RxNorm for a drug) with the title as text; the
reaction its manifestation in words and its severity; the status follows the row
(handlers/fhir/lists.py)."""

from __future__ import annotations

from dataclasses import replace

from emr_api.db.models import Issue
from emr_api.handlers.fhir import codes, elements, list_writes
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.lists import (
    clinical_status,
    clinical_status_param,
    patient_param,
    provider,
    status_concept,
)
from emr_api.handlers.fhir.provider import Writer, instant
from emr_api.handlers.fhir.writes import bind_writes
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


def _reaction(resource: dict) -> tuple[str | None, str | None]:
    """The first reaction's first manifestation (in words) and its severity."""
    for reaction in resource.get("reaction") or []:
        if not isinstance(reaction, dict):
            raise elements.bad("reaction", "a list of reactions")
        words = None
        for manifestation in reaction.get("manifestation") or []:
            words = elements.coded(manifestation, "reaction.manifestation")[1]
            if words:
                break
        severity = reaction.get("severity")
        if severity is not None and severity not in SEVERITIES:
            raise elements.bad("reaction.severity", "mild, moderate or severe")
        return words, severity
    return None, None


def _written(row: Issue, resource: dict) -> Issue:
    list_writes.course(row, list_writes.status_code(resource, CLINICAL), None)
    lists.record_reaction(row, *_reaction(resource))
    return row


def _create(session, caller, resource: dict):
    data = list_writes.fields(resource)
    row = list_writes.create(session, caller, lists.ALLERGY, resource, data, "patient",
                             "AllergyCreate")
    return _written(row, resource)


def _update(session, caller, row, resource: dict):
    data = list_writes.fields(resource)
    list_writes.update(session, lists.ALLERGY, row, resource, data, "patient",
                       "AllergyUpdate")
    return _written(row, resource)


def _delete(session, caller, row):
    lists.remove(session, row)


PROVIDER = replace(provider("AllergyIntolerance", lists.ALLERGY, PARAMS, SORT, to_fhir),
                   writer=Writer(create=_create, update=_update, delete=_delete))
read, search, search_query, search_form = bind(PROVIDER)
create, update, delete, vread, history_instance, history_type = bind_writes(PROVIDER)
