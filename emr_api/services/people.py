"""Who a token speaks for: OpenID Connect claims about a user or a patient."""

from __future__ import annotations

from sqlalchemy import select

from emr_api.db.models import Patient, User
from emr_api.server import context
from emr_api.server.context import Caller
from emr_api.server.errors import NotFound


def userinfo(caller: Caller) -> dict:
    with context.site().db.read() as s:
        if caller.role == "patient":
            p = s.execute(select(Patient).where(Patient.uuid == caller.patient_uuid)).scalar_one_or_none()
            person = (p.fname, p.lname, p.email) if p else None
        else:
            u = s.execute(select(User).where(User.uuid == caller.user_uuid)).scalar_one_or_none()
            person = (u.fname, u.lname, u.email) if u else None
    if person is None:
        raise NotFound("The token's subject no longer exists")
    given, family, email = person
    return {"sub": caller.patient_uuid if caller.role == "patient" else caller.user_uuid,
            "given_name": given or "", "family_name": family or "",
            "name": " ".join(x for x in (given, family) if x), "email": email,
            "role": caller.role}
