"""FHIR Appointment (R4; US Core 6.1 does not profile it) from OpenEMR's calendar events
(openemr_postcalendar_events).

The status follows the event's `pc_apptstatus` (OpenEMR's `apptstat` list): a no show is
`noshow`, a cancellation `cancelled`, an arrival `arrived`, a patient in the exam room
`checked-in`, a checked-out or coded visit `fulfilled`, a pending or insurance-blocked one
`pending`; every other status (none, reminder done, chart pulled, the confirmations) is
`booked`. The calendar category is the service category and the appointment type (coded in
HL7 v2 table 0276 where the category says which); the title is the description and the
notes the comment. Start and end are instants (the day, its start time and the duration, in
UTC as every stored time); the patient, the provider and the facility (a Location) take
part, each accepted and required.

The `date` search compares the appointment's day."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import not_, or_, select

from emr_api.db.models import Appointment, CalendarCategory, Facility, Practitioner
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, instant
from emr_api.services import appointments
from emr_api.services.search import lookup

STATUS_SYSTEM = "http://hl7.org/fhir/appointmentstatus"
APPOINTMENT_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0276"
# OpenEMR's appointment statuses that are not simply `booked`.
STATUSES = {
    "x": "cancelled",  # Canceled
    "%": "cancelled",  # Canceled < 24h
    "!": "cancelled",  # Left without visit
    "?": "noshow",  # No show
    "@": "arrived",  # Arrived
    "~": "arrived",  # Arrived late
    "<": "checked-in",  # In exam room
    ">": "fulfilled",  # Checked out
    "$": "fulfilled",  # Coding done
    "^": "pending",  # Pending
    "#": "pending",  # Insurance / financial issue
}
# Every FHIR status this server answers.
SERVED = ("booked", *dict.fromkeys(STATUSES.values()))
# Calendar categories (by name) that say which HL7 v2 appointment reason they are.
TYPES = {
    "Office Visit": ("ROUTINE", "Routine appointment - default if not valued"),
    "New Patient": ("ROUTINE", "Routine appointment - default if not valued"),
    "Established Patient": ("FOLLOWUP", "A follow up visit from a previous appointment"),
    "Preventive Care Services": ("CHECKUP", "A routine check-up, such as an annual physical"),
}


def status(stored: str | None) -> str:
    return STATUSES.get(stored or "-", "booked")


def _status(system, code):
    if system not in (None, STATUS_SYSTEM):
        return None
    if code == "":
        return Appointment.pc_eid.is_not(None)
    if code == "booked":
        return not_(Appointment.pc_apptstatus.in_(sorted(STATUSES)))
    stored = sorted(k for k, v in STATUSES.items() if v == code)
    return Appointment.pc_apptstatus.in_(stored) if stored else None


def _of_patient(uuid: str):
    return appointments.SPEC.owner(uuid)


def _of_practitioner(uuid: str):
    return Appointment.pc_aid.in_(select(Practitioner.id).where(Practitioner.uuid == uuid))


def _at_location(uuid: str):
    return Appointment.pc_facility.in_(select(Facility.id).where(Facility.uuid == uuid))


def _any_actor(uuid: str):
    # Ids are random UUIDs, unique across the three tables.
    return or_(_of_patient(uuid), _of_practitioner(uuid), _at_location(uuid))


PARAMS = {
    "patient": Param("patient", "reference", (Appointment.pc_pid,), reference=_of_patient,
                     targets=("Patient",), element="participant.actor"),
    "practitioner": Param("practitioner", "reference", (Appointment.pc_aid,),
                          reference=_of_practitioner, targets=("Practitioner",),
                          element="participant.actor"),
    "location": Param("location", "reference", (Appointment.pc_facility,),
                      reference=_at_location, targets=("Location",),
                      element="participant.actor"),
    "actor": Param("actor", "reference", (Appointment.pc_pid,), reference=_any_actor,
                   targets=("Patient", "Practitioner", "Location"),
                   element="participant.actor"),
    "date": Param("date", "date", (Appointment.pc_eventDate,)),
    "status": Param("status", "token", (Appointment.pc_apptstatus,), token=_status),
}
SORT = {"date": Appointment.pc_eventDate}


def _name(person) -> str:
    return " ".join(p for p in (person.fname, person.lname) if p)


def _participant(reference: str, display: str | None) -> dict:
    actor = {"reference": reference}
    if display:
        actor["display"] = display
    return {"actor": actor, "required": "required", "status": "accepted"}


def to_fhir(row: Appointment, found: appointments.Details, categories: dict) -> dict:
    start = datetime.combine(row.pc_eventDate, row.pc_startTime)
    resource = {
        "resourceType": "Appointment",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.pc_time)},
        "status": status(row.pc_apptstatus),
    }
    category = categories.get(row.pc_catid)
    if category:
        resource["serviceCategory"] = [{"text": category}]
        kind = {"text": category}
        if category in TYPES:
            code, display = TYPES[category]
            kind = {"coding": [{"system": APPOINTMENT_TYPE, "code": code,
                                "display": display}], "text": category}
        resource["appointmentType"] = kind
    resource["description"] = row.pc_title
    resource["start"] = instant(start)
    resource["end"] = instant(start + timedelta(seconds=row.pc_duration or 0))
    if row.pc_duration and row.pc_duration >= 60:
        resource["minutesDuration"] = row.pc_duration // 60
    resource["created"] = instant(row.pc_time)
    if row.pc_hometext:
        resource["comment"] = row.pc_hometext
    patient = found.patients.get(row.pc_pid)
    participants = []
    if patient is not None:
        participants.append(_participant(f"Patient/{patient.uuid}", _name(patient)))
    provider = found.providers.get(row.pc_aid)
    if provider is not None:
        participants.append(_participant(f"Practitioner/{provider.uuid}", _name(provider)))
    facility = found.facilities.get(row.pc_facility)
    if facility is not None:
        participants.append(_participant(f"Location/{facility.uuid}", facility.name))
    resource["participant"] = participants
    return resource


def patient_of(resource: dict) -> str | None:
    """The id of the Patient taking part."""
    for person in resource.get("participant", []):
        reference = person["actor"].get("reference", "")
        if reference.startswith("Patient/"):
            return reference.removeprefix("Patient/")
    return None


def represent(session, rows) -> list[dict]:
    found = appointments.details(session, rows)
    categories = lookup(session, CalendarCategory.pc_catid, CalendarCategory.pc_catname,
                        {r.pc_catid for r in rows})
    return [to_fhir(row, found, categories) for row in rows]


PROVIDER = Provider(
    type="Appointment",
    model=Appointment,
    params=PARAMS,
    sort=SORT,
    owner=_of_patient,
    represent=represent,
    patient_of=patient_of,
    # An appointment is booked or deleted, never changed: made is last changed.
    updated_column_name="pc_time",
)
read, search, search_query, search_form = bind(PROVIDER)
