"""The audit log: one row per API request (who, which client, which token, what route,
which patient, what status). Never the token, a secret, a query string or a body."""

from __future__ import annotations

import logging

from sqlalchemy import insert

from emr_api.db.models import AuditLog, utcnow
from emr_api.request_context import RequestInfo

log = logging.getLogger("emr_api.audit")


def write_audit_row(info: RequestInfo, status: int, duration_ms: int) -> None:
    access = info.access
    row = dict(
        at=utcnow(),
        site=info.site.name,
        request_id=info.request_id,
        user_uuid=access.identity.subject if access else None,
        user_role=access.role.value if access else None,
        client_id=access.client_id if access else info.audit.client_id,
        token_jti=access.jti if access else None,
        method=info.method,
        route=info.path[:255],
        patient_uuid=info.audit.patient_uuid or (access.patient_uuid if access else None),
        status=status,
        duration_ms=duration_ms,
    )
    try:
        # Core, not the ORM: this runs on every request, and a Session costs ~3x more here.
        with info.site.db.write_connection() as conn:
            conn.execute(insert(AuditLog), row)
    except Exception:  # the answer is already sent; losing the row must be loud
        log.exception("audit row not written for request %s", info.request_id)
