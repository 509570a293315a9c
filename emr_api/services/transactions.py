"""A patient's transactions (OpenEMR's `transactions`, with the fields of their layout that
OpenEMR keeps in lbt_data): referrals (`LBTref`) and the other layouts. Listed and made
through the patient's path (`/patient/{pid}/transaction`), changed by id alone
(`/transaction/{tid}`), which a patient-context caller reaches only for its own patient.

Rules: OpenEMR's PatientTransactionService checked referrals only (and wrote the row even
when they failed); here every write is checked first, on the row as it ends up:
- `type` (the layout: LBTref referral, LBTptreq patient request, LBTphreq physician
  request, LBTlegal legal, LBTbill billing) and `groupname` are required;
- a referral also needs `referralDate`, `body` (2-150 characters, OpenEMR's rule) and
  `referByNpi`;
- `referByNpi` and `referToNpi` must be practitioners' NPIs; the practitioner's id is kept
  (`refer_from`, `refer_to`), as OpenEMR keeps the user's id;
- `referralDate`, `validFrom`, `validThrough` are real dates (YYYY-MM-DD), `validThrough`
  not before `validFrom`; `riskLevel` low, medium or high in any case (kept lower-case, as
  OpenEMR does); `includeVitals` 0/1; `visits` 0-9999;
- `message` is OpenEMR's documented name for `body` (its service reads `body` only, and
  its documented example sends both): it is the body when no `body` is sent.
A blank value (`""`) sets nothing on a create, and leaves the field as it is on a change
(OpenEMR changes only the fields sent non-empty); null clears an optional field."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import Patient, Practitioner, Transaction
from emr_api.errors import ValidationFailed
from emr_api.identity import Access
from emr_api.services import patients, resources
from emr_api.services.resources import Page, ResourceSpec
from emr_api.services.values import check_text, parse_date, parse_flag, parse_id

REFERRAL = "LBTref"
TYPES = (REFERRAL, "LBTptreq", "LBTphreq", "LBTlegal", "LBTbill")
RISK_LEVELS = ("low", "medium", "high")
MAX_VISITS = 9999
REFERRAL_BODY = (2, 150)
_VISITS = re.compile(r"^[0-9]{1,4}$")

# Each request field and the column it is written to.
COLUMNS = {
    "type": "title", "groupname": "groupname", "body": "body", "message": "body",
    "referralDate": "refer_date", "referDiagnosis": "refer_diag", "referByNpi": "refer_from",
    "referToNpi": "refer_to", "riskLevel": "refer_risk_level", "includeVitals": "refer_vitals",
    "authorization": "refer_authorization", "visits": "refer_visits",
    "validFrom": "refer_validFrom", "validThrough": "refer_validThrough",
}
NPIS = ("referByNpi", "referToNpi")


def _type(field: str, value) -> str:
    if value not in TYPES:
        raise ValidationFailed({field: [f"{field} must be one of {', '.join(TYPES)}"]})
    return value


def _risk_level(field: str, value) -> str:
    if not isinstance(value, str) or value.lower() not in RISK_LEVELS:
        raise ValidationFailed({field: [f"{field} must be Low, Medium or High"]})
    return value.lower()


def _visits(field: str, value) -> int:
    """A number of visits, sent as a number or (as OpenEMR documents it) a string."""
    digits = isinstance(value, str) and _VISITS.fullmatch(value)
    if not digits and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationFailed({field: [f"{field} must be a number of visits"]})
    if not 0 <= int(value) <= MAX_VISITS:
        raise ValidationFailed({field: [f"{field} must be between 0 and {MAX_VISITS}"]})
    return int(value)


def _owner(puuid: str):
    return Transaction.pid.in_(select(Patient.pid).where(Patient.uuid == puuid))


SPEC = ResourceSpec(
    name="transaction",
    model=Transaction,
    id_name="tid",
    writable=tuple(COLUMNS),
    required=("type", "groupname"),
    converters={"type": _type, "referralDate": parse_date, "validFrom": parse_date,
                "validThrough": parse_date, "riskLevel": _risk_level,
                "includeVitals": parse_flag, "visits": _visits},
    sort=("id", "date", "refer_date"),
    default_order="id",
    owner=_owner,
)


def _practitioner(session: Session, field: str, npi) -> int:
    """The id of the practitioner with this NPI (the first, should two share it)."""
    found = session.execute(select(Practitioner.id).where(Practitioner.npi == npi)
                            .order_by(Practitioner.id).limit(1)).scalar()
    if found is None:
        raise ValidationFailed({field: [f"{field} {npi} is not the NPI of a practitioner"]})
    return found


def _convert(session: Session, name: str, value):
    value = check_text(name, value)
    if value in (None, ""):
        return None
    if name in SPEC.converters:
        value = SPEC.converters[name](name, value)
    return _practitioner(session, name, value) if name in NPIS else value


def _values(session: Session, data: dict, *, changing: bool) -> dict:
    """The columns `data` writes, converted; every field at fault is named at once."""
    values, errors = {}, {}
    for name in SPEC.writable:
        if name not in data or (changing and data[name] == ""):
            continue
        try:
            values[name] = _convert(session, name, data[name])
        except ValidationFailed as failed:
            errors.update(failed.fields)
    if "message" in values:
        message = values.pop("message")
        if values.get("body") is None:
            values["body"] = message
    if errors:
        raise ValidationFailed(errors)
    return {COLUMNS[name]: value for name, value in values.items()}


def _check(row: Transaction) -> None:
    """The rules on the row as it ends up, named by the request's fields."""
    errors = {name: [f"{name} is required"] for name, value in (
        ("type", row.title), ("groupname", row.groupname)) if value in (None, "")}
    if row.title == REFERRAL:
        errors.update({name: [f"{name} is required for a referral"] for name, value in (
            ("referralDate", row.refer_date), ("body", row.body),
            ("referByNpi", row.refer_from)) if value in (None, "")})
    low, high = REFERRAL_BODY
    if row.title == REFERRAL and row.body and not low <= len(row.body) <= high:
        errors["body"] = [f"body of a referral must be {low}-{high} characters"]
    if row.refer_validFrom and row.refer_validThrough and (
            row.refer_validThrough < row.refer_validFrom):
        errors["validThrough"] = ["validThrough must not be before validFrom"]
    if errors:
        raise ValidationFailed(errors)


def search(session: Session, access: Access, pid, **paging) -> tuple[Patient, Page]:
    """One page of the patient's transactions."""
    patient = patients.find_by_pid(session, access, pid)
    return patient, resources.search(session, access, SPEC, {},
                                     where=(Transaction.pid == patient.pid,), **paging)


def create(session: Session, access: Access, pid, data: dict) -> tuple[Patient, Transaction]:
    """A new transaction of the patient in the path; nothing in the body picks the patient."""
    pid = parse_id("pid", pid)
    values = _values(session, data, changing=False)
    patient = patients.find_by_pid(session, access, pid)
    row = Transaction(pid=patient.pid, authorized=True, **values)
    _check(row)
    session.add(row)
    session.flush()
    return patient, row


def update(session: Session, access: Access, tid, data: dict) -> tuple[Patient, Transaction]:
    """Change the fields sent of the transaction with this id (of the caller's patient only,
    for a patient-context caller)."""
    tid = parse_id("tid", tid)
    values = _values(session, data, changing=True)
    row = resources.find_by_id(session, access, SPEC, tid)
    for column, value in values.items():
        setattr(row, column, value)
    _check(row)
    session.flush()
    return session.get(Patient, row.pid), row
