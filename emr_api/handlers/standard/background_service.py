"""Standard API: /background_service, the jobs the server runs on a schedule.

A service answers OpenEMR's fields (`name`, `title`, `active`, `running`,
`execute_interval`, `next_run`) with `function`, `sort_order` and its last run
(`last_run_start`, `last_run_end`, `last_status`, `last_message`). A run answers OpenEMR's
`{service, status}` and the run's `message`, with OpenEMR's status codes; running what is
due answers OpenEMR's `{results: [{name, status}]}`, each with its message. All in the
envelope."""

from __future__ import annotations

from emr_api import request_context
from emr_api.handlers.standard import access, envelope, fields_of, listing, ok, reading
from emr_api.services import background
from emr_api.services.background import Outcome
from emr_api.sites import Site

# What these operations list (checked against the YAML by a test).
RESOURCE = background.SPEC
SHOWN = ("name", "title", "execute_interval", "next_run", "function", "sort_order",
         "last_run_start", "last_run_end", "last_status", "last_message")
# A single run's answer by its outcome, as OpenEMR's controller answers.
RUN_STATUS = {background.EXECUTED: 200, background.ERROR: 500, background.NOT_DUE: 409,
              background.SKIPPED: 409, background.ALREADY_RUNNING: 409}


def to_api(row) -> dict:
    return {**fields_of(row, SHOWN), "active": bool(row.active),
            "running": background.is_running(row)}


def search_background_services(_limit=None, _offset=None, _sort=None):
    with reading() as s:
        page = background.search(s, access(), sort=_sort, limit=_limit, offset=_offset)
        items = [to_api(row) for row in page.items]
    return listing(page, items, "/background_service", {"_sort": _sort})


def get_background_service(name):
    with reading() as s:
        return ok(to_api(background.find(s, access(), name)))


def run_background_service(name, body=None):
    # No body at all reaches here as the schema's default, unparsed (it came with no media type).
    force = isinstance(body, dict) and body.get("force") is True
    outcome = background.run(_site_for_a_run(), name, force=force)
    data = {"service": outcome.name, "status": outcome.status, "message": outcome.message}
    status = RUN_STATUS[outcome.status]
    if status == 200:
        return ok(data)
    return envelope(data, internal=[outcome.message or outcome.status]), status


def run_due_background_services():
    outcomes = background.run_due(_site_for_a_run())
    return ok({"results": [_result(outcome) for outcome in outcomes]})


def _result(outcome: Outcome) -> dict:
    return {"name": outcome.name, "status": outcome.status, "message": outcome.message}


def _site_for_a_run() -> Site:
    """The request's site, with the request's own transaction ended (it has read the
    token's standing and holds nothing else): a run commits its claim, its work and its
    outcome in transactions of its own, since other workers must see the claim while the
    run lasts, and on SQLite they would otherwise wait for this request's write lock."""
    info = request_context.current()
    if info.session is not None:
        info.session.commit()
    return info.site
