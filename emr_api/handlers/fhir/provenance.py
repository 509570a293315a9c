"""FHIR Provenance (US Core 6.1 Provenance): read, and search by `target` or `_id`, for
every resource this server serves (handlers/fhir/provenance_of.py says what one holds).
The caller sees the Provenance of what it may see itself: the target's type needs the
token's scope and the role's ACL, and a patient sees only their own records'. Every type's
search also takes `_revinclude=Provenance:target` (interactions.py)."""

from __future__ import annotations

from emr_api import request_context
from emr_api.errors import NotFound, ValidationFailed
from emr_api.handlers.context import access, reading, touched_patient
from emr_api.handlers.fhir import answer, base_url, negotiate, provenance_of, registry
from emr_api.handlers.fhir.interactions import _ignored_issues, _narrowed, _split, represent
from emr_api.services import search as engine

PARAMETERS = {"target", "_id", "_format", "_count"}


def _targets(session, caller, wanted: list[tuple[str, str]]) -> list[dict]:
    """The resources named, as the caller may see them (others are left out)."""
    by_type: dict[str, set[str]] = {}
    for type_, id_ in wanted:
        by_type.setdefault(type_, set()).add(id_)
    found = []
    for type_, ids in by_type.items():
        provider = registry.provider(type_)
        if provider is None or not registry.may_search(caller, type_):
            continue
        rows = engine.run(session, engine.Query(
            model=provider.model, where=[provider.match_ids(ids), *_narrowed(provider, caller)],
            order=[engine.SortKey(provider.id_column)], limit=len(ids), count=False)).rows
        found += represent(session, provider, rows)
    return found


def read(id):
    negotiate()
    target = provenance_of.target_of(id)
    with reading() as session:
        caller = access()
        found = _targets(session, caller, [target]) if target else []
        if not found:
            raise NotFound(f"No Provenance with id {id}", fields={"id": ["not found"]})
        provenance = provenance_of.of(found, provenance_of.author(session))[0]
        touched_patient(caller.patient_uuid)
    return answer(provenance)


def _reference(value: str) -> tuple[str, str] | None:
    parts = value.rstrip("/").split("/")
    return (parts[-2], parts[-1]) if len(parts) >= 2 and parts[-1] else None


def search():
    negotiate()
    info = request_context.current()
    pairs = list(info.query_items)
    strict = "handling=strict" in (info.headers.get("prefer") or "").replace(" ", "")
    ignored = [name for name, _ in pairs if name.partition(":")[0] not in PARAMETERS]
    if ignored and strict:
        raise ValidationFailed({ignored[0]: ["Provenance is searched by target or _id"]},
                               f"Unknown search parameter {ignored[0]}")
    wanted = [ref for name, value in pairs if name == "target"
              for ref in map(_reference, _split(value)) if ref]
    wanted += [t for name, value in pairs if name == "_id"
               for t in map(provenance_of.target_of, _split(value)) if t]
    if not any(name in ("target", "_id") for name, _ in pairs):
        raise ValidationFailed({"target": ["Provenance is searched by target (Type/id) or "
                                           "_id, or with _revinclude=Provenance:target"]},
                               "Provenance needs a target or an _id")
    with reading() as session:
        caller = access()
        found = provenance_of.of(_targets(session, caller, wanted),
                                 provenance_of.author(session))
        touched_patient(caller.patient_uuid)
    url = f"{base_url()}/Provenance"
    entries = [{"fullUrl": f"{url}/{p['id']}", "resource": p, "search": {"mode": "match"}}
               for p in found]
    if ignored:
        entries.append({"resource": {"resourceType": "OperationOutcome",
                                     "issue": _ignored_issues(ignored)},
                        "search": {"mode": "outcome"}})
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(found),
              "link": [{"relation": "self", "url": url}]}
    if entries:
        bundle["entry"] = entries
    return answer(bundle)
