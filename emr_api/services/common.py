"""Rules every resource service shares: dates, paging, sorting, field copying."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from emr_api.server.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$")


def parse_date(field: str, value: str | None) -> date | None:
    """YYYY-MM-DD that is a real calendar date (the schema's pattern cannot say that)."""
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValidationFailed({field: [f"{field} must be a date as YYYY-MM-DD"]})
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed({field: [f"{field} is not a real date: {value}"]}) from None


def parse_datetime(field: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        raise ValidationFailed(
            {field: [f"{field} must be YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]"]})
    try:
        return datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError:
        raise ValidationFailed({field: [f"{field} is not a real date: {value}"]}) from None


def format_value(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_to_dict(row, fields: list[str]) -> dict:
    return {f: format_value(getattr(row, f)) for f in fields}


def check_text(field: str, value):
    """Text every database stores alike: PostgreSQL cannot hold U+0000, so none does."""
    if isinstance(value, str) and "\x00" in value:
        raise ValidationFailed({field: [f"{field} must not contain NUL (U+0000) characters"]})
    return value


def copy_fields(row, data: dict, fields, converters: dict | None = None) -> None:
    """Copy the fields present in `data` onto `row`, converting where a converter says."""
    converters = converters or {}
    for name in fields:
        if name in data:
            value = check_text(name, data[name])
            if name in converters:
                value = converters[name](name, value)
            setattr(row, name, value)


def require_present(data: dict, required: list[str]) -> None:
    """Required fields may be left out of an update, but never cleared."""
    errors = {f: [f"{f} cannot be empty"] for f in required if f in data and data[f] in (None, "")}
    if errors:
        raise ValidationFailed(errors)


@dataclass
class Page:
    items: list
    links: dict


def order_by(stmt: Select, model, sort: str | None, default):
    """`_sort=lname,-DOB`; the schema has already limited the names to a whitelist."""
    if not sort:
        return stmt.order_by(default)
    clauses = []
    for part in sort.split(","):
        desc = part.startswith("-")
        column = getattr(model, part.lstrip("-"))
        clauses.append(column.desc() if desc else column.asc())
    return stmt.order_by(*clauses, default)


def paginate(session: Session, stmt: Select, *, url: str, params: dict,
             limit: int | None, offset: int | None) -> Page:
    """One page (at most MAX_LIMIT rows) and first/previous/next links that keep the
    caller's filters. `next` exists only when another row exists."""
    limit = min(limit or DEFAULT_LIMIT, MAX_LIMIT)
    offset = offset or 0
    rows = session.execute(stmt.limit(limit + 1).offset(offset)).scalars().all()
    has_next = len(rows) > limit

    def link(at: int) -> str:
        query = {k: v for k, v in params.items() if v is not None}
        query.update({"_limit": limit, "_offset": at})
        return f"{url}?{urlencode(query)}"

    links = {
        "first": link(0),
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
        "next": link(offset + limit) if has_next else None,
    }
    return Page(items=list(rows[:limit]), links=links)


def count(session: Session, stmt: Select) -> int:
    return session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()


def starts_with(column, value: str):
    """Case-insensitive prefix match with LIKE wildcards in the value escaped."""
    check_text(column.key, value)
    # "/" as the escape character: a backslash means different things to MariaDB.
    escaped = value.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return func.lower(column).like(escaped.lower() + "%", escape="/")


MAX_RECORD_ID = 2_147_483_647
_DIGITS = re.compile(r"^[0-9]{1,10}$")
_POS_CODE = re.compile(r"^[0-9]{1,2}$")


def parse_id(field: str, value) -> int | None:
    """An integer record id, sent as a number or (as OpenEMR clients do) a string of
    digits; None stays None (it clears an optional reference)."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        raise ValidationFailed({field: [f"{field} must be an integer id"]})
    if not 1 <= number <= MAX_RECORD_ID:
        raise ValidationFailed({field: [f"{field} must be between 1 and {MAX_RECORD_ID}"]})
    return number


def parse_flag(field: str, value) -> bool:
    """OpenEMR's 0/1 flags: true, 1 and "1" are yes; false, 0 and "0" are no."""
    if value is True or value == 1 and not isinstance(value, str) or value == "1":
        return True
    if value is False or value == 0 and not isinstance(value, str) or value == "0":
        return False
    raise ValidationFailed({field: [f"{field} must be 0 or 1"]})


def parse_pos_code(field: str, value) -> str | None:
    """A place-of-service code: one or two digits, sent as a number or a string."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 99:
        return str(value)
    if isinstance(value, str) and _POS_CODE.fullmatch(value):
        return value
    raise ValidationFailed({field: [f"{field} must be a place-of-service code of 1-2 digits"]})
