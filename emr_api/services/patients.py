"""Patients (OpenEMR's patient_data), with OpenEMR's validation rules."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import Patient
from emr_api.server import context
from emr_api.server.errors import NotFound
from emr_api.services.common import (
    Page,
    check_text,
    copy_fields,
    order_by,
    paginate,
    parse_date,
    require_present,
    row_to_dict,
    starts_with,
)

WRITABLE = [
    "title", "fname", "mname", "lname", "suffix", "DOB", "sex", "ss", "street",
    "postal_code", "city", "state", "county", "country_code", "drivers_license",
    "contact_relationship", "phone_contact", "phone_home", "phone_biz", "phone_cell",
    "postal_contact", "email", "email_direct", "race", "ethnicity", "religion", "language",
    "status", "occupation", "pubpid",
]
REQUIRED = ["fname", "lname", "sex", "DOB"]
READ_ONLY = ["pid", "uuid", "date", "last_updated"]
# Search: text fields match from the start, these match exactly.
EXACT_FILTERS = {"sex", "DOB"}
SEARCH_FIELDS = [
    "fname", "lname", "ss", "street", "postal_code", "city", "state", "phone_home",
    "phone_biz", "phone_cell", "postal_contact", "sex", "country_code", "email", "DOB",
]
CONVERTERS = {"DOB": parse_date}


def to_api(p: Patient) -> dict:
    body = row_to_dict(p, READ_ONLY + WRITABLE)
    body["id"] = p.pid
    return body


def find(session: Session, puuid: str) -> Patient:
    """The patient with this uuid, honouring a patient-context caller."""
    caller = context.caller()
    if caller is not None and caller.patient_uuid and caller.patient_uuid != puuid:
        raise NotFound(f"No patient with uuid {puuid}", fields={"puuid": ["not found"]})
    patient = session.execute(select(Patient).where(Patient.uuid == puuid.lower())).scalar_one_or_none()
    if patient is None:
        raise NotFound(f"No patient with uuid {puuid}", fields={"puuid": ["not found"]})
    context.touched_patient(patient.uuid)
    return patient


def search(session: Session, filters: dict, *, sort: str | None, limit: int | None,
           offset: int | None, url: str) -> Page:
    stmt = select(Patient)
    caller = context.caller()
    if caller is not None and caller.patient_uuid:
        stmt = stmt.where(Patient.uuid == caller.patient_uuid)
    for name in SEARCH_FIELDS:
        value = filters.get(name)
        if value is None or value == "":
            continue
        column = getattr(Patient, name)
        check_text(name, value)
        if name == "DOB":
            stmt = stmt.where(column == parse_date("DOB", value))
        elif name in EXACT_FILTERS:
            stmt = stmt.where(column == value)
        else:
            stmt = stmt.where(starts_with(column, value))
    stmt = order_by(stmt, Patient, sort, Patient.pid)
    params = {k: filters.get(k) for k in SEARCH_FIELDS} | {"_sort": sort}
    page = paginate(session, stmt, url=url, params=params, limit=limit, offset=offset)
    page.items = [to_api(p) for p in page.items]
    return page


def create(session: Session, data: dict) -> Patient:
    patient = Patient()
    copy_fields(patient, data, WRITABLE, CONVERTERS)
    session.add(patient)
    session.flush()
    context.touched_patient(patient.uuid)
    return patient


def update(session: Session, puuid: str, data: dict) -> Patient:
    require_present(data, REQUIRED)
    patient = find(session, puuid)
    copy_fields(patient, data, WRITABLE, CONVERTERS)
    session.flush()
    return patient
