"""Patients (OpenEMR's patient_data), with OpenEMR's validation rules."""

from __future__ import annotations

from sqlalchemy.orm import Session

from emr_api.db.models import Patient
from emr_api.identity import Access
from emr_api.services import resources
from emr_api.services.resources import Match, ResourceSpec
from emr_api.services.values import parse_date

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
