"""Prescriptions (OpenEMR's `prescriptions`): searched and read across patients, written
one at a time, and deleted as OpenEMR deletes them: the row stays (it is the patient's
medication history, and a stopped MedicationRequest in FHIR) and `active` becomes 0.

Patient data: a patient-context caller finds, writes and deletes only their own patient's
prescriptions, in every query (`owner`).

Rules, from OpenEMR's table and what a real prescription needs:
- `patient_id` (a patient the caller may see), `provider_id` (a practitioner) and `drug`
  (its name) are required; `drug_id` names a formulary drug; `encounter` is the number of
  one of the patient's encounters. Practitioners and drugs no longer active are accepted:
  a prescription may be recorded long after it was written (an import, a transfer).
- `form`, `unit`, `route` and `interval` are options of OpenEMR's drug_form, drug_units,
  drug_route and drug_interval lists (numbers or strings).
- `quantity` and `size` are positive decimals (`size` may join strengths with `/` or `-`);
  `refills` 0-20, as OpenEMR's form offers them.
- `date_added` defaults to now and `start_date` to its day; `end_date` is not before
  `start_date`.
- A formulary drug fills in what the body leaves out: its RxNorm code, form, strength,
  unit and route.
- `request_intent` (FHIR MedicationRequest intent) defaults to `order` and
  `usage_category` (its category) to `community`, as OpenEMR answers rows without them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import (
    Drug,
    Encounter,
    ListOption,
    Patient,
    Practitioner,
    Prescription,
    utcnow,
)
from emr_api.errors import NotFound, ValidationFailed
from emr_api.identity import Access
from emr_api.services import patients, resources
from emr_api.services.resources import Match, Page, ResourceSpec
from emr_api.services.values import parse_date, parse_datetime, parse_flag, parse_id

# The option fields and the OpenEMR list whose option ids they hold.
OPTION_LISTS = {"form": "drug_form", "unit": "drug_units", "route": "drug_route",
                "interval": "drug_interval"}
# FHIR MedicationRequest intent and category codes, with the titles OpenEMR answers.
INTENT_TITLES = {"proposal": "Proposal", "plan": "Plan", "order": "Order",
                 "original-order": "Original Order", "reflex-order": "Reflex Order",
                 "filler-order": "Filler Order", "instance-order": "Instance Order",
                 "option": "Option"}
CATEGORY_TITLES = {"inpatient": "Inpatient", "outpatient": "Outpatient",
                   "community": "Home/Community", "discharge": "Discharge"}
# What a formulary drug fills in when the body leaves it out: {prescription field: drug's}.
FROM_DRUG = {"rxnorm_drugcode": "drug_code", "form": "form", "size": "size", "unit": "unit",
             "route": "route"}
MAX_REFILLS = 20
_DECIMAL = re.compile(r"^[0-9]{1,7}(\.[0-9]{1,3})?$")
_STRENGTH = re.compile(r"^[0-9]+(\.[0-9]+)?([/-][0-9]+(\.[0-9]+)?)*$")
_REFILLS = re.compile(r"^[0-9]{1,2}$")


def _text_name(field: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed({field: [f"{field} must not be blank"]})
    return value


def _option(field: str, value) -> str | None:
    """An option id, sent as a number or a string (OpenEMR stores numbers for most)."""
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValidationFailed({field: [f"{field} must be an option id"]})


def _positive_decimal(field: str, value) -> str | None:
    """A positive amount with at most three decimals, kept as the text OpenEMR keeps."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = Decimal(repr(value))  # NaN and infinity are not finite: refused below
        text = format(amount.normalize(), "f") if amount.is_finite() else ""
    else:
        text = value if isinstance(value, str) else ""
    if not _DECIMAL.fullmatch(text) or Decimal(text) <= 0:
        raise ValidationFailed({field: [f"{field} must be a positive number (at most 3 "
                                        "decimals, below 10,000,000)"]})
    return text


