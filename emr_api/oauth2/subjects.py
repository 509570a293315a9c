"""Who may sign in, and what each kind of subject may be granted."""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import InvalidScopeError
from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api import scopes as scope_rules
from emr_api.auth.passwords import check_password
from emr_api.db.models import Patient, User
from emr_api.identity import Identity, Role
from emr_api.oauth2.clients import Client

# The scope context each signed-in role is granted (system/ only via client credentials).
SCOPE_CONTEXT = {Role.USER: "user", Role.PATIENT: "patient"}


def authenticate(session: Session, role: Role | str | None, username: str, password: str,
                 email: str = "") -> Identity | None:
    """Who these credentials belong to: a staff user (`users`), or a portal patient
    (`patient`, whose email must match too). Used by the password grant and the login page."""
    if role == Role.USER:
        user = session.execute(
            select(User).where(User.username == username, User.active.is_(True))
        ).scalar_one_or_none()
        if check_password(user.password_hash if user else None, password) and user:
            return Identity(Role.USER, user_uuid=user.uuid)
        return None
    if role != Role.PATIENT:
        return None
    patient = session.execute(
        select(Patient).where(Patient.portal_username == username)
    ).scalar_one_or_none()
    ok = check_password(patient.portal_password_hash if patient else None, password)
    if ok and patient and email and (patient.email or "").lower() == email.lower():
        return Identity(Role.PATIENT, user_uuid=patient.uuid, patient_uuid=patient.uuid)
    return None


def still_valid(session: Session, identity: Identity) -> bool:
    """Whether the subject of an earlier grant may still get tokens: an active user, or
    a patient who still exists."""
    if identity.role is Role.USER:
        return session.execute(select(User.id).where(
            User.uuid == identity.user_uuid, User.active.is_(True))).first() is not None
    if identity.role is Role.PATIENT:
        return session.execute(select(Patient.pid).where(
            Patient.uuid == identity.patient_uuid)).first() is not None
    return False


def grantable_scope(requested: str | None, client: Client, role: Role) -> str:
    """What a role may be granted of what was asked and the client registered:
    users get user/ scopes, patients patient/ scopes; system/ only via client credentials."""
    wanted = client.get_allowed_scope(requested or "")
    context = SCOPE_CONTEXT.get(Role(role))
    kept = []
    for s in scope_rules.split(wanted):
        parsed = scope_rules.parse(s)
        if parsed is None or parsed[0] == context:
            kept.append(s)
    if not kept:
        raise InvalidScopeError("None of the requested scopes can be granted")
    return " ".join(kept)
