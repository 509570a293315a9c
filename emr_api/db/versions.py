"""Resource versions, kept whichever API changes a row: every flush that changes or deletes
a versioned row adds its next version to `fhir_history` in the same transaction. A new row
adds none (it is at version 1 until it changes; the FHIR API records its own creates, with
their JSON). Bulk loads through Core (the demo data) bypass the session and are at 1.

The versioned rows are the FHIR types that take writes, named here by the type and public
id they are served as."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from emr_api.db.models import Encounter, Issue, Patient, Practitioner, ResourceVersion, utcnow

# What `lists` rows of each type are served as.
_ISSUE_TYPES = {"allergy": "AllergyIntolerance", "medical_problem": "Condition"}


def _issue(row: Issue) -> tuple[str, str] | None:
    type_ = _ISSUE_TYPES.get(row.type)
    return (type_, row.uuid) if type_ else None


VERSIONED: dict[type, Callable[[object], tuple[str, str] | None]] = {
    Patient: lambda row: ("Patient", row.uuid),
    Practitioner: lambda row: ("Practitioner", row.uuid),
    Encounter: lambda row: ("Encounter", row.uuid),
    Issue: _issue,
}


def identity(row) -> tuple[str, str] | None:
    """(FHIR type, id) of a versioned row; None for any other."""
    identify = VERSIONED.get(type(row))
    return identify(row) if identify is not None else None


def next_version(session: Session, type_: str, id_: str) -> int:
    latest = session.connection().execute(
        select(func.max(ResourceVersion.version)).where(
            ResourceVersion.resource_type == type_, ResourceVersion.resource_id == id_)
    ).scalar()
    return (latest or 1) + 1


def _after_flush(session: Session, _context) -> None:
    # The collections still hold what this flush wrote; the changed rows are locked by it,
    # so two writers of one row number their versions one after the other. A transaction
    # makes one version of a row however many flushes fill it in (a row it made is at 1).
    versioned = session.info.setdefault("versioned", set())
    versioned.update(identity(row) for row in session.new)
    changed = [(row, "update") for row in session.dirty
               if row not in session.deleted and session.is_modified(row)]
    changed += [(row, "delete") for row in session.deleted]
    for row, method in changed:
        key = identity(row)
        if key is None or (method == "update" and key in versioned):
            continue
        versioned.add(key)
        session.connection().execute(insert(ResourceVersion).values(
            resource_type=key[0], resource_id=key[1], version=next_version(session, *key),
            method=method, recorded=utcnow()))


def _forget_made(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop("versioned", None)


def keep_versions(factory) -> None:
    """Number the versions of what this session factory's sessions write."""
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "after_transaction_end", _forget_made)
