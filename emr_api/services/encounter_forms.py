"""Forms filled in an encounter: vitals (OpenEMR's form_vitals) and SOAP notes (form_soap),
each linked to its encounter by a row of `forms` (formdir `vitals` or `soap`).

Reached as OpenEMR's routes reach them: the patient's integer pid, the encounter's number
(`eid` in OpenEMR's routes is form_encounter.encounter, which is also what `forms` stores)
and the form's integer id. Every lookup holds to all three: a form of another encounter
or another patient is not found through this path, so it is never read or changed
(OpenEMR's own update did not check this). The patient and the encounter of a new form
come from the path alone.

Rules as OpenEMR's EncounterService states them, made exact:
- vitals: every field optional. Measurements must be numbers, sent as JSON numbers or as
  strings of digits (OpenEMR clients send `"130"`); empty or null means not measured; each
  has a plausible range (wide enough for OpenEMR's lb/in/°F and for kg/cm/°C, since
  nothing converts units). `temp_method`, `note`, `BMI_status` at most 255 characters.
- SOAP notes: `subjective`, `objective`, `assessment`, `plan` optional, each 2-65535
  characters or empty.
An update writes the form whole, as OpenEMR's does: a field left out is cleared, and the
form's `date` becomes now."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import (
    Encounter,
    EncounterForm,
    Patient,
    SoapNote,
    User,
    Vital,
    utcnow,
)
from emr_api.errors import NotFound, ValidationFailed
from emr_api.identity import Access, Role
from emr_api.services import encounters, patients, resources
from emr_api.services.resources import Page, ResourceSpec
from emr_api.services.values import check_text, parse_id

# What OpenEMR writes in `groupname` (the provider group of its single-group installs).
GROUP = "Default"
_NUMBER = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,30})?$")


def _number(field: str, value, low: int, high: int) -> Decimal | None:
    """A measurement sent as a JSON number or a string of digits; empty or null is none."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValidationFailed({field: [f"{field} must be a number"]})
    if isinstance(value, str) and not _NUMBER.fullmatch(value):
        raise ValidationFailed({field: [f"{field} must be a number, e.g. 98.6"]})
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationFailed({field: [f"{field} must be a number"]})
    number = Decimal(value) if isinstance(value, int) else Decimal(str(value))
    if not low <= number <= high:
        raise ValidationFailed({field: [f"{field} must be between {low} and {high}"]})
    return number if number else Decimal(0)  # no negative zero


def _measure(low: int, high: int, places: int = 6):
    """A converter for a DECIMAL measurement column: rounded to the column's places, half
    away from zero as MariaDB rounds."""
    step = Decimal(1).scaleb(-places)

    def convert(field: str, value) -> float | None:
        number = _number(field, value, low, high)
        return None if number is None else float(number.quantize(step, ROUND_HALF_UP))

    return convert


def _pressure(field: str, value) -> str | None:
    """Blood pressure, kept as text as OpenEMR's bps/bpd columns are: the number's
    plain digits (`"130"`, `"82.5"`), to at most six places as the other measurements."""
    number = _number(field, value, 0, 400)
    if number is None:
        return None
    number = number.quantize(Decimal(1).scaleb(-6), ROUND_HALF_UP)
    return format(number.normalize() if number else Decimal(0), "f")


def _text(limit: int):
    def convert(field: str, value) -> str | None:
        if value is not None and not isinstance(value, str):
            raise ValidationFailed({field: [f"{field} must be text"]})
        if value is not None and len(value) > limit:
            raise ValidationFailed({field: [f"{field} must be at most {limit} characters"]})
        return value

    return convert


def _section(field: str, value) -> str | None:
    """A SOAP section: 2-65535 characters, or empty (OpenEMR's lengthBetween(2, 65535)
    on an optional field)."""
    value = _text(65535)(field, value)
    if value is not None and len(value) == 1:
        raise ValidationFailed({field: [f"{field} must be 2-65535 characters, or empty"]})
    return value


def _owner(model):
    return lambda puuid: model.pid.in_(select(Patient.pid).where(Patient.uuid == puuid))


VITAL_MEASURES = {
    "weight": _measure(0, 2000),
    "height": _measure(0, 400),
    "temperature": _measure(0, 200),
    "pulse": _measure(0, 400),
    "respiration": _measure(0, 200),
    "BMI": _measure(0, 200),
    "waist_circ": _measure(0, 400),
    "head_circ": _measure(0, 200),
    "oxygen_saturation": _measure(0, 100, 2),
    "oxygen_flow_rate": _measure(0, 100),
    "inhaled_oxygen_concentration": _measure(0, 100, 2),
    "ped_weight_height": _measure(0, 100, 2),
    "ped_bmi": _measure(0, 100, 2),
    "ped_head_circ": _measure(0, 100, 2),
}
VITAL_TEXT = ("temp_method", "note", "BMI_status")

VITAL_SPEC = ResourceSpec(
    name="vital",
    model=Vital,
    id_name="vid",
    writable=("bps", "bpd", "weight", "height", "temperature", "temp_method", "pulse",
              "respiration", "note", "BMI", "BMI_status", "waist_circ", "head_circ",
              "oxygen_saturation", "oxygen_flow_rate", "inhaled_oxygen_concentration",
              "ped_weight_height", "ped_bmi", "ped_head_circ"),
    keep=(),
    converters={"bps": _pressure, "bpd": _pressure, **VITAL_MEASURES,
                **{name: _text(255) for name in VITAL_TEXT}},
    sort=("id", "date"),
    default_order="-id",
    owner=_owner(Vital),
)

