"""Appointments (OpenEMR's openemr_postcalendar_events): read across patients, booked,
read and deleted through one patient's path.

Through a patient's path (`/patient/{pid}/appointment/{eid}`) an appointment is looked up
by its `pc_eid` *and* its patient, so another patient's appointment is never read or
deleted there (OpenEMR's own DELETE ignored the pid). The portal finds the token's
patient's appointments by uuid. Every query is narrowed for a patient-context caller.

Rules as OpenEMR's AppointmentService::validate states them: `pc_catid`, `pc_title`
(2-150 characters), `pc_duration` (seconds), `pc_hometext`, `pc_apptstatus`,
`pc_eventDate` (YYYY-MM-DD), `pc_startTime` (HH:MM), `pc_facility` and
`pc_billing_location` required, `pc_aid` optional; and here also: the category, the
facilities and the provider must exist. `pc_endTime` is the start plus the duration,
wrapping past midnight as OpenEMR's insert does."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import (
    Appointment,
    CalendarCategory,
    Facility,
    Patient,
    Practitioner,
    User,
)
from emr_api.errors import NotFound, ValidationFailed
from emr_api.identity import Access, Role
from emr_api.services import patients, resources
from emr_api.services.resources import Match, Page, ResourceSpec
from emr_api.services.values import parse_date, parse_id

MAX_DURATION = 86_400  # seconds: one day
_START_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_DIGITS = re.compile(r"^[0-9]{1,5}$")

# Reference fields and the table whose id they name.
REFERENCES = {
    "pc_catid": CalendarCategory,
    "pc_facility": Facility,
    "pc_billing_location": Facility,
    "pc_aid": Practitioner,
}


def _duration(field: str, value) -> int:
    """Seconds, 0 to a day, sent as a number or (as OpenEMR's example does) a string."""
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        seconds = int(value)
    else:
        raise ValidationFailed({field: [f"{field} must be a number of seconds"]})
    if not 0 <= seconds <= MAX_DURATION:
        raise ValidationFailed({field: [f"{field} must be between 0 and {MAX_DURATION} seconds"]})
    return seconds


def _start_time(field: str, value) -> time:
    match = _START_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValidationFailed({field: [f"{field} must be a time as HH:MM (00:00-23:59)"]})
    return time(int(match.group(1)), int(match.group(2)))


def _status(field: str, value) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 15 or not value.isprintable():
        raise ValidationFailed({field: [f"{field} must be an appointment status of 1-15 "
                                        "printable characters"]})
    return value


def _title(field: str, value) -> str:
    if not isinstance(value, str) or not 2 <= len(value) <= 150:
        raise ValidationFailed({field: [f"{field} must be 2-150 characters"]})
    return value


def _text(field: str, value) -> str:
    if not isinstance(value, str):
        raise ValidationFailed({field: [f"{field} must be text"]})
    return value


def end_time(start: time, seconds: int) -> time:
    """The start plus the duration, on a 24-hour clock (past midnight it wraps)."""
    return (datetime.combine(datetime.min, start) + timedelta(seconds=seconds)).time()


def _rules(session: Session, appointment: Appointment, data: dict, creating: bool) -> None:
    """Every reference must name an existing record (400 naming the field); the end time
    follows from the start and the duration."""
    errors: dict[str, list[str]] = {}
    for name, model in REFERENCES.items():
        value = getattr(appointment, name)
        if value is None:
            continue
        # No autoflush: the pending row must not reach the database before it is checked.
        with session.no_autoflush:
            record = session.get(model, value)
        if record is None:
            errors[name] = [f"{name} {value} does not exist"]
    if errors:
        raise ValidationFailed(errors)
    appointment.pc_endTime = end_time(appointment.pc_startTime, appointment.pc_duration)


def _owner(puuid: str):
    return Appointment.pc_pid.in_(select(Patient.pid).where(Patient.uuid == puuid))


WRITABLE = ("pc_catid", "pc_title", "pc_duration", "pc_hometext", "pc_apptstatus",
            "pc_eventDate", "pc_startTime", "pc_facility", "pc_billing_location", "pc_aid")

SPEC = ResourceSpec(
    name="appointment",
    model=Appointment,
    id_name="eid",
    writable=WRITABLE,
    required=tuple(name for name in WRITABLE if name != "pc_aid"),
    converters={
        "pc_title": _title,
        "pc_duration": _duration,
        "pc_hometext": _text,
        "pc_apptstatus": _status,
        "pc_eventDate": parse_date,
        "pc_startTime": _start_time,
        **{name: parse_id for name in REFERENCES},
    },
    search={"pc_eventDate": Match.DATE, "pc_aid": Match.ID, "pc_facility": Match.ID,
            "pc_apptstatus": Match.EXACT},
    sort=("pc_eid", "pc_eventDate", "pc_startTime", "pc_catid", "pc_aid", "pc_facility",
          "pc_apptstatus"),
    default_order="pc_eid",
    owner=_owner,
    rules=_rules,
)
# The same rows, addressed by uuid (the portal's `/patient/appointment/{auuid}`).
BY_UUID = dataclasses.replace(SPEC, id_name="auuid")


def _find(session: Session, access: Access, eid, where: tuple = ()) -> Appointment:
    eid = parse_id("eid", eid)
    stmt = select(Appointment).where(Appointment.pc_eid == eid, *where)
    if access.patient_uuid:
        stmt = stmt.where(_owner(access.patient_uuid))
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No appointment with eid {eid}", fields={"eid": ["not found"]})
    return row


def search(session: Session, access: Access, filters: dict, pid=None,
           **paging) -> tuple[Patient | None, Page]:
    """One page of appointments: of one patient (by pid), or of every patient this access
    may see."""
    where: tuple = ()
    patient = None
    if pid is not None:
        patient = patients.find_by_pid(session, access, pid)
        where = (Appointment.pc_pid == patient.pid,)
    return patient, resources.search(session, access, SPEC, filters, where=where, **paging)


def find(session: Session, access: Access, eid, pid=None) -> tuple[Patient, Appointment]:
    """The appointment with this pc_eid, and its patient. Through a patient's path, only
    that patient's appointments are found."""
    if pid is None:
        row = _find(session, access, eid)
        return session.get(Patient, row.pc_pid), row
    patient = patients.find_by_pid(session, access, pid)
    return patient, _find(session, access, eid, (Appointment.pc_pid == patient.pid,))


def create(session: Session, access: Access, pid, data: dict) -> tuple[Patient, Appointment]:
    """A new appointment for the patient in the path; nothing in the body picks the
    patient or the ids. Booked by the caller (`pc_informant`: a staff user's id)."""
    resources.check_required(SPEC, data)
    patient = patients.find_by_pid(session, access, pid)
    row = resources.create(session, access, SPEC, data, pc_pid=patient.pid,
                           pc_informant=_informant(session, access), pc_eventstatus=1,
                           pc_sharing=1, pc_room="")
    return patient, row


def delete(session: Session, access: Access, pid, eid) -> tuple[Patient, Appointment]:
    """Remove this patient's appointment; another patient's is not found and stays."""
    patient = patients.find_by_pid(session, access, pid)
    row = _find(session, access, eid, (Appointment.pc_pid == patient.pid,))
    session.delete(row)
    session.flush()
    return patient, row


def search_mine(session: Session, access: Access, puuid: str,
                **paging) -> tuple[Patient, Page]:
    """One page of this patient's appointments (the portal's list)."""
    patient = patients.find(session, access, puuid)
    return patient, resources.search(session, access, SPEC, {},
                                     where=(Appointment.pc_pid == patient.pid,), **paging)


def find_mine(session: Session, access: Access, puuid: str,
              auuid: str) -> tuple[Patient, Appointment]:
    """This patient's appointment with this uuid; another patient's is not found."""
    patient = patients.find(session, access, puuid)
    return patient, resources.find(session, access, BY_UUID, auuid,
                                   (Appointment.pc_pid == patient.pid,))


def _informant(session: Session, access: Access) -> str | None:
    """Who booked it, as OpenEMR records it: the staff user's integer id."""
    if access.role is not Role.USER or not access.user_uuid:
        return None
    found = session.execute(select(User.id).where(User.uuid == access.user_uuid)).scalar()
    return None if found is None else str(found)


@dataclass(frozen=True)
class Details:
    """What the appointment rows show beside the ids they hold, as OpenEMR joins it."""

    patients: dict[int, Patient]  # pid -> patient
    providers: dict[int, Practitioner]  # practitioner id -> practitioner
    facilities: dict[int, Facility]  # facility id -> facility


def details(session: Session, rows) -> Details:
    """The patients, providers and facilities these appointments name (a query each,
    whatever the number of rows)."""
    return Details(
        patients=_by_key(session, Patient, Patient.pid, {r.pc_pid for r in rows}),
        providers=_by_key(session, Practitioner, Practitioner.id, {r.pc_aid for r in rows}),
        facilities=_by_key(session, Facility, Facility.id,
                           {r.pc_facility for r in rows} | {r.pc_billing_location for r in rows}),
    )


def _by_key(session: Session, model, key, wanted: set) -> dict:
    wanted.discard(None)
    if not wanted:
        return {}
    found = session.execute(select(model).where(key.in_(wanted))).scalars()
    return {getattr(row, key.key): row for row in found}
