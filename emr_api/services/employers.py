"""A patient's employer data (OpenEMR's employer_data): one row per change, newest first,
the first row being the current employer. Read through the patient's path only; every
query is narrowed for a patient-context caller."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import EmployerData, ListOption, Patient, User
from emr_api.identity import Access
from emr_api.services import patients, resources
from emr_api.services.resources import Page, ResourceSpec

# The lists OpenEMR codes occupations and industries with (ODH: CDC's Occupational Data
# for Health); a row's `occupation` and `industry` are option ids of these.
CODED = {"occupation": "OccupationODH", "industry": "IndustryODH"}


def _owner(puuid: str):
    return EmployerData.pid.in_(select(Patient.pid).where(Patient.uuid == puuid))


SPEC = ResourceSpec(
    name="employer",
    model=EmployerData,
    id_name="uuid",
    writable=(),
    sort=("date", "start_date", "end_date", "name"),
    default_order="-id",  # newest first: the current employer leads
    owner=_owner,
)


def search(session: Session, access: Access, puuid: str, *, sort: str | None = None,
           limit: int | None = None, offset: int | None = None) -> tuple[Patient, Page]:
    """One page of the patient's employer rows."""
    patient = patients.find(session, access, puuid)
    page = resources.search(session, access, SPEC, {}, sort=sort, limit=limit,
                            offset=offset, where=(EmployerData.pid == patient.pid,))
    return patient, page


@dataclass(frozen=True)
class Details:
    """What employer rows show beside the ids they hold."""

    users: dict[int, str]  # created_by -> the staff user's uuid
    codes: dict[tuple[str, str], ListOption]  # (list, option id) -> the coded option


def details(session: Session, rows) -> Details:
    """The recording users and the coded occupations and industries of these rows (a
    query each, whatever the number of rows)."""
    creators = {row.created_by for row in rows} - {None}
    users = dict(session.execute(select(User.id, User.uuid).where(User.id.in_(creators))).all()) \
        if creators else {}
    wanted = {(CODED[field], getattr(row, field)) for row in rows for field in CODED
              if getattr(row, field)}
    codes = {}
    if wanted:
        found = session.execute(select(ListOption).where(
            ListOption.list_id.in_({list_id for list_id, _ in wanted}),
            ListOption.option_id.in_({option for _, option in wanted}))).scalars()
        codes = {(o.list_id, o.option_id): o for o in found}
    return Details(users=users, codes=codes)
