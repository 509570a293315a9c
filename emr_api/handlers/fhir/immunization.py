"""FHIR Immunization (US Core 6.1 Immunization) from OpenEMR's immunizations.

The status: `entered-in-error` for a row marked added in error, `not-done` for a vaccine
refused or not given (with the refusal reason as statusReason), else `completed`. The
vaccine is its CVX code with the name OpenEMR keeps for it; the dose is in UCUM; route and
site are coded where OpenEMR's values have an HL7 code; who gave it and who ordered it are
the performers; `primarySource` is decided as OpenEMR decides it."""

from __future__ import annotations

from sqlalchemy import and_, or_, select

from emr_api.db.models import Encounter, Immunization, Practitioner
from emr_api.handlers.fhir.codes import SYSTEMS
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, codes, instant
from emr_api.services import immunizations
from emr_api.services.search import lookup

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-immunization"
CVX = SYSTEMS["CVX"]
UCUM = "http://unitsofmeasure.org"
STATUS = "http://hl7.org/fhir/event-status"
ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
ROUTE = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
SITE = "http://terminology.hl7.org/CodeSystem/v3-ActSite"
FUNCTION = "http://terminology.hl7.org/CodeSystem/v2-0443"
# OpenEMR's completion statuses of a vaccine that was not given.
NOT_GIVEN = ("Refused", "Not Administered")
# OpenEMR's refusal reasons (immunization_refusal_reason) as HL7 ActReason codes.
REFUSALS = {"patient_decision": ("PATOBJ", "patient objection"),
            "parental_decision": ("PATOBJ", "patient objection"),
            "religious_exemption": ("RELIG", "religious objection")}
# Routes as OpenEMR's immunization form stores them (words or drug_route option ids).
ROUTES = {"intramuscular": ("IM", "Injection, intramuscular"),
          "10": ("IM", "Injection, intramuscular"),
          "subcutaneous": ("SQ", "Injection, subcutaneous"),
          "9": ("SQ", "Injection, subcutaneous"),
          "oral": ("PO", "Swallow, oral"), "1": ("PO", "Swallow, oral"),
          "intravenous": ("IVINJ", "Injection, intravenous"),
          "11": ("IVINJ", "Injection, intravenous")}
# The body-site codes (the site options' notes) that are HL7 ActSite codes.
SITES = {"LA", "LD", "LG", "LLFA", "LT", "LVL", "RA", "RD", "RG", "RLFA", "RT", "RVL"}
ADMINISTERING = {"coding": [{"system": FUNCTION, "code": "AP",
                             "display": "Administering Provider"}]}
ORDERING = {"coding": [{"system": FUNCTION, "code": "OP", "display": "Ordering Provider"}]}


def _unknown() -> dict:
    return {"extension": [{"url": ABSENT, "valueCode": "unknown"}]}


def _status(system, code):
    if system not in (None, STATUS):
        return None
    valid = Immunization.added_erroneously.is_(False)
    refused = Immunization.completion_status.in_(NOT_GIVEN)
    if code == "entered-in-error":
        return Immunization.added_erroneously.is_(True)
    if code == "not-done":
        return and_(valid, refused)
    if code == "completed":
        return and_(valid, or_(Immunization.completion_status.is_(None), ~refused))
    if code == "":
        return Immunization.id.is_not(None)
    return None


def status(row: Immunization) -> str:
    if row.added_erroneously:
        return "entered-in-error"
    return "not-done" if row.completion_status in NOT_GIVEN else "completed"


def _of_patient(uuid: str):
    return immunizations.SPEC.owner(uuid)


PARAMS = {
    "patient": Param("patient", "reference", (Immunization.patient_id,), reference=_of_patient,
                     targets=("Patient",)),
    "date": Param("date", "date", (Immunization.administered_date,)),
    "status": Param("status", "token", (Immunization.added_erroneously,), token=_status),
    "vaccine-code": Param("vaccine-code", "token", (Immunization.cvx_code,),
                          token=codes(Immunization.cvx_code, CVX)),
}


def _vaccine(row: Immunization, name: str | None) -> dict:
    if not row.cvx_code:
        return _unknown()
    coding = {"system": CVX, "code": row.cvx_code}
    if name:
        coding["display"] = name
    return {"coding": [coding], "text": name or f"CVX {row.cvx_code}"}


