"""Who is calling, and what they may see: the one identity type every room shares.

`Identity` is the subject of a token (a staff user, a portal patient, or a system client);
`Access` is what a request may do with it: its client, scopes and ACL group, and for a
patient-context caller the one patient it may see. Services take an `Access` and apply it
in their queries, so an API handler, a bulk-export job and the CLI all call them alike."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(str, enum.Enum):
    """OpenEMR's `user_role` values, as they appear on the wire and in the database."""

    USER = "users"
    PATIENT = "patient"
    SYSTEM = "system"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Identity:
    role: Role
    user_uuid: str | None = None  # a staff user's uuid; for a patient, the patient's uuid
    patient_uuid: str | None = None  # the patient context, when there is one

    def __post_init__(self):
        object.__setattr__(self, "role", Role(self.role))

    @property
    def subject(self) -> str | None:
        """The `sub` of tokens issued to this identity."""
        return self.patient_uuid if self.role is Role.PATIENT else self.user_uuid


@dataclass(frozen=True)
class Access:
    identity: Identity
    client_id: str | None = None
    scopes: frozenset[str] = frozenset()
    acl_group: str | None = None
    jti: str | None = None

    @classmethod
    def system(cls) -> "Access":
        """Unrestricted access for work the server does itself (CLI, jobs, tests)."""
        return cls(Identity(Role.SYSTEM))

    @property
    def role(self) -> Role:
        return self.identity.role

    @property
    def patient_uuid(self) -> str | None:
        """The one patient this access is limited to, or None for no patient limit."""
        return self.identity.patient_uuid

    @property
    def user_uuid(self) -> str | None:
        return self.identity.user_uuid
