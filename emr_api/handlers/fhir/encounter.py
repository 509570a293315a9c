"""FHIR Encounter (US Core 6.1 Encounter) from OpenEMR's form_encounter: the visit's class
(HL7 ActCode), its category as type, the patient, the provider as primary performer, the
facility as location and service provider, the reason, and its encounter number."""

from __future__ import annotations

from sqlalchemy import select

from emr_api.db.models import CalendarCategory, Encounter, Facility, Patient, Practitioner
from emr_api.errors import ValidationFailed
from emr_api.handlers.fhir import base_url, elements
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, Writer, codes, instant, \
    parse_date_value
from emr_api.handlers.fhir.writes import bind_writes
from emr_api.services import encounters, resources
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


# Writes: an Encounter into the Standard API's encounter fields.
ELEMENTS = {"date": "period.start", "class_code": "class", "pc_catid": "type",
            "provider_id": "participant.individual", "facility_id": "location",
            "reason": "reasonCode"}
DEFAULT_CATEGORY = "Office Visit"


def _number_of(session, model, resource: dict, element: str, type_: str,
               path: str | None = None) -> int | None:
    """The integer id of the record a reference (at `element`, inside `path`) names."""
    holder = resource
    for step in (path or "").split("."):
        if step:
            items = holder.get(step) or []
            holder = (items[0] if isinstance(items, list) and items else items) or {}
            if not isinstance(holder, dict):
                raise elements.bad(path, "a list of objects")
    uuid = elements.reference_id(holder, element, type_, required=False)
    if uuid is None:
        return None
    number = session.execute(select(model.id).where(model.uuid == uuid)).scalar()
    if number is None:
        raise elements.bad(f"{path}.{element}" if path else element, f"no {type_} {uuid}")
    return number


def _category(session, resource: dict) -> int:
    types = resource.get("type") or []
    words = types[0].get("text") if types and isinstance(types[0], dict) else None
    name = words or DEFAULT_CATEGORY
    found = session.execute(select(CalendarCategory.pc_catid).where(
        CalendarCategory.pc_catname == name)).scalar()
    if found is None:
        raise elements.bad("type", f"{name!r} is not one of this site's visit categories")
    return found


def from_fhir(session, resource: dict) -> dict:
    kind = resource.get("class")
    code = kind.get("code") if isinstance(kind, dict) else None
    if code not in CLASSES:
        raise elements.bad("class", f"an {ACT_CODE} code is required: {', '.join(CLASSES)}")
    start = (resource.get("period") or {}).get("start")
    if start is not None and not isinstance(start, str):
        raise elements.bad("period.start", "a dateTime")
    reasons = [r.get("text") for r in resource.get("reasonCode") or [] if isinstance(r, dict)]
    facility = _number_of(session, Facility, resource, "location", "Location", "location")
    provider_facility = _number_of(session, Facility, resource, "serviceProvider",
                                   "Organization")
    return {
        "date": parse_date_value("period.start", start).low.isoformat(" ") if start else None,
        "class_code": code, "pc_catid": _category(session, resource),
        "provider_id": _number_of(session, Practitioner, resource, "individual",
                                  "Practitioner", "participant"),
        "facility_id": facility or provider_facility,
        "reason": "; ".join(r for r in reasons if isinstance(r, str)) or None,
    }


def _create(session, caller, resource: dict):
    data = elements.obey("EncounterCreate", from_fhir(session, resource), ELEMENTS)
    puuid = elements.reference_id(resource, "subject", "Patient")
    return encounters.create(session, caller, puuid, data)[1]


def _update(session, caller, row, resource: dict):
    data = elements.obey("EncounterUpdate", from_fhir(session, resource), ELEMENTS)
    puuid = elements.reference_id(resource, "subject", "Patient")
    if lookup(session, Patient.pid, Patient.uuid, {row.pid}).get(row.pid) != puuid:
        raise ValidationFailed({"subject": ["an encounter cannot move to another patient"]})
    return resources.apply(session, encounters.SPEC, row, data)


PROVIDER = Provider(
    type="Encounter",
    model=Encounter,
    params=PARAMS,
    sort=SORT,
    owner=_of_patient,
    represent=represent,
    writer=Writer(create=_create, update=_update),
)
read, search, search_query, search_form = bind(PROVIDER)
create, update, delete, vread, history_instance, history_type = bind_writes(PROVIDER)
