"""Patients (OpenEMR's patient_data), with OpenEMR's validation rules."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import Patient
from emr_api.errors import NotFound
from emr_api.identity import Access
from emr_api.services import resources
from emr_api.services.resources import Match, ResourceSpec
from emr_api.services.values import parse_date, parse_id

TEXT_SEARCH = ("fname", "lname", "ss", "street", "postal_code", "city", "state", "phone_home",
               "phone_biz", "phone_cell", "postal_contact", "country_code", "email")


def _public_id(session: Session, patient: Patient) -> None:
    """The public id (chart number) is the pid unless one was given, as in OpenEMR."""
    if not patient.pubpid:
        patient.pubpid = str(patient.pid)


SPEC = ResourceSpec(
    name="patient",
    model=Patient,
    id_name="puuid",
    writable=(
        "title", "fname", "mname", "lname", "suffix", "DOB", "sex", "ss", "street",
        "postal_code", "city", "state", "county", "country_code", "drivers_license",
        "contact_relationship", "phone_contact", "phone_home", "phone_biz", "phone_cell",
        "postal_contact", "email", "email_direct", "race", "ethnicity", "religion", "language",
        "status", "occupation", "pubpid",
    ),
    required=("fname", "lname", "sex", "DOB"),
    converters={"DOB": parse_date},
    # Text matches from the start; sex and DOB exactly.
    search={
        **{name: Match.PREFIX for name in TEXT_SEARCH},
        "sex": Match.EXACT,
        "DOB": Match.DATE,
        "date": Match.DATE,  # the day the record was made
    },
    keys={"fname": "fname_key", "lname": "lname_key"},
    sort=("pid", *TEXT_SEARCH, "DOB", "sex", "date"),
    default_order="pid",
    owner=lambda puuid: Patient.uuid == puuid,
    after_insert=_public_id,
)


def find(session: Session, access: Access, puuid: str) -> Patient:
    """The patient with this uuid, as this access may see it (else NotFound)."""
    return resources.find(session, access, SPEC, puuid)


def find_by_pid(session: Session, access: Access, pid) -> Patient:
    """The patient with this integer pid (a number or a string of digits, as OpenEMR's
    paths send it), as this access may see it (else NotFound naming `pid`)."""
    pid = parse_id("pid", pid)
    stmt = select(Patient).where(Patient.pid == pid)
    if access.patient_uuid:
        stmt = stmt.where(SPEC.owner(access.patient_uuid))
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No patient with pid {pid}", fields={"pid": ["not found"]})
    return found


def delete(session: Session, patient: Patient) -> None:
    """Delete a patient with no records: one with encounters, problems, documents or any
    other row of their own is refused (409), naming what holds them, and nothing changes."""
    resources.refuse_if_referred(session, Patient.__table__.c.pid, patient.pid, "patient")
    session.delete(patient)
