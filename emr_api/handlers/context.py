"""What every API's handlers take from the request the server set up: the caller, the
request's one transaction, and the patient the audit row names."""

from __future__ import annotations

from contextlib import contextmanager

from emr_api import request_context
from emr_api.identity import Access


def access() -> Access:
    return request_context.current().caller()


@contextmanager
def reading():
    """The request's transaction, to read in."""
    info = request_context.current()
    if info.session is not None:
        yield info.session
        return
    with info.site.db.read() as session:
        yield session


@contextmanager
def writing():
    """The request's one write transaction: committed after the handler returns (before
    the answer is sent), rolled back on any error."""
    info = request_context.current()
    if info.session is not None and info.session_writes:
        yield info.session
        return
    with info.site.db.write() as session:
        yield session


def touched_patient(puuid: str | None) -> None:
    """Name the patient this request read or wrote, for the audit row."""
    if puuid:
        request_context.current().audit.patient_uuid = puuid