def _strength(field: str, value) -> str | None:
    """A drug's strength: a positive decimal, or several joined by `/` or `-` (5/325)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return _positive_decimal(field, value)
    positive = any(c in "123456789" for c in value)
    if len(value) > 25 or not _STRENGTH.fullmatch(value) or not positive:
        raise ValidationFailed({field: [f"{field} must be a positive strength such as 10, "
                                        "0.5 or 5/325"]})
    return value


def _refills(field: str, value) -> int:
    if isinstance(value, str) and _REFILLS.fullmatch(value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_REFILLS:
        raise ValidationFailed({field: [f"{field} must be a whole number from 0 to {MAX_REFILLS}"]})
    return value


def _code(titles: dict):
    def convert(field: str, value) -> str:
        if value not in titles:
            raise ValidationFailed({field: [f"{field} must be one of {', '.join(titles)}"]})
        return value
    return convert


def _rules(session: Session, row: Prescription, data: dict, creating: bool) -> None:
    """The references must name existing records and the options real list options (400
    naming each field at fault); the formulary drug fills in what was left out; the dates
    default and follow each other. An inactive practitioner or formulary drug is accepted:
    a prescription may be recorded long after it was written (an import, a transfer)."""
    errors: dict[str, list[str]] = {}
    # No autoflush: the pending row must not reach the database before it is checked.
    with session.no_autoflush:
        if session.get(Practitioner, row.provider_id) is None:
            errors["provider_id"] = [f"provider_id {row.provider_id} does not exist"]
        drug = None if row.drug_id is None else session.get(Drug, row.drug_id)
        if row.drug_id is not None and drug is None:
            errors["drug_id"] = [f"drug_id {row.drug_id} does not exist"]
        visit = select(Encounter.eid).where(Encounter.pid == row.patient_id,
                                            Encounter.encounter == row.encounter)
        if row.encounter is not None and session.execute(visit).first() is None:
            errors["encounter"] = [f"encounter {row.encounter} is not an encounter of patient_id "
                                   f"{row.patient_id}"]
        for name, list_id in OPTION_LISTS.items():
            value = getattr(row, name)
            if name not in data or value is None:
                continue
            option = session.get(ListOption, (list_id, value))
            if option is None or not option.activity:
                errors[name] = [f"{name} {value!r} is not an option of the {list_id} list"]
    if creating and row.date_added is None:
        row.date_added = utcnow().replace(microsecond=0)
    if row.start_date is None:
        row.start_date = row.date_added.date()
    if row.end_date is not None and row.end_date < row.start_date:
        errors["end_date"] = [f"end_date {row.end_date} is before start_date {row.start_date}"]
    if errors:
        raise ValidationFailed(errors)
    if drug is not None:
        for name, drugs_name in FROM_DRUG.items():
            if data.get(name) is None:
                setattr(row, name, getattr(drug, drugs_name))


def _owner(puuid: str):
    return Prescription.patient_id.in_(select(Patient.pid).where(Patient.uuid == puuid))


SPEC = ResourceSpec(
    name="prescription",
    model=Prescription,
    id_name="uuid",
    writable=("patient_id", "provider_id", "encounter", "drug", "drug_id", "rxnorm_drugcode",
              "form", "dosage", "quantity", "size", "unit", "route", "interval", "refills",
              "date_added", "start_date", "end_date", "active", "medication", "note",
              "diagnosis", "drug_dosage_instructions", "request_intent", "usage_category"),
    required=("patient_id", "provider_id", "drug"),
    converters={
        **{name: parse_id for name in ("patient_id", "provider_id", "encounter", "drug_id")},
        **{name: _option for name in OPTION_LISTS},
        "drug": _text_name,
        "quantity": _positive_decimal,
        "size": _strength,
        "refills": _refills,
        "date_added": parse_datetime,
        "start_date": parse_date,
        "end_date": parse_date,
        "active": parse_flag,
        "medication": parse_flag,
        "request_intent": _code(INTENT_TITLES),
        "usage_category": _code(CATEGORY_TITLES),
    },
    search={"patient_id": Match.ID, "drug": Match.PREFIX, "rxnorm_drugcode": Match.EXACT,
            "active": Match.FLAG, "date_added": Match.DATE, "start_date": Match.DATE},
    sort=("id", "date_added", "start_date", "end_date", "drug"),
    default_order="id",
    owner=_owner,
    rules=_rules,
)


def search(session: Session, access: Access, filters: dict, **paging) -> Page:
    """One page of the prescriptions this access may see that match every filter."""
    return resources.search(session, access, SPEC, filters, **paging)


def find(session: Session, access: Access, uuid: str) -> Prescription:
    return resources.find(session, access, SPEC, uuid)


def create(session: Session, access: Access, data: dict) -> tuple[Patient, Prescription]:
    """A new prescription, and its patient: one this access may see (else 400 naming
    `patient_id`: the body names the patient, so an unknown one is bad input)."""
    resources.check_required(SPEC, data)
    pid = parse_id("patient_id", data["patient_id"])
    try:
        patient = patients.find_by_pid(session, access, pid)
    except NotFound:
        raise ValidationFailed({"patient_id": [f"patient_id {pid} does not exist"]}) from None
    return patient, resources.create(session, access, SPEC, data)


def delete(session: Session, access: Access, uuid: str,
           patient_uuid: str | None = None) -> tuple[Patient, Prescription]:
    """Stop the prescription (`active` 0; the row stays), and answer it with its patient.
    With `patient_uuid`, only that patient's prescription is found, as OpenEMR's own check
    asks."""
    where = () if patient_uuid is None else (_owner(patient_uuid.lower()),)
    row = resources.find(session, access, SPEC, uuid, where)
    row.active = False
    session.flush()
    return session.get(Patient, row.patient_id), row


def status(row: Prescription, today: date | None = None) -> str:
    """FHIR MedicationRequest status: `stopped` once inactive, `completed` after its end
    date, else `active`."""
    if not row.active:
        return "stopped"
    if row.end_date is not None and row.end_date < (today or utcnow().date()):
        return "completed"
    return "active"


@dataclass(frozen=True)
class Details:
    """The uuids and list options the prescription rows name, as OpenEMR joins them."""

    patients: dict[int, str]  # pid -> uuid
    providers: dict[int, str]  # practitioner id -> uuid
    drugs: dict[int, str]  # drug_id -> uuid
    encounters: dict[tuple[int, int], str]  # (pid, encounter number) -> uuid
    options: dict[tuple[str, str], ListOption]  # (list_id, option_id) -> option


def details(session: Session, rows) -> Details:
    """What these rows name (a query each, whatever the number of rows)."""
    numbers = {r.encounter for r in rows if r.encounter is not None}
    encounters = {}
    if numbers:
        found = session.execute(select(Encounter.pid, Encounter.encounter, Encounter.uuid).where(
            Encounter.pid.in_({r.patient_id for r in rows}), Encounter.encounter.in_(numbers)))
        encounters = {(pid, number): uuid for pid, number, uuid in found}
    chosen = {getattr(r, name) for r in rows for name in OPTION_LISTS} - {None}
    options = {}
    if chosen:
        found = session.execute(select(ListOption).where(
            ListOption.list_id.in_(OPTION_LISTS.values()), ListOption.option_id.in_(chosen)))
        options = {(o.list_id, o.option_id): o for o in found.scalars()}
    return Details(
        patients=_uuids(session, Patient.pid, Patient.uuid, {r.patient_id for r in rows}),
        providers=_uuids(session, Practitioner.id, Practitioner.uuid,
                         {r.provider_id for r in rows}),
        drugs=_uuids(session, Drug.drug_id, Drug.uuid, {r.drug_id for r in rows}),
        encounters=encounters,
        options=options,
    )


def _uuids(session: Session, key, uuid, wanted: set) -> dict:
    wanted.discard(None)
    if not wanted:
        return {}
    return dict(session.execute(select(key, uuid).where(key.in_(wanted))).all())
