"""Who a token speaks for: OpenID Connect claims about a user or a patient."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import Patient, User
from emr_api.errors import NotFound
from emr_api.identity import Access, Role


def userinfo(session: Session, access: Access) -> dict:
    if access.role is Role.PATIENT:
        p = session.execute(select(Patient).where(Patient.uuid == access.patient_uuid)).scalar_one_or_none()
        person = (p.fname, p.lname, p.email) if p else None
    else:
        u = session.execute(select(User).where(User.uuid == access.user_uuid)).scalar_one_or_none()
        person = (u.fname, u.lname, u.email) if u else None
    if person is None:
        raise NotFound("The token's subject no longer exists")
    given, family, email = person
    return {"sub": access.identity.subject, "given_name": given or "", "family_name": family or "",
            "name": " ".join(x for x in (given, family) if x), "email": email,
            "role": access.role.value}
