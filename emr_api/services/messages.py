"""Messages between users about a patient (OpenEMR's pnotes), written, changed and deleted
through the patient's path (`/patient/{pid}/message/{mid}`): a message is found by its id
*and* its patient, so another patient's message is never changed or deleted there
(OpenEMR's own update and delete only filtered by the pid they were given, and answered
success whether a row matched or not).

Rules as OpenEMR's MessageService states them, plus the references it never checked:
`body` (2-65535 characters), `groupname`, `from`, `to`, `title` (2-255) and
`message_status` (2-20) are all required, on a change too; `from` and `to` must be users'
usernames, `title` an option of the `note_type` list and `message_status` one of the
`message_status` list. The body is a thread, as OpenEMR keeps it: a new message holds one
line `"\\n<YYYY-MM-DD HH:MM> (<from> to <to>) <body>"` (UTC), a change appends another and
sets the other fields. A delete marks the row deleted; it is not found afterwards."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import ListOption, Patient, PatientMessage, User, utcnow
from emr_api.errors import ValidationFailed
from emr_api.identity import Access
from emr_api.services import patients, resources
from emr_api.services.resources import ResourceSpec
from emr_api.services.values import check_text, parse_id

FIELDS = ("body", "groupname", "from", "to", "title", "message_status")
# The lists two fields pick from: {field: list_id}.
LISTS = {"title": "note_type", "message_status": "message_status"}
USERS = ("from", "to")
# The most a thread may hold: MariaDB's MEDIUMTEXT, in characters of up to four bytes.
MAX_THREAD = (16 * 1024 * 1024 - 1) // 4


def _owner(puuid: str):
    return PatientMessage.pid.in_(select(Patient.pid).where(Patient.uuid == puuid))


SPEC = ResourceSpec(
    name="message",
    model=PatientMessage,
    id_name="mid",
    writable=FIELDS,
    required=FIELDS,
    owner=_owner,
)


def _check_fields(data: dict) -> None:
    """Every field is there, as text every database stores (400 naming each)."""
    resources.check_required(SPEC, data)
    for name in FIELDS:
        check_text(name, data[name])


def _check_references(session: Session, data: dict) -> None:
    """`from` and `to` name users, `title` and `message_status` options of their lists,
    exactly (case and trailing spaces count, on every database)."""
    wanted = sorted({data[name] for name in USERS})
    users = set(session.execute(select(User.username).where(User.username.in_(wanted)))
                .scalars())
    errors = {name: [f"{name} {data[name]!r} is not a user's username"]
              for name in USERS if data[name] not in users}
    for name, list_id in LISTS.items():
        found = session.execute(select(ListOption.option_id).where(
            ListOption.list_id == list_id, ListOption.option_id == data[name],
            ListOption.activity == True)).scalars().all()  # noqa: E712 (a bound true)
        if data[name] not in found:
            errors[name] = [f"{name} {data[name]!r} is not an option of the {list_id} list"]
    if errors:
        raise ValidationFailed(errors)


def _line(data: dict) -> str:
    """One entry of the thread, as OpenEMR writes it."""
    return f"\n{utcnow():%Y-%m-%d %H:%M} ({data['from']} to {data['to']}) {data['body']}"


def _write(row: PatientMessage, data: dict) -> None:
    row.groupname, row.title = data["groupname"], data["title"]
    row.user, row.assigned_to = data["from"], data["to"]
    row.message_status = data["message_status"]


def create(session: Session, access: Access, pid, data: dict) -> tuple[Patient, PatientMessage]:
    """A new message about the patient in the path; nothing in the body picks the patient."""
    _check_fields(data)
    patient = patients.find_by_pid(session, access, pid)
    _check_references(session, data)
    row = PatientMessage(pid=patient.pid, body=_line(data), activity=True, authorized=True,
                         deleted=False)
    _write(row, data)
    session.add(row)
    session.flush()
    return patient, row


def _find(session: Session, access: Access, pid, mid) -> tuple[Patient, PatientMessage]:
    """This patient's message with this id, unless deleted (else NotFound naming `pid` or
    `mid`). Both ids are checked before anything is read."""
    mid = parse_id("mid", mid)
    patient = patients.find_by_pid(session, access, pid)
    row = resources.find_by_id(session, access, SPEC, mid, (
        PatientMessage.pid == patient.pid, PatientMessage.deleted == False))  # noqa: E712
    return patient, row


def update(session: Session, access: Access, pid, mid,
           data: dict) -> tuple[Patient, PatientMessage]:
    """Append the body to this patient's message's thread and set every other field."""
    _check_fields(data)
    patient, row = _find(session, access, pid, mid)
    _check_references(session, data)
    thread = row.body + _line(data)
    if len(thread) > MAX_THREAD:
        raise ValidationFailed({"body": [f"the message's thread would exceed {MAX_THREAD} "
                                         "characters; start a new message"]})
    row.body = thread
    _write(row, data)
    session.flush()
    return patient, row


def delete(session: Session, access: Access, pid, mid) -> tuple[Patient, PatientMessage]:
    """Mark this patient's message deleted; another patient's is not found and stays."""
    patient, row = _find(session, access, pid, mid)
    row.deleted = True
    session.flush()
    return patient, row
