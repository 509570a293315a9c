"""Per-request facts, set once at the site edge and by the security layer.

A contextvar holds one mutable RequestInfo per request; handlers and services read the
site and the caller from it (they never parse the URL). Sync handlers run in a thread
pool that copies the context, so they see the same object."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emr_api.server.sites import Site


@dataclass(frozen=True)
class Caller:
    role: str  # "users", "patient" or "system"
    client_id: str
    scopes: frozenset[str]
    jti: str
    user_uuid: str | None = None
    acl_group: str | None = None
    # For patient-context tokens: the one patient this caller may see.
    patient_uuid: str | None = None


@dataclass
class RequestInfo:
    site: "Site"
    request_id: str
    api: str
    caller: Caller | None = None
    patient_uuid: str | None = None  # the patient a request touched, for the audit log
    extra: dict = field(default_factory=dict)


_current: contextvars.ContextVar[RequestInfo] = contextvars.ContextVar("emr_request")


def begin(info: RequestInfo) -> contextvars.Token:
    return _current.set(info)


def end(token: contextvars.Token) -> None:
    _current.reset(token)


def request_info() -> RequestInfo:
    return _current.get()


def site() -> "Site":
    return _current.get().site


def caller() -> Caller | None:
    return _current.get().caller


def touched_patient(uuid: str | None) -> None:
    """Record the patient a request read or wrote, for the audit row."""
    info = _current.get(None)
    if info is not None and uuid:
        info.patient_uuid = uuid
