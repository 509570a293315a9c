"""FHIR's error shape: an OperationOutcome (application/fhir+json), one issue for the
message and one per field at fault."""

from __future__ import annotations

from emr_api.errors import Problem

_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
          405: "not-supported", 406: "not-supported", 409: "conflict", 410: "deleted",
          412: "conflict", 413: "too-long", 415: "not-supported", 422: "processing",
          503: "transient"}


def render(problem: Problem, operation_id: str | None) -> tuple[dict, str, dict]:
    issues = [{"severity": "error", "code": _CODES.get(problem.status, "exception"),
               "diagnostics": problem.message}]
    for field, messages in problem.fields.items():
        for message in messages:
            issues.append({"severity": "error", "code": "invalid", "diagnostics": message,
                           "expression": [field]})
    return {"resourceType": "OperationOutcome", "issue": issues}, "application/fhir+json", {}
