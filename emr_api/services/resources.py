"""One declarative spec per resource, and the one generic find / search / create / update
every resource uses. A resource module states its fields, search and sort once, in a
`ResourceSpec`, plus only the rules that are its own.

Services are HTTP-free: `(session, access, ...)` in, rows or a `Page` out. The caller's
`Access` narrows every query of patient data (`owner`), so a patient-context caller never
sees another patient's rows, whether the caller is an API handler, a job or the CLI."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from types import MappingProxyType

from sqlalchemy import ColumnElement, DateTime, Select, bindparam, func, select
from sqlalchemy.orm import Session

from emr_api.db.models import fold
from emr_api.errors import Conflict, NotFound, ValidationFailed
from emr_api.identity import Access
from emr_api.services.values import check_text, parse_date, parse_flag, parse_id

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Match(enum.Enum):
    """How a search parameter matches its column."""

    PREFIX = "prefix"  # case-insensitive, from the start
    EXACT = "exact"
    DATE = "date"  # a real YYYY-MM-DD, that day
    FLAG = "flag"  # OpenEMR's 0/1
    ID = "id"  # an integer record id


Rules = Callable[[Session, object, dict, bool], None]


@dataclass(frozen=True)
class ResourceSpec:
    name: str  # for messages: "facility"
    model: type
    id_name: str  # the public id as paths and errors name it: "fuuid"
    writable: tuple[str, ...]
    required: tuple[str, ...] = ()  # on create
    keep: tuple[str, ...] | None = None  # never cleared by an update (default: required)
    converters: Mapping[str, Callable] = field(default_factory=lambda: MappingProxyType({}))
    search: Mapping[str, Match] = field(default_factory=lambda: MappingProxyType({}))
    # Prefix searches answered from an indexed, case-folded key column: {field: key column}.
    keys: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Search parameters named otherwise than their attribute (as OpenEMR documents them):
    # {parameter: attribute}.
    aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    sort: tuple[str, ...] = ()
    default_order: str = "id"  # a model attribute; "-eid" for descending
    # The rows of one patient (a clause on this model), for patient-context access; None
    # for records that are not patient data.
    owner: Callable[[str], ColumnElement] | None = None
    # This resource's own rules, run after the fields are copied: (session, row, data, creating).
    rules: Rules | None = None
    # Run once a new row has its id (numbering that depends on it).
    after_insert: Callable[[Session, object], None] | None = None

    def kept(self) -> tuple[str, ...]:
        return self.required if self.keep is None else self.keep


@dataclass
class Page:
    """One page of a search: the items, whether more follow, and where it started."""

    items: list
    has_more: bool
    offset: int
    limit: int


def key_starts_with(key_column, value: str):
    """Prefix match on a case-folded key column, as an index range: the keys from the
    folded prefix up to (not including) the prefix with its last character one higher.
    Wildcards mean nothing here."""
    prefix = fold(value)
    if ord(prefix[-1]) >= 0x10FFFF:
        return key_column >= prefix
    return (key_column >= prefix) & (key_column < prefix[:-1] + chr(ord(prefix[-1]) + 1))


def starts_with(column, value: str):
    """Case-insensitive prefix match with LIKE wildcards in the value escaped."""
    check_text(column.key, value)
    # "/" as the escape character: a backslash means different things to MariaDB.
    escaped = value.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return func.lower(column).like(escaped.lower() + "%", escape="/")


def _narrowed(spec: ResourceSpec, access: Access, stmt: Select) -> Select:
    if access.patient_uuid and spec.owner is not None:
        stmt = stmt.where(spec.owner(access.patient_uuid))
    return stmt


@functools.cache
def _by_uuid(model) -> Select:
    """A model's row by a bound uuid. Built once: building and keying a statement cost a
    read about a third of its database time."""
    return select(model).where(model.uuid == bindparam("uuid"))


def find(session: Session, access: Access, spec: ResourceSpec, public_id: str,
         where: tuple = ()) -> object:
    """The row with this uuid (within `where`, e.g. one patient's), or NotFound naming
    the id. Another patient's row is not found for a patient-context caller."""
    stmt = _by_uuid(spec.model)
    if where:
        stmt = stmt.where(*where)
    stmt = _narrowed(spec, access, stmt)
    row = session.execute(stmt, {"uuid": public_id.lower()}).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No {spec.name} with {spec.id_name} {public_id}",
                       fields={spec.id_name: ["not found"]})
    return row


def find_by_id(session: Session, access: Access, spec: ResourceSpec, number,
               where: tuple = ()) -> object:
    """The row with this integer id (a number or a string of digits, as OpenEMR's paths
    send it; within `where`), or NotFound naming the id. Another patient's row is not
    found for a patient-context caller."""
    number = parse_id(spec.id_name, number)
    key = spec.model.__mapper__.primary_key[0]
    stmt = _narrowed(spec, access, select(spec.model).where(key == number, *where))
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No {spec.name} with {spec.id_name} {number}",
                       fields={spec.id_name: ["not found"]})
    return row


