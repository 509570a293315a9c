"""Value rules every resource shares: real dates, record ids, OpenEMR's 0/1 flags,
place-of-service codes, and text every database stores alike. Each raises
ValidationFailed naming the field."""

from __future__ import annotations

import re
from datetime import date, datetime

from emr_api.errors import ValidationFailed

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$")
MAX_RECORD_ID = 2_147_483_647
_DIGITS = re.compile(r"^[0-9]{1,10}$")
_POS_CODE = re.compile(r"^[0-9]{1,2}$")


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


def check_text(field: str, value):
    """Text every database stores alike: PostgreSQL cannot hold U+0000, so none does; and
    no database encoding holds a lone surrogate, which a JSON string may carry (`\\ud800`)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationFailed({field: [f"{field} must not contain NUL (U+0000) characters"]})
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationFailed({field: [f"{field} must not contain lone surrogates"]}) from None
    return value


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
