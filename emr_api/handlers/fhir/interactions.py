"""The FHIR interactions, written once and bound to each type's Provider: read, and search
by GET or by POST `_search` (parameters in the query, the form body, or both).

Search semantics (FHIR R4 §3.1.1): a comma between values is OR, a repeated parameter is
AND; modifiers `:exact`, `:contains`, `:missing`. A parameter this type does not know is
ignored under `Prefer: handling=lenient` (the default) — left out of the `self` link and
named in an OperationOutcome entry — and a 400 under `Prefer: handling=strict`.

Paging is by keyset (`services/search.py`): `_page` in the `next` and `previous` links is an
opaque cursor holding the sort key where the page starts and the total counted on the
first page. `_count` defaults to 50; more than 200 is taken as 200, never refused."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from urllib.parse import urlencode

from sqlalchemy import Date, DateTime

from emr_api import request_context
from emr_api.errors import ApiError, Gone, NotFound, ValidationFailed
from emr_api.handlers.context import access, reading, touched_patient
from emr_api.handlers.fhir import answer, base_url, negotiate, provenance_of, registry
from emr_api.handlers.fhir.provider import Provider
from emr_api.services import search as engine
from emr_api.services import versions
from emr_api.services.values import check_text

DEFAULT_COUNT = 50
MAX_COUNT = 200
# Parameters about the result, not the match.
RESULT_PARAMETERS = {"_count", "_sort", "_summary", "_elements", "_total", "_page", "_format",
                     "_include", "_revinclude"}
# Resources a page may add by `_revinclude`; past it the Bundle says it stopped (never a
# silent cut).
MAX_REVINCLUDED = 1000
SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
             "code": "SUBSETTED", "display": "Resource encoded in summary mode"}


def _narrowed(provider: Provider, caller) -> list:
    """The rows of this type, and for a patient-context caller its own patient's only."""
    own = [provider.owner(caller.patient_uuid)] if caller and caller.patient_uuid else []
    return [*provider.base, *own]


def represent(session, provider: Provider, rows) -> list[dict]:
    """Rows as resources; a versioned type's carry their current version."""
    resources = provider.represent(session, rows)
    if provider.writer is not None and resources:
        current = versions.current(session, provider.type, [r["id"] for r in resources])
        for resource in resources:
            resource["meta"]["versionId"] = str(current.get(resource["id"], 1))
    return resources


def etag(resource: dict) -> dict:
    """The headers naming a resource's version."""
    return {"ETag": f'W/"{resource["meta"]["versionId"]}"'}


def read(provider: Provider, id: str):
    negotiate()
    elements = _elements(request_context.current().query_items)
    with reading() as session:
        caller = access()
        found = engine.first(session, provider.model,
                             [provider.match_ids([id]), *_narrowed(provider, caller)])
        if found is None:
            raise gone_or_missing(session, provider, id)
        resource = represent(session, provider, [found])[0]
        touched_patient(provider.patient_of(resource))
    return answer(_subset(resource, elements),
                  headers=etag(resource) if provider.writer is not None else None)


def gone_or_missing(session, provider: Provider, id: str) -> ApiError:
    """410 for a versioned resource that was deleted, else 404."""
    if provider.writer is not None:
        last = versions.latest(session, provider.type, id)
        if last is not None and last.method == "delete":
            return Gone(f"{provider.type} {id} was deleted")
    return NotFound(f"No {provider.type} with id {id}", fields={"id": ["not found"]})


def search(provider: Provider, form: dict | None = None):
    negotiate()
    info = request_context.current()
    pairs = list(info.query_items) + [(k, str(v)) for k, vs in (form or {}).items()
                                      for v in (vs if isinstance(vs, list) else [vs])]
    for name, value in pairs:  # no database stores U+0000 or a lone surrogate alike
        check_text("search parameter name", name)
        check_text(name, value)
    strict = "handling=strict" in (info.headers.get("prefer") or "").replace(" ", "")
    criteria, used, ignored = _criteria(provider, pairs, strict)
    includes = _includes(provider, pairs, strict, ignored)
    revincludes = _revincludes(provider, pairs, strict, ignored)
    count = _count(pairs)
    order = _order(provider, _last(pairs, "_sort"))
    cursor = _cursor(_last(pairs, "_page"), order)
    summary_count = _last(pairs, "_summary") == "count"
    with reading() as session:
        caller = access()
        query = engine.Query(
            model=provider.model, where=criteria + _narrowed(provider, caller),
            order=order, limit=0 if summary_count else count,
            after=cursor.get("after"), before=cursor.get("before"),
            count=cursor.get("total") is None and _last(pairs, "_total") != "none")
        found = engine.run(session, query)
        resources = represent(session, provider, found.rows)
        included, notes = _included(session, caller, resources, includes, revincludes)
        touched_patient(caller.patient_uuid)  # a staff search names no one patient
    total = found.total if found.total is not None else cursor.get("total")
    elements = _elements(pairs)
    bundle = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        bundle["total"] = total
    kept = [(k, v) for k, v in used if k not in ("_page", "_count")]
    url = f"{base_url()}/{provider.type}"
    links = [{"relation": "self", "url": _link(url, kept, count, _last(pairs, "_page"))}]
    if found.rows and found.more_after:
        key = found.key(found.rows[-1], order)
        links.append({"relation": "next",
                      "url": _link(url, kept, count, _encode("after", key, order, total))})
    if found.rows and found.more_before:
        key = found.key(found.rows[0], order)
        links.append({"relation": "previous",
                      "url": _link(url, kept, count, _encode("before", key, order, total))})
    bundle["link"] = links
    entries = [{"fullUrl": f"{url}/{r['id']}", "resource": _subset(r, elements),
                "search": {"mode": "match"}} for r in resources]
    entries += [{"fullUrl": f"{base_url()}/{r['resourceType']}/{r['id']}", "resource": r,
                 "search": {"mode": "include"}} for r in included]
    issues = [*_ignored_issues(ignored), *notes]
    if issues:
        entries.append({"resource": {"resourceType": "OperationOutcome", "issue": issues},
                        "search": {"mode": "outcome"}})
    if entries:
        bundle["entry"] = entries
    return answer(bundle)