def _filter(spec: ResourceSpec, name: str, value):
    match = spec.search.get(name)
    if match is None:
        # The YAML declares a parameter this spec does not handle: fail loudly rather
        # than answer an unfiltered list (a test checks the two agree).
        raise LookupError(f"{spec.name} search has no parameter {name!r}")
    column = getattr(spec.model, spec.aliases.get(name, name))
    if match is Match.FLAG:
        return column == parse_flag(name, value)
    if match is Match.ID:
        return column == parse_id(name, value)
    if value == "":
        return None
    check_text(name, value)
    if match is Match.DATE:
        day = parse_date(name, value)
        if isinstance(column.type, DateTime):  # that day, from midnight to midnight
            start = datetime.combine(day, time())
            return (column >= start) & (column < start + timedelta(days=1))
        return column == day
    if match is Match.EXACT:
        return column == value
    if name in spec.keys:
        return key_starts_with(getattr(spec.model, spec.keys[name]), value)
    return starts_with(column, value)


def _order(spec: ResourceSpec, sort: str | None) -> list:
    default = spec.default_order
    column = getattr(spec.model, default.lstrip("-"))
    clauses = []
    for part in (sort.split(",") if sort else []):
        name = part.lstrip("-")
        if name not in spec.sort:
            raise ValidationFailed({"_sort": [f"cannot sort {spec.name} by {name!r}; "
                                              f"allowed: {', '.join(spec.sort)}"]})
        attribute = getattr(spec.model, name)
        clauses.append(attribute.desc() if part.startswith("-") else attribute.asc())
    return clauses + [column.desc() if default.startswith("-") else column.asc()]


def search(session: Session, access: Access, spec: ResourceSpec, filters: Mapping, *,
           sort: str | None = None, limit: int | None = None, offset: int | None = None,
           where: tuple = ()) -> Page:
    """One page (at most MAX_LIMIT rows) of the rows matching every filter given."""
    stmt = _narrowed(spec, access, select(spec.model).where(*where))
    for name, value in filters.items():
        if value is not None and (clause := _filter(spec, name, value)) is not None:
            stmt = stmt.where(clause)
    limit = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
    offset = offset or 0
    stmt = stmt.order_by(*_order(spec, sort)).limit(limit + 1).offset(offset)
    rows = session.execute(stmt).scalars().all()
    return Page(items=list(rows[:limit]), has_more=len(rows) > limit, offset=offset, limit=limit)


def _copy_fields(spec: ResourceSpec, row, data: dict) -> None:
    """Copy the writable fields present in `data` onto `row`, through their converters."""
    for name in spec.writable:
        if name in data:
            value = check_text(name, data[name])
            if name in spec.converters:
                value = spec.converters[name](name, value)
            setattr(row, name, value)


def check_required(spec: ResourceSpec, data: dict) -> None:
    """The fields a new record must have (400 naming each one missing)."""
    missing = {f: [f"{f} is required"] for f in spec.required if data.get(f) in (None, "")}
    if missing:
        raise ValidationFailed(missing)


def create(session: Session, access: Access, spec: ResourceSpec, data: dict, **fixed) -> object:
    """A new row from `data` (plus `fixed` attributes, e.g. its patient), in the caller's
    transaction; every rule is checked before anything is written."""
    check_required(spec, data)
    row = spec.model(**fixed)
    _copy_fields(spec, row, data)
    if spec.rules is not None:
        spec.rules(session, row, data, True)
    session.add(row)
    session.flush()
    if spec.after_insert is not None:
        spec.after_insert(session, row)
        session.flush()
    return row


def update_allowed(spec: ResourceSpec, data: dict) -> None:
    """Required fields may be left out of an update, but never cleared."""
    cleared = {f: [f"{f} cannot be empty"] for f in spec.kept()
               if f in data and data[f] in (None, "")}
    if cleared:
        raise ValidationFailed(cleared)


def update(session: Session, access: Access, spec: ResourceSpec, public_id: str, data: dict,
           where: tuple = ()) -> object:
    """Change the fields sent; required fields may be left out, never cleared."""
    return apply(session, spec, find(session, access, spec, public_id, where), data)


def apply(session: Session, spec: ResourceSpec, row, data: dict) -> object:
    """Change the fields sent on a row the caller has found (and may change)."""
    update_allowed(spec, data)
    _copy_fields(spec, row, data)
    if spec.rules is not None:
        spec.rules(session, row, data, False)
    session.flush()
    return row


def refuse_if_referred(session: Session, key, value, what: str) -> None:
    """409 when any row refers to this one (a foreign key to `key` holding `value`), naming
    the table: a record others point at is not deleted from under them."""
    for table in key.table.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column is key for fk in column.foreign_keys) and session.execute(
                    select(column).where(column == value).limit(1)).first():
                raise Conflict(f"The {what} has records ({table.name}); a {what} with "
                               "records is not deleted", fields={"id": ["has records"]})
