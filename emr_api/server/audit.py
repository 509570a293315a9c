"""The audit log: one row per API request (who, which client, which token, what route,
which patient, what status). Never the token, a secret or a request body."""

from __future__ import annotations

import logging

from sqlalchemy import insert

from emr_api.db.models import AuditLog, utcnow
from emr_api.server.context import RequestInfo

log = logging.getLogger("emr_api.audit")


def write_audit_row(info: RequestInfo, method: str, path: str, status: int,
                    duration_ms: int) -> None:
    caller = info.caller
    row = dict(
        at=utcnow(),
        site=info.site.name,
        request_id=info.request_id,
        user_uuid=(caller.user_uuid or caller.patient_uuid) if caller else None,
        user_role=caller.role if caller else None,
        client_id=caller.client_id if caller else info.extra.get("client_id"),
        token_jti=caller.jti if caller else None,
        method=method,
        route=path[:255],
        patient_uuid=info.patient_uuid or (caller.patient_uuid if caller else None),
        status=status,
        duration_ms=duration_ms,
    )
    try:
        # Core, not the ORM: this runs on every request, and a Session costs ~3x more here.
        with info.site.db.write_connection() as conn:
            conn.execute(insert(AuditLog), row)
    except Exception:  # the answer is already sent; losing the row must be loud
        log.exception("audit row not written for request %s", info.request_id)