def _last(pairs, name: str) -> str | None:
    values = [v for k, v in pairs if k == name]
    return values[-1] if values else None


def _criteria(provider: Provider, pairs, strict: bool):
    """(WHERE clauses, the pairs used, the names ignored)."""
    clauses, used, ignored = [], [], []
    for raw_name, value in pairs:
        if raw_name in RESULT_PARAMETERS:
            used.append((raw_name, value))
            continue
        name, _, modifier = raw_name.partition(":")
        param = provider.param(name)
        if param is None:
            if strict:
                raise ValidationFailed({raw_name: [f"{provider.type} has no search parameter "
                                                   f"{name!r}"]},
                                       f"Unknown search parameter {raw_name}")
            ignored.append(raw_name)
            continue
        if value == "":
            continue  # a parameter without a value is as if it were not sent (FHIR §3.1.1)
        alternatives = [param.clause(modifier or None, v) for v in _split(value)]
        clauses.append(engine.any_of(alternatives))
        used.append((raw_name, value))
    return clauses, used, ignored


def _split(value: str) -> list[str]:
    """Comma-separated values; `\\,` is a comma inside a value."""
    parts, current, escaped = [], "", False
    for char in value:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p != ""]


def _count(pairs) -> int:
    text = _last(pairs, "_count")
    if text is None or text == "":
        return DEFAULT_COUNT
    try:
        count = int(text)
    except ValueError:
        raise ValidationFailed({"_count": ["_count is a whole number"]}) from None
    if count < 0:
        raise ValidationFailed({"_count": ["_count cannot be negative"]})
    return min(count, MAX_COUNT)


def _order(provider: Provider, sort: str | None) -> list[engine.SortKey]:
    keys = []
    for part in (sort or "").split(","):
        name = part.strip().lstrip("-")
        if not name:
            continue
        column = provider.id_column if name == "_id" else \
            provider.updated_column if name == "_lastUpdated" else provider.sort.get(name)
        if column is None:
            shared = ["_id"] + (["_lastUpdated"] if provider.updated_column is not None else [])
            allowed = ", ".join([*shared, *provider.sort])
            raise ValidationFailed({"_sort": [f"cannot sort {provider.type} by {name!r}; "
                                              f"allowed: {allowed}"]})
        keys.append(engine.SortKey(column, descending=part.strip().startswith("-")))
    mapper = provider.model.__mapper__
    primary = getattr(provider.model, mapper.get_property_by_column(mapper.primary_key[0]).key)
    return keys + [engine.SortKey(primary)]


