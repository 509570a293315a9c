"""Encounters (OpenEMR's form_encounter), always reached through their patient.

An encounter is looked up by its uuid *and* its patient, so another patient's encounter
is never found through this patient's path. Rules as OpenEMR's EncounterValidator:
`pc_catid` and `class_code` required on create; dates real; references to calendar
categories, facilities and practitioners must exist."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emr_api.db.models import CalendarCategory, Encounter, Facility, Patient, Practitioner, utcnow
from emr_api.errors import ValidationFailed
from emr_api.identity import Access
from emr_api.services import patients, resources
from emr_api.services.search import lookup
from emr_api.services.values import parse_datetime, parse_id, parse_pos_code

# HL7 v3 ActEncounterCode, as OpenEMR's `_ActEncounterCode` list titles them.
CLASS_TITLES = {
    "AMB": "ambulatory",
    "EMER": "emergency",
    "FLD": "field",
    "HH": "home health",
    "IMP": "inpatient encounter",
    "ACUTE": "inpatient acute",
    "NONAC": "inpatient non-acute",
    "OBSENC": "observation encounter",
    "PRENC": "pre-admission",
    "SS": "short stay",
    "VR": "virtual",
}
# Reference fields and the table whose id they name.
REFERENCES = {
    "pc_catid": CalendarCategory,
    "facility_id": Facility,
    "billing_facility": Facility,
    "provider_id": Practitioner,
    "supervisor_id": Practitioner,
    "referring_provider_id": Practitioner,
}


def _onset_date(field: str, value):
    # OpenEMR's own example sends "" for "no onset date".
    if value == "":
        return None
    return parse_datetime(field, value)


def _class_code(field: str, value):
    if value not in CLASS_TITLES:
        raise ValidationFailed({field: [f"{field} must be one of {', '.join(CLASS_TITLES)}"]})
    return value


def _rules(session: Session, encounter: Encounter, data: dict, creating: bool) -> None:
    """`date` defaults to now. Every reference sent must name an existing record: 400
    naming the field. A facility id sent without a facility name fills the name in, as
    OpenEMR does."""
    if creating and encounter.date is None:
        encounter.date = utcnow().replace(microsecond=0)
    errors: dict[str, list[str]] = {}
    for name, model in REFERENCES.items():
        if name not in data or getattr(encounter, name) is None:
            continue
        # No autoflush: the pending change must not reach the database before it is checked.
        with session.no_autoflush:
            record = session.get(model, getattr(encounter, name))
        if record is None:
            errors[name] = [f"{name} {getattr(encounter, name)} does not exist"]
        elif name == "facility_id" and "facility" not in data:
            encounter.facility = record.name
    if errors:
        raise ValidationFailed(errors)


def _number(session: Session, encounter: Encounter) -> None:
    """The next encounter number: one past the highest in use, and at least the row's own
    id. The id part keeps numbers unique between concurrent writers that cannot see each
    other's rows (ids never repeat, and this API and the demo generator never give a row
    a number above its id); the highest-in-use part keeps any larger number unrepeated."""
    highest = session.execute(
        select(func.max(Encounter.encounter)).where(Encounter.eid != encounter.eid)
    ).scalar()
    encounter.encounter = max(encounter.eid, (highest or 0) + 1)


SPEC = resources.ResourceSpec(
    name="encounter",
    model=Encounter,
    id_name="euuid",
    writable=(
        "date", "onset_date", "reason", "facility", "facility_id", "billing_facility",
        "sensitivity", "pc_catid", "class_code", "pos_code", "provider_id", "supervisor_id",
        "referring_provider_id", "external_id", "referral_source",
    ),
    required=("pc_catid", "class_code"),
    keep=("date", "pc_catid", "class_code"),
    converters={
        "date": parse_datetime,
        "onset_date": _onset_date,
        "class_code": _class_code,
        "pos_code": parse_pos_code,
        **{name: parse_id for name in REFERENCES},
    },
    sort=("eid", "encounter", "date", "onset_date", "pc_catid", "class_code"),
    default_order="-eid",
    owner=lambda puuid: Encounter.pid.in_(select(Patient.pid).where(Patient.uuid == puuid)),
    rules=_rules,
    after_insert=_number,
)


def find(session: Session, access: Access, puuid: str, euuid: str) -> tuple[Patient, Encounter]:
    """This patient's encounter with this uuid; another patient's is not found."""
    patient = patients.find(session, access, puuid)
    return patient, resources.find(session, access, SPEC, euuid, (Encounter.pid == patient.pid,))


def search(session: Session, access: Access, puuid: str, **paging) -> tuple[Patient, resources.Page]:
    patient = patients.find(session, access, puuid)
    return patient, resources.search(session, access, SPEC, {}, where=(Encounter.pid == patient.pid,),
                                     **paging)


def create(session: Session, access: Access, puuid: str,
           data: dict) -> tuple[Patient, Encounter]:
    resources.check_required(SPEC, data)
    patient = patients.find(session, access, puuid)
    return patient, resources.create(session, access, SPEC, data, pid=patient.pid)


def update(session: Session, access: Access, puuid: str, euuid: str,
           data: dict) -> tuple[Patient, Encounter]:
    resources.update_allowed(SPEC, data)
    patient = patients.find(session, access, puuid)
    encounter = resources.update(session, access, SPEC, euuid, data, (Encounter.pid == patient.pid,))
    return patient, encounter


@dataclass(frozen=True)
class Labels:
    """Names the encounter rows show beside the ids they hold."""

    facilities: dict[int, str]  # billing facility id -> name
    categories: dict[int, str]  # pc_catid -> pc_catname


def labels(session: Session, encounters) -> Labels:
    """The names of the billing facilities and categories these encounters name (a query
    each, whatever the number of rows)."""
    return Labels(
        facilities=lookup(session, Facility.id, Facility.name,
                          {e.billing_facility for e in encounters}),
        categories=lookup(session, CalendarCategory.pc_catid, CalendarCategory.pc_catname,
                          {e.pc_catid for e in encounters}),
    )