def _status_reason(row: Immunization, more: immunizations.Extras) -> dict | None:
    if status(row) != "not-done" or not row.refusal_reason:
        return None
    text = more.refusal_reason_description or row.refusal_reason.replace("_", " ")
    known = REFUSALS.get(row.refusal_reason)
    if known is None:
        return {"text": text}
    return {"coding": [{"system": ACT_REASON, "code": known[0], "display": known[1]}],
            "text": text}


def _route(row: Immunization) -> dict | None:
    if not row.route:
        return None
    known = ROUTES.get(row.route.lower())
    if known is None:
        return {"text": row.route}
    return {"coding": [{"system": ROUTE, "code": known[0], "display": known[1]}],
            "text": row.route}


def _site(row: Immunization, more: immunizations.Extras) -> dict | None:
    if not row.administration_site:
        return None
    text = more.site_display or row.administration_site.replace("_", " ")
    if more.site_code in SITES:
        return {"coding": [{"system": SITE, "code": more.site_code, "display": text}],
                "text": text}
    return {"text": text}


def _performers(row: Immunization, more: immunizations.Extras, ordering: str | None) -> list:
    found = []
    if more.provider_uuid:
        found.append({"function": ADMINISTERING,
                      "actor": {"reference": f"Practitioner/{more.provider_uuid}"}})
    elif row.administered_by:
        found.append({"function": ADMINISTERING, "actor": {"display": row.administered_by}})
    if ordering:
        found.append({"function": ORDERING, "actor": {"reference": f"Practitioner/{ordering}"}})
    return found


def to_fhir(row: Immunization, more: immunizations.Extras, refs: dict) -> dict:
    resource = {
        "resourceType": "Immunization",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.update_date),
                 "profile": [US_CORE]},
        "status": status(row),
    }
    if reason := _status_reason(row, more):
        resource["statusReason"] = reason
    resource["vaccineCode"] = _vaccine(row, more.cvx_code_text)
    resource["patient"] = {"reference": f"Patient/{more.puuid}"}
    visit = refs["encounters"].get((row.patient_id, row.encounter_id))
    if visit:
        resource["encounter"] = {"reference": f"Encounter/{visit}"}
    if row.administered_date is not None:
        resource["occurrenceDateTime"] = instant(row.administered_date)
    else:
        resource["_occurrenceDateTime"] = _unknown()
    resource["recorded"] = instant(row.create_date)
    resource["primarySource"] = immunizations.primary_source(row)
    if row.manufacturer:
        resource["manufacturer"] = {"display": row.manufacturer}
    if row.lot_number:
        resource["lotNumber"] = row.lot_number
    if row.expiration_date:
        resource["expirationDate"] = row.expiration_date.isoformat()
    if site := _site(row, more):
        resource["site"] = site
    if route := _route(row):
        resource["route"] = route
    if row.amount_administered is not None:
        dose = {"value": row.amount_administered}
        if row.amount_administered_unit:
            dose.update(unit=row.amount_administered_unit, system=UCUM,
                        code=row.amount_administered_unit)
        resource["doseQuantity"] = dose
    performers = _performers(row, more, refs["ordering"].get(row.ordering_provider))
    if performers:
        resource["performer"] = performers
    if row.note:
        resource["note"] = [{"text": row.note}]
    return resource


def represent(session, rows) -> list[dict]:
    joined = immunizations.extras(session, rows)
    numbers = {r.encounter_id for r in rows if r.encounter_id is not None}
    encounters = {}
    if numbers:
        found = session.execute(select(Encounter.pid, Encounter.encounter, Encounter.uuid).where(
            Encounter.pid.in_({r.patient_id for r in rows}), Encounter.encounter.in_(numbers)))
        encounters = {(pid, number): uuid for pid, number, uuid in found}
    refs = {"encounters": encounters,
            "ordering": lookup(session, Practitioner.id, Practitioner.uuid,
                               {r.ordering_provider for r in rows})}
    return [to_fhir(row, joined[row.id], refs) for row in rows]


PROVIDER = Provider(
    type="Immunization",
    model=Immunization,
    params=PARAMS,
    sort={},
    owner=_of_patient,
    represent=represent,
    updated_column_name="update_date",
)
read, search, search_query, search_form = bind(PROVIDER)
