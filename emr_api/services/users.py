"""The site's user accounts, read-only: who may sign in, and in which ACL group. The
password hash is never read into an answer (the handler names the fields it shows)."""

from __future__ import annotations

from emr_api.db.models import User
from emr_api.services.resources import Match, ResourceSpec

SPEC = ResourceSpec(
    name="user",
    model=User,
    id_name="uuid",
    writable=(),
    search={**{name: Match.PREFIX for name in ("username", "fname", "lname", "email")},
            "active": Match.FLAG},
    sort=("id", "username", "fname", "lname"),
)
