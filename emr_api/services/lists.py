"""OpenEMR's `lists`: a patient's allergies, medical problems, medications, surgeries and
dental issues, one table told apart by `type`. One `Kind` per type, each with its own
`ResourceSpec`; every query of a kind is held to its type, and every nested id to its
patient (another patient's row is not found through this patient's path).

Rules as OpenEMR's own validators state them (the lengths, 2-255 for `title` and
`diagnosis`, are in the YAML):
- allergy (AllergyIntoleranceValidator): `title` required; `begdate`/`enddate` dates;
  `diagnosis`, `comments`. An update changes only what it sends.
- medical_problem (ConditionValidator): `title` and `begdate` (YYYY-MM-DD) required;
  `enddate` YYYY-MM-DD; `diagnosis`. An update changes only what it sends.
- medication, surgery, dental (ListService::validate): `title` required, also on update;
  `begdate`/`enddate` dates; `diagnosis`. An update writes all four fields
  (ListService::update), so a field left out is cleared.

Allergies and medical problems are addressed by uuid (`/patient/{puuid}/allergy/{auuid}`),
the other kinds by the patient's integer pid and the row's integer id
(`/patient/{pid}/medication/{mid}`). A date sent as `YYYY-MM-DD HH:MM:SS` (the form the
validators ask for) keeps its day: the column is a date, as OpenEMR's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete as delete_rows
from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import Issue, IssueEncounter, Patient
from emr_api.errors import NotFound
from emr_api.identity import Access
from emr_api.services import patients, resources
from emr_api.services.resources import Match, Page, ResourceSpec
from emr_api.services.values import parse_date, parse_datetime, parse_id

SEARCH = {"title": Match.EXACT, "begdate": Match.DATE, "enddate": Match.DATE,
          "diagnosis": Match.EXACT}
SORT = ("id", "title", "begdate", "enddate", "date")
FIELDS = ("title", "begdate", "enddate", "diagnosis")


def _day(field: str, value):
    """A date, sent as YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]; the day is kept."""
    moment = parse_datetime(field, value)
    return None if moment is None else moment.date()


def _owner(puuid: str):
    return Issue.pid.in_(select(Patient.pid).where(Patient.uuid == puuid))


@dataclass(frozen=True)
class Kind:
    """One type of row in `lists`: its spec, the `type` value OpenEMR stores, and whether
    its paths name rows by integer id within the patient's integer pid (else by uuid)."""

    spec: ResourceSpec
    type: str
    by_id: bool

    @property
    def name(self) -> str:
        return self.spec.name

    def of_type(self):
        return Issue.type == self.type


def _kind(name: str, type_: str, id_name: str, *, writable=FIELDS, required=("title",),
          dates=_day, by_id: bool, default_order: str) -> Kind:
    spec = ResourceSpec(
        name=name,
        model=Issue,
        id_name=id_name,
        writable=writable,
        required=required,
        converters={"begdate": dates, "enddate": dates},
        search=SEARCH,
        sort=SORT,
        default_order=default_order,
        owner=_owner,
    )
    return Kind(spec=spec, type=type_, by_id=by_id)


# OpenEMR lists allergies and problems in the order they were made, the others newest first.
ALLERGY = _kind("allergy", "allergy", "auuid", writable=(*FIELDS, "comments"), by_id=False,
                default_order="id")
MEDICAL_PROBLEM = _kind("medical_problem", "medical_problem", "muuid",
                        required=("title", "begdate"), dates=parse_date, by_id=False,
                        default_order="id")
MEDICATION = _kind("medication", "medication", "mid", by_id=True, default_order="-id")
SURGERY = _kind("surgery", "surgery", "sid", by_id=True, default_order="-id")
DENTAL_ISSUE = _kind("dental_issue", "dental", "did", by_id=True, default_order="-id")
KINDS = (ALLERGY, MEDICAL_PROBLEM, MEDICATION, SURGERY, DENTAL_ISSUE)


def patient_of(session: Session, access: Access, kind: Kind, patient: str | int) -> Patient:
    """The patient a path of this kind names, as this access may see it: by uuid, or by
    integer pid for the kinds addressed by ids (else NotFound naming `puuid` or `pid`)."""
    if not kind.by_id:
        return patients.find(session, access, patient)
    return patients.find_by_pid(session, access, patient)


