"""One Authlib call: the site it serves, its one database transaction, and what it learns
on the way (the refresh family it continues, the client that authenticated or was
registered, for the audit row). Authlib's hooks take no context argument, so the call is
held in a contextvar for their duration."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from sqlalchemy.orm import Session

from emr_api.sites import Site


@dataclass
class Call:
    site: Site
    session: Session
    family_id: str | None = None  # the refresh-token family new tokens join
    client_id: str | None = None  # the client authenticated, or registered, by this call


_current: contextvars.ContextVar[Call] = contextvars.ContextVar("oauth2_call")


def current() -> Call:
    return _current.get()


def run(site: Site, session: Session, fn, request) -> tuple[object, Call]:
    """Run `fn(request)` as one call of this site in this transaction; returns its result
    and the call (what it learned)."""
    call = Call(site, session)
    token = _current.set(call)
    try:
        return fn(request), call
    finally:
        _current.reset(token)
