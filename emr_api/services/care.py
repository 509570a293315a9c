"""Care plans, goals, care teams and implantable devices: OpenEMR's care-plan form lines
(`form_care_plan`, one form per encounter, each line a goal, a plan of care, an order,
...), OpenEMR 7's care teams with their members, and implantable devices (`lists` rows of
their own type, with their UDI). Whose rows they are (a patient-context caller sees only
its own), and what a page of them refers to, read once per page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import (
    CarePlanItem,
    CareTeam,
    CareTeamMember,
    Encounter,
    Facility,
    Issue,
    Patient,
    Practitioner,
)

GOAL = "goal"


# The `lists` type of an implantable device (kept apart from the Standard API's kinds).
MEDICAL_DEVICE = "medical_device"


def _pids_of(puuid: str):
    return select(Patient.pid).where(Patient.uuid == puuid)


def lines_owner(puuid: str):
    """The care-plan lines of one patient."""
    return CarePlanItem.pid.in_(_pids_of(puuid))


def plan_owner(puuid: str):
    """The encounters (care plans) of one patient."""
    return Encounter.pid.in_(_pids_of(puuid))


def team_owner(puuid: str):
    """The care teams of one patient."""
    return CareTeam.pid.in_(_pids_of(puuid))


def device_owner(puuid: str):
    """The implantable devices (and any other `lists` rows) of one patient."""
    return Issue.pid.in_(_pids_of(puuid))


def is_device():
    return Issue.type == MEDICAL_DEVICE


def lines_of_encounter(*where):
    """Whether an encounter has care-plan lines (with more conditions on them)."""
    return select(CarePlanItem.id).where(CarePlanItem.pid == Encounter.pid,
                                         CarePlanItem.encounter == Encounter.encounter,
                                         *where).exists()


def members_with(*where):
    """Whether a care team has a member meeting the conditions."""
    return select(CareTeamMember.id).where(CareTeamMember.care_team_id == CareTeam.id,
                                           *where).exists()


def patient_uuids(session: Session, pids: Iterable[int]) -> dict[int, str]:
    wanted = {pid for pid in pids if pid is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(Patient.pid, Patient.uuid)
                                .where(Patient.pid.in_(wanted))).all())


@dataclass(frozen=True)
class Visit:
    """What a care plan or goal shows of its encounter."""

    uuid: str
    date: datetime
    provider_uuid: str | None


def visits(session: Session, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Visit]:
    """The encounters named by (pid, encounter number), with their providers' uuids."""
    keys = set(keys)
    if not keys:
        return {}
    rows = session.execute(
        select(Encounter.pid, Encounter.encounter, Encounter.uuid, Encounter.date,
               Practitioner.uuid)
        .outerjoin(Practitioner, Practitioner.id == Encounter.provider_id)
        .where(Encounter.pid.in_({pid for pid, _ in keys}),
               Encounter.encounter.in_({number for _, number in keys})))
    return {(pid, number): Visit(uuid, date, provider) for pid, number, uuid, date, provider
            in rows if (pid, number) in keys}


def lines(session: Session, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], list]:
    """The care-plan lines of the encounters named by (pid, encounter number), in order."""
    keys = set(keys)
    found: dict[tuple[int, int], list] = {key: [] for key in keys}
    if not keys:
        return found
    rows = session.execute(
        select(CarePlanItem)
        .where(CarePlanItem.pid.in_({pid for pid, _ in keys}),
               CarePlanItem.encounter.in_({number for _, number in keys}))
        .order_by(CarePlanItem.id)).scalars()
    for row in rows:
        if (row.pid, row.encounter) in found:
            found[(row.pid, row.encounter)].append(row)
    return found


@dataclass(frozen=True)
class Member:
    """One member of a care team, with the uuids of what it refers to."""

    row: CareTeamMember
    practitioner_uuid: str | None
    facility_uuid: str | None
    facility_name: str | None


def members(session: Session, team_ids: Iterable[int]) -> dict[int, list[Member]]:
    """The members of these care teams, by team, in order."""
    wanted = set(team_ids)
    found: dict[int, list[Member]] = {team: [] for team in wanted}
    if not wanted:
        return found
    rows = session.execute(
        select(CareTeamMember, Practitioner.uuid, Facility.uuid, Facility.name)
        .outerjoin(Practitioner, Practitioner.id == CareTeamMember.user_id)
        .outerjoin(Facility, Facility.id == CareTeamMember.facility_id)
        .where(CareTeamMember.care_team_id.in_(wanted))
        .order_by(CareTeamMember.id))
    for member, practitioner, facility, name in rows:
        found[member.care_team_id].append(Member(member, practitioner, facility, name))
    return found
