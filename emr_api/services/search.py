"""Typed search criteria translated to SQL, and keyset paging: the engine under the FHIR
search (any API may use it). HTTP-free: the API parses its own syntax into these values.

Matching, in the terms FHIR defines them:
- strings: case-insensitive "starts with" by default, `exact` (case-sensitive equality) or
  `contains` (case-insensitive substring), over one or several columns (OR);
- dates: a value stands for the whole range its precision spans ([low, high)); a date
  column stands for its whole day, a date-time column for its instant; the prefixes compare
  those ranges (`ge2020` is "from 2020-01-01 on", `le2020` "up to 2020-12-31", ...);
- `missing`: the column is NULL or empty.

Paging is by keyset: a page starts after (or, going back, before) the sort key of a row, so
rows added or removed elsewhere never shift a page, and deep pages cost what the first does.
The total is counted once, for the first page; later pages carry it in their cursor."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Date, and_, false, func, not_, or_, select
from sqlalchemy.orm import Session

from emr_api.db.models import fold
from emr_api.services.resources import key_starts_with


class Prefix(enum.Enum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    LT = "lt"
    GE = "ge"
    LE = "le"
    SA = "sa"
    EB = "eb"


@dataclass(frozen=True)
class Moment:
    """A date search value: its prefix and the range its precision spans, in UTC."""

    prefix: Prefix
    low: datetime
    high: datetime  # exclusive


def _ceil_day(moment: datetime) -> date:
    return moment.date() if moment.time() == time() else moment.date() + timedelta(days=1)


def date_clause(column, value: Moment) -> ColumnElement:
    """The rows whose date (a day) or date-time (an instant) meets the value. For a day d,
    its range is [d, d+1): "starts at or after X" is d >= ceil(X), "ends by X" d < floor(X)."""
    low, high = value.low, value.high
    if isinstance(column.type, Date):
        starts_from = {"low": column >= _ceil_day(low), "high": column >= _ceil_day(high)}
        starts_before = {"low": column < _ceil_day(low)}
        ends_by = {"low": column < low.date(), "high": column < high.date()}
        ends_after = {"high": column >= high.date()}
    else:
        starts_from = {"low": column >= low, "high": column >= high}
        starts_before = {"low": column < low}
        ends_by = {"low": column < low, "high": column < high}
        ends_after = {"high": column >= high}
    within = and_(starts_from["low"], ends_by["high"])
    return {
        Prefix.EQ: within,
        Prefix.NE: not_(within),
        Prefix.GT: ends_after["high"],
        Prefix.GE: starts_from["low"],
        Prefix.LT: starts_before["low"],
        Prefix.LE: ends_by["high"],
        Prefix.SA: starts_from["high"],
        Prefix.EB: ends_by["low"],
    }[value.prefix] & column.is_not(None)


class StringMode(enum.Enum):
    START = "start"
    EXACT = "exact"
    CONTAINS = "contains"


def _like_escaped(value: str) -> str:
    # "/" as the escape character: a backslash means different things to MariaDB.
    return value.replace("/", "//").replace("%", "/%").replace("_", "/_")


def string_clause(columns, value: str, mode: StringMode, keys=None) -> ColumnElement:
    """Any of the columns matches the value. `keys` maps a column to its case-folded key
    column, which answers "starts with" as an index range."""
    keys = keys or {}
    clauses = []
    for column in columns:
        if mode is StringMode.EXACT:
            clauses.append(column == value)
        elif mode is StringMode.CONTAINS:
            clauses.append(func.lower(column).like(
                "%" + _like_escaped(fold(value)) + "%", escape="/"))
        elif column in keys:
            clauses.append(key_starts_with(keys[column], value))
        else:
            clauses.append(func.lower(column).like(_like_escaped(fold(value)) + "%",
                                                   escape="/"))
    return or_(*clauses)


def missing_clause(column, missing: bool) -> ColumnElement:
    absent = or_(column.is_(None), column == "") if _is_text(column) else column.is_(None)
    return absent if missing else not_(absent)


def _is_text(column) -> bool:
    try:
        return column.type.python_type is str
    except NotImplementedError:
        return False


def any_of(clauses) -> ColumnElement:
    """OR of a parameter's comma-separated values; no value can match: false."""
    clauses = [c for c in clauses if c is not None]
    return or_(*clauses) if clauses else false()


@dataclass(frozen=True)
class SortKey:
    column: object
    descending: bool = False


@dataclass
class Query:
    """A search: its model, its WHERE clauses (already narrowed to what the caller may
    see), its order (the model's id last, so every key is unique), a page size, and where
    the page starts: after a row's key, or (going back) before one."""

    model: type
    where: list
    order: list[SortKey]
    limit: int
    after: tuple | None = None
    before: tuple | None = None
    count: bool = True


@dataclass
class Found:
    rows: list
    total: int | None
    more_after: bool  # a row follows the last one
    more_before: bool  # a row precedes the first one

    def key(self, row, order: list[SortKey]) -> tuple:
        return tuple(getattr(row, k.column.key) for k in order)


def _beyond(order: list[SortKey], key: tuple, backwards: bool) -> ColumnElement:
    """Rows strictly after `key` in this order (before it when `backwards`): for keys
    (a, b, id), a > x OR (a = x AND b > y) OR (a = x AND b = y AND id > z)."""
    alternatives = []
    for i, sort in enumerate(order):
        forward = sort.descending == backwards
        step = sort.column > key[i] if forward else sort.column < key[i]
        equal = [order[j].column == key[j] for j in range(i)]
        alternatives.append(and_(*equal, step) if equal else step)
    return or_(*alternatives)


def run(session: Session, query: Query) -> Found:
    """One page of the search, with the total when asked for."""
    backwards = query.before is not None
    stmt = select(query.model).where(*query.where)
    if query.after is not None:
        stmt = stmt.where(_beyond(query.order, query.after, backwards=False))
    if backwards:
        stmt = stmt.where(_beyond(query.order, query.before, backwards=True))
    order = [(k.column.desc() if k.descending != backwards else k.column.asc())
             for k in query.order]
    rows = session.execute(stmt.order_by(*order).limit(query.limit + 1)).scalars().all()
    extra = len(rows) > query.limit
    rows = list(rows[:query.limit])
    if backwards:
        rows.reverse()
    total = None
    if query.count:
        total = session.execute(select(func.count()).select_from(query.model)
                                .where(*query.where)).scalar_one()
    return Found(rows=rows, total=total,
                 more_after=True if backwards else extra,
                 more_before=extra if backwards else query.after is not None)



def first(session: Session, model: type, where: list, *, locked: bool = False):
    """The first row meeting every clause, or None; `locked`: held against other writers
    until the transaction ends (a write that checks a version before it changes the row)."""
    stmt = select(model).where(*where).limit(1)
    return session.execute(stmt.with_for_update() if locked else stmt).scalars().first()


def lookup(session: Session, key, value, wanted) -> dict:
    """{key: value} for the wanted keys (one query, none when nothing is wanted): the names
    or uuids of the rows a page of results refers to."""
    wanted = {w for w in wanted if w is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(key, value).where(key.in_(wanted))).all())
