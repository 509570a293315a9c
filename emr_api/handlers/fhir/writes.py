"""The FHIR writes and version reads, written once for every type whose Provider has a
Writer: create (with `If-None-Exist`), update (with `If-Match`), delete, vread, and the
history of a resource and of a type.

Versions: db/versions.py numbers every change of a versioned row, whichever API made it;
the writes here keep the JSON of the versions they make, so vread and `_history` can
answer them. A version written through the Standard API keeps no JSON: while it is current
it is read from the row; once replaced it is listed in no history and vread answers 404.
A write locks its row before it compares versions, so of two writes expecting one version
the second gets 412, never a lost update."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from sqlalchemy import select

from emr_api import request_context
from emr_api.db.models import ResourceVersion
from emr_api.errors import NotFound, PreconditionFailed, ValidationFailed
from emr_api.handlers.context import access, reading, touched_patient, writing
from emr_api.handlers.fhir import answer, base_url, negotiate
from emr_api.handlers.fhir.interactions import (
    _count,
    _criteria,
    _narrowed,
    etag,
    gone_or_missing,
    represent,
)
from emr_api.handlers.fhir.provider import Provider, instant, parse_date_value
from emr_api.services import search as engine
from emr_api.services import versions


def _headers() -> dict:
    return request_context.current().headers


def _resource_body(provider: Provider, body) -> dict:
    if not isinstance(body, dict):
        raise ValidationFailed({"body": ["the body is a FHIR resource in JSON"]})
    kind = body.get("resourceType")
    if kind != provider.type:
        raise ValidationFailed({"resourceType": [f"this endpoint takes {provider.type}, "
                                                 f"not {kind!r}"]})
    return body


def _minimal() -> bool:
    return "return=minimal" in (_headers().get("prefer") or "").replace(" ", "")


def _expected_version(current: int) -> None:
    """Refuse the write when If-Match names another version (W/"3", "3" or 3)."""
    wanted = _headers().get("if-match")
    if not wanted:
        return
    text = wanted.strip().removeprefix("W/").strip('"')
    if text != str(current):
        raise PreconditionFailed(f"The resource is at version {current}, not {text}",
                                 fields={"If-Match": [f"current version is {current}"]})


def _written(provider: Provider, resource: dict, status: int):
    url = f"{base_url()}/{provider.type}/{resource['id']}"
    version = resource["meta"]["versionId"]
    headers = {**etag(resource), "Location": f"{url}/_history/{version}"}
    if resource["meta"].get("lastUpdated"):
        headers["Last-Modified"] = _http_date(resource["meta"]["lastUpdated"])
    if _minimal():
        return None, status, headers
    return answer(resource, status, headers)


def _http_date(instant_text: str) -> str:
    moment = datetime.fromisoformat(instant_text.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")


def _keep(session, provider: Provider, resource: dict, method: str) -> None:
    versions.keep(session, provider.type, resource["id"], int(resource["meta"]["versionId"]),
                  method, json.dumps(resource, separators=(",", ":")))


def _existing(session, provider: Provider, caller, condition: str):
    """The resources a conditional create's search matches (at most two are read), the
    criteria locked first so a concurrent create of the same waits for this one."""
    query = condition.strip()
    query = query.partition("?")[2] if "?" in query else query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        raise ValidationFailed({"If-None-Exist": ["a search such as identifier=123"]})
    criteria, _, _ = _criteria(provider, pairs, strict=True)
    versions.lock_criteria(session, provider.type, "&".join(sorted(f"{k}={v}" for k, v in pairs)))
    return engine.run(session, engine.Query(
        model=provider.model, where=[*criteria, *_narrowed(provider, caller)],
        order=[engine.SortKey(provider.id_column)], limit=2, count=False)).rows


def create(provider: Provider, body):
    negotiate()
    resource = _resource_body(provider, body)
    condition = _headers().get("if-none-exist")
    with writing() as session:
        caller = access()
        if condition:
            found = _existing(session, provider, caller, condition)
            if len(found) > 1:
                raise PreconditionFailed("More than one resource matches If-None-Exist",
                                         fields={"If-None-Exist": ["matches several"]})
            if found:
                made = represent(session, provider, found)[0]
                touched_patient(provider.patient_of(made))
                return _written(provider, made, 200)
        row = provider.writer.create(session, caller, resource)
        session.flush()
        made = represent(session, provider, [row])[0]
        _keep(session, provider, made, "create")
        touched_patient(provider.patient_of(made))
    return _written(provider, made, 201)


def update(provider: Provider, id: str, body):
    negotiate()
    resource = _resource_body(provider, body)
    if resource.get("id") != id:
        raise ValidationFailed({"id": [f"the body's id must be {id}, the one in the URL"]},
                               "The resource's id differs from the URL's")
    with writing() as session:
        caller = access()
        row = engine.first(session, provider.model,
                           [provider.match_ids([id]), *_narrowed(provider, caller)], locked=True)
        if row is None:
            raise gone_or_missing(session, provider, id)
        before = versions.current(session, provider.type, [id]).get(id, 1)
        _expected_version(before)
        provider.writer.update(session, caller, row, resource)
        session.flush()
        made = represent(session, provider, [row])[0]
        if int(made["meta"]["versionId"]) != before:  # a change (an identical body makes none)
            _keep(session, provider, made, "update")
        touched_patient(provider.patient_of(made))
    return _written(provider, made, 200)


def delete(provider: Provider, id: str):
    negotiate()
    with writing() as session:
        caller = access()
        row = engine.first(session, provider.model,
                           [provider.match_ids([id]), *_narrowed(provider, caller)], locked=True)
        if row is None:
            missing = gone_or_missing(session, provider, id)
            if missing.status == 410:
                return None, 204, {}  # deleting what is deleted changes nothing
            raise missing
        _expected_version(versions.current(session, provider.type, [id]).get(id, 1))
        touched_patient(provider.patient_of(represent(session, provider, [row])[0]))
        provider.writer.delete(session, caller, row)
        session.flush()
    return None, 204, {}


def _visible(provider: Provider, caller, resource: dict) -> bool:
    return not caller.patient_uuid or provider.patient_of(resource) == caller.patient_uuid


def vread(provider: Provider, id: str, vid: str):
    negotiate()
    wanted = int(vid)
    with reading() as session:
        caller = access()
        row = engine.first(session, provider.model,
                           [provider.match_ids([id]), *_narrowed(provider, caller)])
        if row is not None:
            live = represent(session, provider, [row])[0]
            if live["meta"]["versionId"] == str(wanted):
                touched_patient(provider.patient_of(live))
                return answer(live, headers=etag(live))
        kept = versions.one(session, provider.type, id, wanted)
        if kept is None or (kept.method == "delete" and not _kept_owner(session, provider,
                                                                          caller, id)):
            raise NotFound(f"{provider.type} {id} has no version {wanted}",
                           fields={"vid": ["not found"]})
        if kept.method == "delete":
            raise gone_or_missing(session, provider, id)
        if kept.resource is None:
            raise NotFound(f"Version {wanted} of {provider.type} {id} was written through the "
                           "Standard API; its content is not kept",
                           fields={"vid": ["content not kept"]})
        resource = json.loads(kept.resource)
        if not _visible(provider, caller, resource):
            raise NotFound(f"{provider.type} {id} has no version {wanted}",
                           fields={"vid": ["not found"]})
        touched_patient(provider.patient_of(resource))
    return answer(resource, headers=etag(resource))


def _kept_owner(session, provider: Provider, caller, id: str) -> bool:
    """Whether the caller may learn of a deleted resource: staff may; a patient when one of
    its kept versions was theirs."""
    if not caller.patient_uuid:
        return True
    return any(v.resource and _visible(provider, caller, json.loads(v.resource))
               for v in versions.history(session, provider.type, id_=id, limit=200))


def history_instance(provider: Provider, id: str):
    return _history(provider, id)


def history_type(provider: Provider):
    return _history(provider, None)


def _history(provider: Provider, id: str | None):
    """A history Bundle, newest first: the versions whose JSON is kept, the current one
    read from its row, deletes as entries without a resource. Pages by `_page`."""
    negotiate()
    pairs = list(request_context.current().query_items)
    count = _count(pairs)
    since = _since(pairs)
    before = _before(pairs)
    with reading() as session:
        caller = access()
        within = None
        if caller.patient_uuid:  # only the resources of their own patient that still exist
            within = versions_owned(provider, caller)
        live_rows = []
        if id is not None:
            live_rows = engine.run(session, engine.Query(
                model=provider.model,
                where=[provider.match_ids([id]), *_narrowed(provider, caller)],
                order=[engine.SortKey(provider.id_column)], limit=1, count=False)).rows
            if not live_rows and (caller.patient_uuid or not versions.latest(
                    session, provider.type, id)):
                raise NotFound(f"No {provider.type} with id {id}", fields={"id": ["not found"]})
        kept = versions.history(session, provider.type, id_=id, within=within, since=since,
                                before_id=before, limit=count + 1)
        more = len(kept) > count
        kept = kept[:count]
        live = {r["id"]: r for r in represent(session, provider, live_rows)}
        if id is None:
            current_ids = [v.resource_id for v in kept if v.resource is None
                           and v.method != "delete"]
            if current_ids:
                rows = engine.run(session, engine.Query(
                    model=provider.model, where=[provider.match_ids(set(current_ids)),
                                                 *_narrowed(provider, caller)],
                    order=[engine.SortKey(provider.id_column)], limit=len(current_ids),
                    count=False)).rows
                live.update({r["id"]: r for r in represent(session, provider, rows)})
        entries = _entries(provider, kept, live, id, before is None)
        # The audit row names the patient: the caller's own, or the one resource's.
        one = live.get(id) if id is not None else None
        touched_patient(caller.patient_uuid or (provider.patient_of(one) if one else None))
    url = f"{base_url()}/{provider.type}" + (f"/{id}" if id else "") + "/_history"
    bundle = {"resourceType": "Bundle", "type": "history",
              "link": [{"relation": "self", "url": url}]}
    if more and kept:
        bundle["link"].append({"relation": "next",
                               "url": f"{url}?_count={count}&_page={kept[-1].id}"
                                      + (f"&_since={_last(pairs, '_since')}" if since else "")})
    if entries:
        bundle["entry"] = entries
    return answer(bundle)


def versions_owned(provider: Provider, caller):
    """The versions of the resources a patient-context caller may see (that still exist)."""
    return ResourceVersion.resource_id.in_(
        select(provider.id_column).where(*_narrowed(provider, caller)))


def _entries(provider: Provider, kept, live: dict, id: str | None, first_page: bool) -> list:
    """History entries: each kept version; a version without JSON only when it is the
    current one (read from the row); the current version of a resource whose versions
    are all unkept (made by a bulk load or the Standard API) heads its own history."""
    entries, shown = [], set()
    base = f"{base_url()}/{provider.type}"
    if id is not None and first_page and id in live and not any(
            v.version == int(live[id]["meta"]["versionId"]) for v in kept):
        entries.append(_entry(base, live[id], "PUT", live[id]["meta"]["versionId"]))
    for version in kept:
        resource = None
        if version.method == "delete":
            entries.append({"fullUrl": f"{base}/{version.resource_id}",
                            "request": {"method": "DELETE",
                                        "url": f"{provider.type}/{version.resource_id}"},
                            "response": {"status": "204", "etag": f'W/"{version.version}"',
                                         "lastModified": instant(version.recorded)}})
            continue
        current = live.get(version.resource_id)
        if current is not None and current["meta"]["versionId"] == str(version.version):
            resource = current
        elif version.resource is not None:
            resource = json.loads(version.resource)
        if resource is None or (version.resource_id, version.version) in shown:
            continue
        shown.add((version.resource_id, version.version))
        method = "POST" if version.method == "create" else "PUT"
        entries.append(_entry(base, resource, method, str(version.version), version.recorded))
    return entries


def _entry(base: str, resource: dict, method: str, version: str, recorded=None) -> dict:
    """One history entry; `lastModified` is the resource's own change time, else when the
    version was recorded (a type whose rows keep no change time)."""
    url = f"{resource['resourceType']}/{resource['id']}"
    response = {"status": "201" if method == "POST" else "200", "etag": f'W/"{version}"'}
    modified = resource["meta"].get("lastUpdated") or instant(recorded)
    if modified:
        response["lastModified"] = modified
    return {"fullUrl": f"{base}/{resource['id']}", "resource": resource,
            "request": {"method": method, "url": url if method == "PUT"
                        else resource["resourceType"]},
            "response": response}


def _last(pairs, name: str) -> str | None:
    values = [v for k, v in pairs if k == name]
    return values[-1] if values else None


def _since(pairs):
    text = _last(pairs, "_since")
    if not text:
        return None
    return parse_date_value("_since", text).low


def _before(pairs) -> int | None:
    text = _last(pairs, "_page")
    if not text:
        return None
    if not text.isdigit():
        raise ValidationFailed({"_page": ["not a page of this history: follow its links"]})
    return int(text)


def bind_writes(provider: Provider):
    """create, update, delete, vread, history_instance, history_type of one type, as its
    module exposes them to the YAML's operation ids."""

    def create_one(body=None):
        return create(provider, body)

    def update_one(id, body=None):
        return update(provider, id, body)

    def delete_one(id):
        return delete(provider, id)

    def vread_one(id, vid):
        return vread(provider, id, vid)

    def history_of_one(id):
        return history_instance(provider, id)

    def history_of_type():
        return history_type(provider)

    return create_one, update_one, delete_one, vread_one, history_of_one, history_of_type