def _encode(direction: str, key: tuple, order, total) -> str:
    values = [v.isoformat() if isinstance(v, (date, datetime)) else v for v in key]
    raw = json.dumps({direction: values, "total": total}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor(text: str | None, order: list[engine.SortKey]) -> dict:
    if not text:
        return {}
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        direction = "after" if "after" in raw else "before"
        values = raw[direction]
        if len(values) != len(order):
            raise ValueError("key length")
        key = tuple(_typed(k.column, v) for k, v in zip(order, values))
        total = raw.get("total")
        if total is not None and not isinstance(total, int):
            raise ValueError("total")
        return {direction: key, "total": total}
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ValidationFailed({"_page": ["not a page of this search: follow the links "
                                          "of the Bundle"]}) from None


def _typed(column, value):
    if value is None:
        raise ValueError("null key")
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    python_type = column.type.python_type
    if not isinstance(value, python_type):
        raise ValueError("key type")
    return value


def _link(url: str, kept, count: int, page: str | None) -> str:
    params = [*kept, ("_count", str(count))] + ([("_page", page)] if page else [])
    return f"{url}?{urlencode(params)}"


def _elements(pairs) -> set[str] | None:
    text = _last(pairs, "_elements")
    if not text:
        return None
    return {e.strip() for e in text.split(",") if e.strip()}


def _subset(resource: dict, elements: set[str] | None) -> dict:
    """Only the elements asked for (and what every resource keeps), tagged SUBSETTED."""
    if elements is None:
        return resource
    kept = {k: v for k, v in resource.items()
            if k in elements or k in ("resourceType", "id", "meta")}
    meta = dict(kept.get("meta", {}))
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    kept["meta"] = meta
    return kept


def _ignored_issues(names: list[str]) -> list[dict]:
    return [{"severity": "warning", "code": "not-supported",
             "diagnostics": f"{name} is not supported here and was ignored",
             "expression": [name.partition("=")[0]]} for name in dict.fromkeys(names)]


def _values(pairs, name: str) -> list[str]:
    return [v for k, v in pairs if k == name for v in _split(v)]


def _unsupported(name: str, value: str, strict: bool, ignored: list, why: str) -> None:
    if strict:
        raise ValidationFailed({name: [f"{value}: {why}"]}, f"Unsupported {name}={value}")
    ignored.append(f"{name}={value}")


def _includes(provider: Provider, pairs, strict: bool, ignored: list) -> list:
    """The reference parameters of this type named by `_include=Type:param[:Target]`."""
    found = []
    for value in _values(pairs, "_include"):
        type_, _, rest = value.partition(":")
        name, _, target = rest.partition(":")
        param = provider.param(name) if type_ == provider.type else None
        if param is None or param.type != "reference" or (target and target not in param.targets):
            _unsupported("_include", value, strict, ignored,
                         f"not a reference of {provider.type} this server follows")
            continue
        found.append((param, (target,) if target else param.targets))
    return found


def _revincludes(provider: Provider, pairs, strict: bool, ignored: list) -> list:
    """(other type, its reference parameter) named by `_revinclude=Other:param`, where the
    parameter can refer to this type."""
    found = []
    for value in _values(pairs, "_revinclude"):
        type_, _, rest = value.partition(":")
        name, _, target = rest.partition(":")
        if (type_, name) == ("Provenance", "target") and target in ("", provider.type):
            found.append((None, None))  # every type's: derived from the matches themselves
            continue
        other = registry.provider(type_)
        param = other.param(name) if other else None
        if param is None or param.type != "reference" or provider.type not in param.targets \
                or target not in ("", provider.type):
            _unsupported("_revinclude", value, strict, ignored,
                         f"not a reference to {provider.type} this server follows")
            continue
        found.append((other, param))
    return found


def _included(session, caller, resources: list[dict], includes, revincludes):
    """The resources `_include` and `_revinclude` add, each once, as the caller may see
    them (a type the token holds no scope for is left out, and the Bundle says so)."""
    added: dict[tuple[str, str], dict] = {}
    notes = []
    for param, targets in includes:
        wanted: dict[str, set[str]] = {}
        for resource in resources:
            for kind, id_ in param.referred_ids(resource):
                if kind in targets:
                    wanted.setdefault(kind, set()).add(id_)
        for kind, ids in wanted.items():
            if not registry.may_search(caller, kind):
                notes.append(_not_included(kind))
                continue
            target = registry.provider(kind)
            rows = engine.run(session, engine.Query(
                model=target.model, where=[target.match_ids(ids),
                                           *_narrowed(target, caller)],
                order=_order(target, None), limit=len(ids), count=False)).rows
            for found in represent(session, target, rows):
                added[(kind, found["id"])] = found
    matched = [r["id"] for r in resources]
    for other, param in revincludes:
        if not matched:
            break
        if other is None:  # Provenance:target
            if not provenance_of.may_see(caller):
                notes.append(_not_included("Provenance"))
                continue
            for found in provenance_of.of(resources, provenance_of.author(session)):
                added[("Provenance", found["id"])] = found
            continue
        if not registry.may_search(caller, other.type):
            notes.append(_not_included(other.type))
            continue
        result = engine.run(session, engine.Query(
            model=other.model,
            where=[engine.any_of(param.reference(id_) for id_ in matched),
                   *_narrowed(other, caller)],
            order=_order(other, None), limit=MAX_REVINCLUDED, count=False))
        for found in represent(session, other, result.rows):
            added[(other.type, found["id"])] = found
        if result.more_after:
            notes.append({"severity": "warning", "code": "too-costly",
                          "diagnostics": f"Only the first {MAX_REVINCLUDED} {other.type} "
                                         f"resources were included; ask for fewer matches "
                                         f"per page (_count) to get all of them"})
    return list(added.values()), notes


def _not_included(type_: str) -> dict:
    return {"severity": "information", "code": "suppressed",
            "diagnostics": f"{type_} resources were not included: the token does not "
                           f"allow searching them"}


def bind(provider: Provider):
    """The operations of one type, as its module exposes them to the YAML's operation ids.
    They take no query arguments: the search reads the raw query itself (repeats, modifiers
    and unknown names included), so Connexion passes none."""

    def read_one(id):
        return read(provider, id)

    def search_get():
        return search(provider)

    def search_post(body=None):
        return search(provider, body or {})

    return read_one, search_get, search_get, search_post