def _find(session: Session, access: Access, kind: Kind, item, where: tuple) -> Issue:
    """The row of this kind the path names (uuid or integer id), within `where`."""
    where = (kind.of_type(), *where)
    if not kind.by_id:
        return resources.find(session, access, kind.spec, item, where)
    item = parse_id(kind.spec.id_name, item)
    stmt = select(Issue).where(Issue.id == item, *where)
    if access.patient_uuid:
        stmt = stmt.where(kind.spec.owner(access.patient_uuid))
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No {kind.name} with {kind.spec.id_name} {item}",
                       fields={kind.spec.id_name: ["not found"]})
    return row


def search(session: Session, access: Access, kind: Kind, filters: dict,
           patient: str | int | None = None, **paging) -> tuple[Patient | None, Page]:
    """One page of this kind's rows: of one patient (by uuid or pid), or of every patient
    this access may see."""
    where: tuple = (kind.of_type(),)
    found = None
    if patient is not None:
        found = patient_of(session, access, kind, patient)
        where += (Issue.pid == found.pid,)
    return found, resources.search(session, access, kind.spec, filters, where=where, **paging)


def find(session: Session, access: Access, kind: Kind, item,
         patient: str | int | None = None) -> tuple[Patient, Issue]:
    """The row with this uuid or id, and its patient. Through a patient's path, only that
    patient's rows are found."""
    if patient is None:
        row = _find(session, access, kind, item, ())
        return session.get(Patient, row.pid), row
    found = patient_of(session, access, kind, patient)
    return found, _find(session, access, kind, item, (Issue.pid == found.pid,))


def create(session: Session, access: Access, kind: Kind, patient: str | int,
           data: dict) -> tuple[Patient, Issue]:
    """A new row of this kind for the patient. Its type and patient come from the path,
    never from the body."""
    resources.check_required(kind.spec, data)
    found = patient_of(session, access, kind, patient)
    row = resources.create(session, access, kind.spec, data, pid=found.pid, type=kind.type,
                           activity=True)
    return found, row


def update(session: Session, access: Access, kind: Kind, patient: str | int, item,
           data: dict) -> tuple[Patient, Issue]:
    """Change this patient's row. Allergies and medical problems change the fields sent;
    medications, surgeries and dental issues are written whole, as OpenEMR's ListService
    writes them (required fields again, and a field left out is cleared)."""
    if kind.by_id:
        resources.check_required(kind.spec, data)
        data = {name: data.get(name) for name in kind.spec.writable}
    resources.update_allowed(kind.spec, data)
    found = patient_of(session, access, kind, patient)
    if kind.by_id:  # the generic update finds rows by uuid
        item = _find(session, access, kind, item, (Issue.pid == found.pid,)).uuid
    row = resources.update(session, access, kind.spec, item, data,
                           (kind.of_type(), Issue.pid == found.pid))
    return found, row


def delete(session: Session, access: Access, kind: Kind, patient: str | int,
           item) -> tuple[Patient, Issue]:
    """Remove this patient's row; answers the row as it was."""
    found = patient_of(session, access, kind, patient)
    row = _find(session, access, kind, item, (Issue.pid == found.pid,))
    remove(session, row)
    return found, row


def remove(session: Session, row: Issue) -> None:
    """Delete a row and its links to encounters (OpenEMR's issue_encounter), as OpenEMR
    deletes an issue with them."""
    session.execute(delete_rows(IssueEncounter).where(IssueEncounter.list_id == row.id))
    session.delete(row)
    session.flush()


def patient_uuids(session: Session, rows) -> dict[int, str]:
    """The uuids of these rows' patients, by pid (one query)."""
    wanted = {row.pid for row in rows}
    if not wanted:
        return {}
    found = session.execute(select(Patient.pid, Patient.uuid).where(Patient.pid.in_(wanted)))
    return dict(found.all())


def record_course(row: Issue, *, active: bool, ended: date | None) -> None:
    """Where a row stands, as FHIR's clinical status writes it: switched on or off, and the
    day it ended (resolved once that day has come)."""
    row.activity = active
    row.enddate = ended


def record_reaction(row: Issue, reaction: str | None, severity: str | None) -> None:
    """An allergy's reaction (in words) and its severity (mild, moderate or severe)."""
    row.reaction = reaction
    row.severity_al = severity
