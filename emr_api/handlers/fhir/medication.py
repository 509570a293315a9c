"""FHIR Medication (US Core 6.1 Medication) from OpenEMR's formulary (`drugs`): the drug's
RxNorm code (and NDC) with its name as text, its form in words, and whether it is still
offered. Not patient data: a patient's token sees the whole formulary."""

from __future__ import annotations

from sqlalchemy import select, true

from emr_api.db.models import Drug, ListOption
from emr_api.handlers.fhir.codes import SYSTEMS
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, any_column, codes, instant

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-medication"
RXNORM = SYSTEMS["RXNORM"]
NDC = SYSTEMS["NDC"]
FORM_LIST = "drug_form"

PARAMS = {
    "code": Param("code", "token", (Drug.drug_code,), token=any_column([
        codes(Drug.drug_code, RXNORM), codes(Drug.ndc_number, NDC)])),
}


def code(row: Drug) -> dict:
    """The drug as a CodeableConcept: RxNorm first, then the NDC; the name as text."""
    coding = []
    if row.drug_code:
        coding.append({"system": RXNORM, "code": row.drug_code, "display": row.name})
    if row.ndc_number:
        coding.append({"system": NDC, "code": row.ndc_number})
    return {"coding": coding, "text": row.name} if coding else {"text": row.name}


def to_fhir(row: Drug, forms: dict) -> dict:
    resource = {
        "resourceType": "Medication",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.last_updated),
                 "profile": [US_CORE]},
        "code": code(row),
        "status": "active" if row.active else "inactive",
    }
    if forms.get(row.form):
        resource["form"] = {"text": forms[row.form]}
    return resource


def represent(session, rows) -> list[dict]:
    forms = options(session, FORM_LIST, {r.form for r in rows})
    return [to_fhir(row, forms) for row in rows]


def options(session, list_id: str, wanted: set) -> dict:
    """{option id: title} of one list (option ids repeat across lists)."""
    wanted = {w for w in wanted if w is not None}
    if not wanted:
        return {}
    found = session.execute(select(ListOption.option_id, ListOption.title).where(
        ListOption.list_id == list_id, ListOption.option_id.in_(wanted)))
    return dict(found.all())


PROVIDER = Provider(
    type="Medication",
    model=Drug,
    params=PARAMS,
    sort={},
    # Not patient data: the formulary is the same for every caller.
    owner=lambda puuid: true(),
    represent=represent,
    patient_of=lambda resource: None,
)
read, search, search_query, search_form = bind(PROVIDER)
