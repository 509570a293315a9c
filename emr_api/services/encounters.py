"""Encounters (OpenEMR's form_encounter), always reached through their patient.

An encounter is looked up by its uuid *and* its patient, so another patient's encounter
is never found through this patient's path. Rules as OpenEMR's EncounterValidator:
`pc_catid` and `class_code` required on create; dates real; references to facilities and
practitioners must exist."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emr_api.db.models import Encounter, Facility, Patient, Practitioner, utcnow
from emr_api.server.errors import NotFound, ValidationFailed
from emr_api.services import patients
from emr_api.services.common import (
    Page,
    copy_fields,
    order_by,
    paginate,
    parse_datetime,
    parse_id,
    parse_pos_code,
    require_present,
    row_to_dict,
)

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
WRITABLE = [
    "date", "onset_date", "reason", "facility", "facility_id", "billing_facility",
    "sensitivity", "pc_catid", "class_code", "pos_code", "provider_id", "supervisor_id",
    "referring_provider_id", "external_id",
]
REQUIRED = ["pc_catid", "class_code"]
# Required on create (or defaulted, as `date`); never cleared by an update.
NOT_CLEARABLE = ["date", "pc_catid", "class_code"]
OUTPUT = ["eid", "encounter", "date", "onset_date", "reason", "facility", "facility_id",
          "billing_facility", "sensitivity", "pc_catid", "class_code", "pos_code",
          "provider_id", "supervisor_id", "referring_provider_id", "external_id", "pid",
          "last_updated"]
# Reference fields and the table whose id they name.
REFERENCES = {
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


CONVERTERS = {
    "date": parse_datetime,
    "onset_date": _onset_date,
    "class_code": _class_code,
    "pos_code": parse_pos_code,
    "pc_catid": parse_id,
    **{name: parse_id for name in REFERENCES},
}


def to_api(e: Encounter, patient: Patient, billing_facility_name: str | None) -> dict:
    body = row_to_dict(e, OUTPUT)
    body.update({
        "id": e.eid,
        "uuid": e.uuid,
        "euuid": e.uuid,
        "puuid": patient.uuid,
        "class_title": CLASS_TITLES.get(e.class_code or ""),
        "billing_facility_name": billing_facility_name,
    })
    return body


def _facility_names(session: Session, ids) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Facility.id, Facility.name).where(Facility.id.in_(wanted)))
    return dict(rows.all())


def to_api_one(session: Session, e: Encounter, patient: Patient) -> dict:
    names = _facility_names(session, [e.billing_facility])
    return to_api(e, patient, names.get(e.billing_facility))


def find(session: Session, patient: Patient, euuid: str) -> Encounter:
    """This patient's encounter with this uuid; another patient's is not found."""
    encounter = session.execute(
        select(Encounter).where(Encounter.uuid == euuid.lower(), Encounter.pid == patient.pid)
    ).scalar_one_or_none()
    if encounter is None:
        raise NotFound(f"No encounter with euuid {euuid} for this patient",
                       fields={"euuid": ["not found"]})
    return encounter


def get(session: Session, puuid: str, euuid: str) -> dict:
    patient = patients.find(session, puuid)
    return to_api_one(session, find(session, patient, euuid), patient)


def search(session: Session, puuid: str, *, sort: str | None, limit: int | None,
           offset: int | None, url: str) -> Page:
    patient = patients.find(session, puuid)
    stmt = select(Encounter).where(Encounter.pid == patient.pid)
    stmt = order_by(stmt, Encounter, sort, Encounter.eid.desc())
    page = paginate(session, stmt, url=url, params={"_sort": sort}, limit=limit, offset=offset)
    names = _facility_names(session, [e.billing_facility for e in page.items])
    page.items = [to_api(e, patient, names.get(e.billing_facility)) for e in page.items]
    return page


def _check_references(session: Session, encounter: Encounter, data: dict) -> None:
    """Every reference sent must name an existing record: 400 naming the field. A facility
    id sent without a facility name fills the name in, as OpenEMR does."""
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


def _next_number(session: Session, encounter: Encounter) -> int:
    """The next encounter number: one past the highest in use, and at least the row's own
    id. The id part keeps numbers unique between concurrent writers that cannot see each
    other's rows (ids never repeat, and this API and the demo generator never give a row
    a number above its id); the highest-in-use part keeps any larger number unrepeated."""
    highest = session.execute(
        select(func.max(Encounter.encounter)).where(Encounter.eid != encounter.eid)
    ).scalar()
    return max(encounter.eid, (highest or 0) + 1)


def create(session: Session, puuid: str, data: dict) -> Encounter:
    missing = {f: [f"{f} is required"] for f in REQUIRED if data.get(f) in (None, "")}
    if missing:
        raise ValidationFailed(missing)
    patient = patients.find(session, puuid)
    encounter = Encounter(pid=patient.pid)
    copy_fields(encounter, data, WRITABLE, CONVERTERS)
    if encounter.date is None:
        encounter.date = utcnow().replace(microsecond=0)
    _check_references(session, encounter, data)
    session.add(encounter)
    session.flush()
    encounter.encounter = _next_number(session, encounter)
    session.flush()
    return encounter


def update(session: Session, puuid: str, euuid: str, data: dict) -> dict:
    require_present(data, NOT_CLEARABLE)
    patient = patients.find(session, puuid)
    encounter = find(session, patient, euuid)
    copy_fields(encounter, data, WRITABLE, CONVERTERS)
    _check_references(session, encounter, data)
    session.flush()
    return to_api_one(session, encounter, patient)
