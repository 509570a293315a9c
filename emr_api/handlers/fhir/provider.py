"""What a FHIR resource type is made of, declared once per type: its model, how each of its
search parameters matches (in FHIR's syntax, parsed here into the typed criteria of
`services/search.py`), its sort keys, whose record a row is, and how rows become resources.
The interactions (`interactions.py`) are written once against this.

A token parameter names, for a `system|code` value, the clause it means; the helpers below
cover the usual cases (a code stored as is, a code stored as a local value)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import MappingProxyType

from sqlalchemy import ColumnElement, false, or_

from emr_api.errors import ValidationFailed
from emr_api.services.search import (
    Moment,
    Prefix,
    StringMode,
    date_clause,
    missing_clause,
    string_clause,
)

# (system, code) -> the clause a token means; system None when the value named none,
# "" for `|code` (a code without a system).
TokenMatcher = Callable[[str | None, str], ColumnElement | None]
# The id of the resource referred to -> the clause.
ReferenceMatcher = Callable[[str], ColumnElement]


@dataclass(frozen=True)
class Param:
    """One search parameter: its FHIR type, and what it searches."""

    name: str
    type: str  # string, token, date, reference
    columns: tuple = ()  # string: any of them; date, token, reference: the first
    keys: Mapping = field(default_factory=lambda: MappingProxyType({}))  # string: folded keys
    token: TokenMatcher | None = None  # token: what a system|code means
    reference: ReferenceMatcher | None = None  # reference: rows referring to an id
    targets: tuple[str, ...] = ()  # reference: the types it may refer to
    element: str | None = None  # reference: the element holding it (default: the name)

    def referred_ids(self, resource: dict) -> list[tuple[str, str]]:
        """(type, id) of what this reference parameter points at in a resource; `element`
        is a dotted path through lists (`participant.individual`)."""
        nodes = [resource]
        for step in (self.element or self.name).split("."):
            nodes = [child for node in nodes for child in _as_list(node.get(step))]
        found = []
        for node in nodes:
            kind, _, id_ = (node.get("reference") or "").partition("/")
            if kind in self.targets and id_:
                found.append((kind, id_))
        return found

    def clause(self, modifier: str | None, value: str) -> ColumnElement:
        """The rows one comma-separated value of this parameter matches."""
        if modifier == "missing":
            if value not in ("true", "false"):
                raise _bad(self.name, ":missing takes true or false")
            return missing_clause(self.columns[0], value == "true")
        if self.type == "string":
            modes = {None: StringMode.START, "exact": StringMode.EXACT,
                     "contains": StringMode.CONTAINS}
            if modifier not in modes:
                raise _bad(self.name, f"a string parameter takes :exact, :contains or "
                                      f":missing, not :{modifier}")
            return string_clause(self.columns, value, modes[modifier], self.keys)
        if self.type == "reference":
            return self._reference(modifier, value)
        if modifier is not None:
            raise _bad(self.name, f"this parameter takes no :{modifier} modifier")
        if self.type == "date":
            return date_clause(self.columns[0], parse_date_value(self.name, value))
        if self.type == "token":
            system, bar, code = value.partition("|")
            matched = self.token(system if bar else None, code if bar else value)
            return false() if matched is None else matched
        raise _bad(self.name, f"{self.type} parameters are not searchable yet")

    def _reference(self, modifier: str | None, value: str) -> ColumnElement:
        """`id`, `Type/id` or an absolute URL ending in `Type/id`; `:Type` names the type
        (`subject:Patient=123`). A reference to another type matches nothing."""
        if modifier is not None and modifier not in self.targets:
            raise _bad(self.name, f"refers to {', '.join(self.targets)}, not {modifier}")
        parts = value.rstrip("/").split("/")
        kind, id_ = (parts[-2], parts[-1]) if len(parts) >= 2 else (modifier, parts[-1])
        if kind is not None and kind not in self.targets or not id_:
            return false()
        return self.reference(id_)


def _as_list(value) -> list[dict]:
    if value is None:
        return []
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, dict)]


def _bad(name: str, message: str) -> ValidationFailed:
    return ValidationFailed({name: [message]}, f"Invalid search parameter {name}: {message}")


def codes(column, system: str | None, values: Mapping[str, object] | None = None,
          fold: bool = False) -> TokenMatcher:
    """A token whose code is stored in `column`, through `values` (FHIR code -> stored
    value) when the two differ; with `system`, a value naming another system matches
    nothing. `fold`: codes compare case-insensitively (emails)."""

    def matcher(asked_system: str | None, code: str):
        if asked_system not in (None, system) and not (asked_system == "" and system is None):
            return None
        if not code:  # `system|`: any code of the system
            return column.is_not(None)
        if values is not None:
            stored = values.get(code)
            return None if stored is None else column == stored
        return column == (code.casefold() if fold else code)
    return matcher


def any_column(matchers) -> TokenMatcher:
    """A token matching when any of several tokens does (a phone in any of three columns)."""
    from sqlalchemy import or_

    def matcher(system, code):
        found = [c for m in matchers if (c := m(system, code)) is not None]
        return or_(*found) if found else None
    return matcher


_DATE = re.compile(
    r"(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2})"
    r"(T(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?")


def parse_date_value(name: str, text: str) -> Moment:
    """`[prefix]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]]` as the range its precision spans, in UTC
    (a time without a zone is taken as UTC)."""
    prefix = Prefix.EQ
    if text[:2].isalpha():
        try:
            prefix = Prefix(text[:2])
        except ValueError:
            raise _bad(name, f"unknown prefix {text[:2]!r}; use eq, ne, gt, lt, ge, le, "
                             "sa or eb") from None
        text = text[2:]
    m = _DATE.fullmatch(text)
    if not m:
        raise _bad(name, "a date is YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][zone]")
    parts = {k: int(v) for k, v in m.groupdict().items() if v and k != "zone"}
    try:
        low = datetime(parts["year"], parts.get("month", 1), parts.get("day", 1),
                       parts.get("hour", 0), parts.get("minute", 0), parts.get("second", 0))
    except ValueError:
        raise _bad(name, f"{text} is not a real date") from None
    if m.group("zone") and m.group("zone") != "Z":
        sign = 1 if m.group("zone")[0] == "+" else -1
        hours, minutes = map(int, m.group("zone")[1:].split(":"))
        low = low - sign * timedelta(hours=hours, minutes=minutes)
    if "second" in parts:
        high = low + timedelta(seconds=1)
    elif "minute" in parts:
        high = low + timedelta(minutes=1)
    elif "day" in parts:
        high = low + timedelta(days=1)
    elif "month" in parts:
        high = (low.replace(day=28) + timedelta(days=4)).replace(day=1)
    else:
        high = low.replace(year=low.year + 1) if low.year < 9999 else datetime.max
    return Moment(prefix, low.replace(tzinfo=None), high.replace(tzinfo=None))


def patient_id(resource: dict) -> str | None:
    """The id of the Patient a resource's `patient` or `subject` refers to."""
    for field_name in ("patient", "subject"):
        reference = (resource.get(field_name) or {}).get("reference", "")
        if reference.startswith("Patient/"):
            return reference.removeprefix("Patient/")
    return None


