"""The Standard (and portal) API's error shape: the envelope, with the fields at fault in
`validationErrors` (400) or the message in `internalErrors` (every other status); a 401
also carries OpenEMR's `error` and `message`."""

from __future__ import annotations

from emr_api.errors import Problem
from emr_api.handlers.standard import envelope


def render(problem: Problem, operation_id: str | None) -> tuple[dict, str, dict]:
    if problem.status in (400, 422):
        validation = problem.fields or {"request": [problem.message]}
        return envelope(None, validation=validation, internal=[]), "application/json", {}
    body = envelope(None, validation=[], internal=[problem.message])
    if problem.status == 401:
        # OpenEMR's resource server answers 401 with `error` and `message`; its clients
        # read them, so they come too, beside the envelope.
        body.update(error="access_denied", message=problem.message)
    return body, "application/json", {}