SOAP_SECTIONS = ("subjective", "objective", "assessment", "plan")
SOAP_NOTE_SPEC = ResourceSpec(
    name="soap_note",
    model=SoapNote,
    id_name="sid",
    writable=SOAP_SECTIONS,
    keep=(),
    converters={name: _section for name in SOAP_SECTIONS},
    sort=("id", "date"),
    default_order="-id",
    owner=_owner(SoapNote),
)


@dataclass(frozen=True)
class Kind:
    """One kind of encounter form: its spec, and how `forms` names it."""

    spec: ResourceSpec
    formdir: str  # forms.formdir
    form_name: str  # forms.form_name

    @property
    def model(self):
        return self.spec.model


VITALS = Kind(VITAL_SPEC, formdir="vitals", form_name="Vitals")
SOAP_NOTES = Kind(SOAP_NOTE_SPEC, formdir="soap", form_name="SOAP")
KINDS = (VITALS, SOAP_NOTES)


@dataclass(frozen=True)
class Place:
    """Where a path leads: the patient and the encounter (by number) it names."""

    patient: Patient
    encounter: Encounter


def place(session: Session, access: Access, pid, eid) -> Place:
    """The patient with this pid and their encounter with this number, as this access may
    see them (else NotFound naming `pid` or `eid`). Ids are checked before any read."""
    pid, number = parse_id("pid", pid), parse_id("eid", eid)
    patient = patients.find_by_pid(session, access, pid)
    stmt = (select(Encounter)
            .where(Encounter.pid == patient.pid, Encounter.encounter == number)
            .order_by(Encounter.eid).limit(1))
    if access.patient_uuid:
        stmt = stmt.where(encounters.SPEC.owner(access.patient_uuid))
    encounter = session.execute(stmt).scalars().first()
    if encounter is None:
        raise NotFound(f"No encounter with eid {number} for patient {pid}",
                       fields={"eid": ["not found"]})
    return Place(patient, encounter)


def _of(kind: Kind, where: Place) -> tuple:
    """The clause holding a query to this kind's forms of this encounter of this patient."""
    linked = select(EncounterForm.form_id).where(
        EncounterForm.formdir == kind.formdir,
        EncounterForm.pid == where.patient.pid,
        EncounterForm.encounter == where.encounter.encounter,
        EncounterForm.deleted == False,  # noqa: E712  (a bound false on every database)
    )
    return (kind.model.pid == where.patient.pid, kind.model.id.in_(linked))


def _find(session: Session, access: Access, kind: Kind, item: int, where: Place):
    stmt = select(kind.model).where(kind.model.id == item, *_of(kind, where))
    if access.patient_uuid:
        stmt = stmt.where(kind.spec.owner(access.patient_uuid))
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No {kind.spec.name} with {kind.spec.id_name} {item} in encounter "
                       f"{where.encounter.encounter}", fields={kind.spec.id_name: ["not found"]})
    return row


def search(session: Session, access: Access, kind: Kind, pid, eid, **paging) -> tuple[Place, Page]:
    """One page of this kind's forms of the encounter."""
    where = place(session, access, pid, eid)
    return where, resources.search(session, access, kind.spec, {}, where=_of(kind, where),
                                   **paging)


def find(session: Session, access: Access, kind: Kind, pid, eid, item) -> tuple[Place, object]:
    """The form with this id, if it belongs to this encounter of this patient."""
    item = parse_id(kind.spec.id_name, item)
    where = place(session, access, pid, eid)
    return where, _find(session, access, kind, item, where)


def _username(session: Session, access: Access) -> str | None:
    """Who writes: the staff user's username, as OpenEMR records it."""
    if access.role is not Role.USER or not access.user_uuid:
        return None
    return session.execute(select(User.username).where(User.uuid == access.user_uuid)).scalar()


def _check(kind: Kind, data: dict) -> None:
    """Every value this kind writes, checked before anything is read or written."""
    for name in kind.spec.writable:
        if name in data:
            value = check_text(name, data[name])
            if name in kind.spec.converters:
                kind.spec.converters[name](name, value)


def create(session: Session, access: Access, kind: Kind, pid, eid,
           data: dict) -> tuple[Place, object, EncounterForm]:
    """A new form in the encounter, and its `forms` row. Every value is checked before
    anything is read or written; the patient and the encounter come from the path."""
    _check(kind, data)
    where = place(session, access, pid, eid)
    user, now = _username(session, access), utcnow().replace(microsecond=0)
    row = resources.create(session, access, kind.spec, data, pid=where.patient.pid, date=now,
                           user=user, groupname=GROUP, authorized=True, activity=True)
    link = EncounterForm(date=now, encounter=where.encounter.encounter,
                         form_name=kind.form_name, form_id=row.id, pid=where.patient.pid,
                         user=user, groupname=GROUP, authorized=True, deleted=False,
                         formdir=kind.formdir)
    session.add(link)
    session.flush()
    return where, row, link


def update(session: Session, access: Access, kind: Kind, pid, eid, item,
           data: dict) -> tuple[Place, object]:
    """Write the form whole: every writable field from `data` (one left out is cleared),
    and `date` now. Only a form of this encounter of this patient is found."""
    data = {name: data.get(name) for name in kind.spec.writable}
    _check(kind, data)
    item = parse_id(kind.spec.id_name, item)
    where = place(session, access, pid, eid)
    row = _find(session, access, kind, item, where)
    row = resources.update(session, access, kind.spec, row.uuid, data, _of(kind, where))
    row.date = utcnow().replace(microsecond=0)
    row.activity = True
    session.flush()
    return where, row