def instant(moment: datetime | None) -> str | None:
    """A stored UTC date-time as a FHIR instant."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc, microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Writer:
    """How FHIR writes reach a type's rows: through the Standard API's services, so both
    APIs hold a row to the same rules. Each takes the session and the caller; `create` a
    resource and answers the new row, `update` the row and the whole new resource, `delete`
    the row."""

    create: Callable | None = None
    update: Callable | None = None
    delete: Callable | None = None


@dataclass(frozen=True)
class Provider:
    """One FHIR resource type over one model."""

    type: str
    model: type
    params: Mapping[str, Param]  # the type's own, beside `_id` and `_lastUpdated`
    sort: Mapping[str, object]  # `_sort` name -> a NOT NULL column
    # The rows of one patient (a clause), for patient-context callers.
    owner: Callable[[str], ColumnElement]
    # Rows -> resources, in order; `lookups` are what the type's representation needs
    # from other tables, read once per page (`prepare`).
    represent: Callable[[object, list], list[dict]]
    # The patient a resource is about (its id), for the audit row.
    patient_of: Callable[[dict], str | None] = lambda resource: patient_id(resource)
    # What every row of this type is (one `type` of OpenEMR's `lists`, ...).
    base: tuple = ()
    id_column_name: str = "uuid"
    # The row's change time (`meta.lastUpdated`, `_lastUpdated`); None when it keeps none.
    updated_column_name: str | None = "last_updated"
    # The rows a public id names, when that is not `id_column == id`: a type whose model
    # fans one stored row out into several resources (Observation: `<uuid>-bp`) answers a
    # clause the database can look up by the stored row's own indexed uuid.
    id_clause: Callable[[str], ColumnElement] | None = None
    # A type that takes writes; its resources are versioned (db/versions.py names its rows).
    writer: Writer | None = None

    @property
    def id_column(self):
        return getattr(self.model, self.id_column_name)

    @property
    def updated_column(self):
        return getattr(self.model, self.updated_column_name) if self.updated_column_name \
            else None

    def match_ids(self, ids) -> ColumnElement:
        """The rows with any of these public ids."""
        ids = sorted(ids)
        if self.id_clause is None:
            return self.id_column == ids[0] if len(ids) == 1 else self.id_column.in_(ids)
        return or_(*(self.id_clause(id_) for id_ in ids)) if ids else false()

    def param(self, name: str) -> Param | None:
        if name == "_id":
            if self.id_clause is not None:
                by_id = self.id_clause
                return Param("_id", "token", (self.id_column,),
                             token=lambda system, code: by_id(code)
                             if system in (None, "") and code else None)
            return Param("_id", "token", (self.id_column,),
                         token=codes(self.id_column, None))
        if name == "_lastUpdated" and self.updated_column is not None:
            return Param("_lastUpdated", "date", (self.updated_column,))
        return self.params.get(name)
