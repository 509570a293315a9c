"""Role ACLs, named as OpenEMR's gacl sections (`patients/demo`, `admin/super`, ...).

Each operation names the ACL it needs in the YAML (`x-acl: [section, subsection]`); a
`users` token passes only if the user's group holds it. Groups mirror OpenEMR's defaults."""

from __future__ import annotations

GROUP_ACLS: dict[str, frozenset[str]] = {
    # Administrators hold everything.
    "admin": frozenset({"*"}),
    # Physicians and clinicians: the chart, encounters, the user directory, the lists.
    "doc": frozenset({"patients/*", "encounters/*", "admin/users", "admin/practice",
                      "lists/default"}),
    # Front office: demographics, appointments and the lists they pick from; no administration.
    "front": frozenset({"patients/demo", "patients/appt", "encounters/notes", "lists/default"}),
}

GROUP_TITLES = {"admin": "Administrators", "doc": "Physicians", "front": "Front Office"}


def allows(group: str | None, section: str, subsection: str) -> bool:
    held = GROUP_ACLS.get(group or "", frozenset())
    return bool(held & {"*", f"{section}/*", f"{section}/{subsection}"})
