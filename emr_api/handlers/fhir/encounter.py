"""FHIR Encounter (US Core 6.1 Encounter) from OpenEMR's form_encounter: the visit's class
(HL7 ActCode), its category as type, the patient, the provider as primary performer, the
facility as location and service provider, the reason, and its encounter number."""

from __future__ import annotations

from sqlalchemy import select

from emr_api.db.models import CalendarCategory, Encounter, Facility, Patient, Practitioner
from emr_api.handlers.fhir import base_url
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, codes, instant
from emr_api.services import encounters
from emr_api.services.search import lookup

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-encounter"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CLASSES = {"AMB": "ambulatory", "EMER": "emergency", "FLD": "field", "HH": "home health",
           "IMP": "inpatient encounter", "ACUTE": "inpatient acute",
           "NONAC": "inpatient non-acute", "OBSENC": "observation encounter",
           "PRENC": "pre-admission", "SS": "short stay", "VR": "virtual"}
PERFORMER = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                         "code": "PPRF", "display": "primary performer"}]}


def identifier_system() -> str:
    return f"{base_url()}/sid/encounter"


def _identifier(system, code):
    if system not in (None, identifier_system()) or not code.isdigit():
        return None
    return Encounter.encounter == int(code)


def _status(system, code):
    # Every recorded visit is finished (OpenEMR records visits, not plans).
    if system not in (None, "http://hl7.org/fhir/encounter-status") or code != "finished":
        return None
    return Encounter.eid.is_not(None)


def _of_patient(uuid: str):
    return encounters.SPEC.owner(uuid)


def _by_uuid(model, column):
    return lambda uuid: column.in_(select(model.id).where(model.uuid == uuid))


PARAMS = {
    "patient": Param("patient", "reference", (Encounter.pid,), reference=_of_patient,
                     targets=("Patient",), element="subject"),
    "subject": Param("subject", "reference", (Encounter.pid,), reference=_of_patient,
                     targets=("Patient",), element="subject"),
    "date": Param("date", "date", (Encounter.date,)),
    "class": Param("class", "token", (Encounter.class_code,),
                   token=codes(Encounter.class_code, ACT_CODE)),
    "status": Param("status", "token", (Encounter.eid,), token=_status),
    "identifier": Param("identifier", "token", (Encounter.encounter,), token=_identifier),
    "practitioner": Param("practitioner", "reference", (Encounter.provider_id,),
                          reference=_by_uuid(Practitioner, Encounter.provider_id),
                          targets=("Practitioner",), element="participant.individual"),
    "location": Param("location", "reference", (Encounter.facility_id,),
                      reference=_by_uuid(Facility, Encounter.facility_id),
                      targets=("Location",), element="location.location"),
    "service-provider": Param("service-provider", "reference", (Encounter.facility_id,),
                              reference=_by_uuid(Facility, Encounter.facility_id),
                              targets=("Organization",), element="serviceProvider"),
}
SORT = {"date": Encounter.date}


def to_fhir(row: Encounter, refs: dict, system: str) -> dict:
    code = row.class_code or "AMB"
    resource = {
        "resourceType": "Encounter",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.last_updated),
                 "profile": [US_CORE]},
        "identifier": [{"system": system, "value": str(row.encounter)}] if row.encounter else [],
        "status": "finished",
        "class": {"system": ACT_CODE, "code": code, "display": CLASSES.get(code, code)},
        "type": [{"text": refs["categories"].get(row.pc_catid) or "Encounter"}],
        "subject": {"reference": f"Patient/{refs['patients'][row.pid]}"},
        "period": {"start": instant(row.date)},
    }
    practitioner = refs["practitioners"].get(row.provider_id)
    if practitioner:
        resource["participant"] = [{"type": [PERFORMER],
                                    "individual": {"reference": f"Practitioner/{practitioner}"}}]
    if row.reason:
        resource["reasonCode"] = [{"text": row.reason}]
    facility = refs["facilities"].get(row.facility_id)
    if facility:
        resource["location"] = [{"location": {"reference": f"Location/{facility}"}}]
        resource["serviceProvider"] = {"reference": f"Organization/{facility}"}
    return {k: v for k, v in resource.items() if v != []}


def represent(session, rows) -> list[dict]:
    refs = {
        "patients": lookup(session, Patient.pid, Patient.uuid, {r.pid for r in rows}),
        "practitioners": lookup(session, Practitioner.id, Practitioner.uuid,
                                {r.provider_id for r in rows}),
        "facilities": lookup(session, Facility.id, Facility.uuid, {r.facility_id for r in rows}),
        "categories": lookup(session, CalendarCategory.pc_catid, CalendarCategory.pc_catname,
                             {r.pc_catid for r in rows}),
    }
    system = identifier_system()
    return [to_fhir(row, refs, system) for row in rows]


PROVIDER = Provider(
    type="Encounter",
    model=Encounter,
    params=PARAMS,
    sort=SORT,
    owner=_of_patient,
    represent=represent,
)
read, search, search_query, search_form = bind(PROVIDER)
