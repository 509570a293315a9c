"""The Standard API's wire format: OpenEMR's envelope, paging links, and the request's
site and caller (from the request context the server set)."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

from emr_api import request_context
from emr_api.handlers.context import access, reading, touched_patient, writing
from emr_api.services.resources import Page

__all__ = ["access", "reading", "writing", "touched_patient", "envelope", "ok", "created",
           "listing", "wire_value", "fields_of"]


def envelope(data=None, *, validation=None, internal=None, links=None) -> dict:
    body = {
        "validationErrors": validation if validation is not None else [],
        "internalErrors": internal if internal is not None else [],
        "data": data if data is not None else [],
    }
    if links is not None:
        body["links"] = links
    return body


def ok(data, status: int = 200):
    return envelope(data), status


def created(data):
    return envelope(data), 201


def listing(page: Page, items: list, path: str, params: dict):
    """A page in the envelope, with first/previous/next links that keep the caller's
    filters and sort; `next` only when another row exists."""
    info = request_context.current()
    url = info.site.url(info.api.base_path(info.site.name) + path)
    kept = {k: v for k, v in params.items() if v is not None}

    def link(offset: int) -> str:
        return f"{url}?{urlencode({**kept, '_limit': page.limit, '_offset': offset})}"

    links = {
        "first": link(0),
        "previous": link(max(page.offset - page.limit, 0)) if page.offset > 0 else None,
        "next": link(page.offset + page.limit) if page.has_more else None,
    }
    return envelope(items, links=links), 200


def wire_value(value):
    """A column value as OpenEMR writes it: `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD`."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


def fields_of(row, names) -> dict:
    return {name: wire_value(getattr(row, name)) for name in names}
