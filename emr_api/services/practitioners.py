"""Practitioners, with OpenEMR's PractitionerValidator rules: `fname` and `lname` 2-255
and `npi` numeric 10-15 required; `facility_id` must name an existing facility; `email`
valid (in the schema)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from emr_api.db.models import Facility, Practitioner
from emr_api.errors import ValidationFailed
from emr_api.services import resources
from emr_api.services.resources import Match, ResourceSpec
from emr_api.services.values import parse_flag, parse_id


def _rules(session: Session, practitioner: Practitioner, data: dict, creating: bool) -> None:
    """New practitioners are active. A facility id sent must exist (400 naming
    `facility_id`); sent without a facility name, it fills the name in."""
    if creating and practitioner.active is None:
        practitioner.active = True
    if "facility_id" not in data or practitioner.facility_id is None:
        return
    # No autoflush: the pending change must not reach the database before it is checked.
    with session.no_autoflush:
        facility = session.get(Facility, practitioner.facility_id)
    if facility is None:
        raise ValidationFailed(
            {"facility_id": [f"facility_id {practitioner.facility_id} does not exist"]})
    if "facility" not in data:
        practitioner.facility = facility.name


SPEC = ResourceSpec(
    name="practitioner",
    model=Practitioner,
    id_name="pruuid",
    writable=(
        "title", "fname", "mname", "lname", "suffix", "npi", "federaltaxid", "federaldrugid",
        "upin", "facility_id", "facility", "email", "specialty", "billname", "url", "assistant",
        "organization", "valedictory", "street", "streetb", "city", "state", "zip", "phone",
        "fax", "phonew1", "phonecell", "notes", "state_license_number", "username", "active",
        "abook_title", "physician_title", "physician_code",
    ),
    required=("fname", "lname", "npi"),
    keep=("fname", "lname", "npi", "active"),
    converters={"facility_id": parse_id, "active": parse_flag},
    search={
        **{name: Match.PREFIX for name in (
            "title", "fname", "mname", "lname", "federaltaxid", "federaldrugid", "upin",
            "facility", "email", "specialty", "billname", "organization", "street", "city",
            "state", "zip", "phone", "state_license_number", "state_license_number2",
            "username", "url", "assistant", "valedictory", "streetb", "fax", "phonew1",
            "phonecell", "notes")},
        "npi": Match.EXACT,
        "facility_id": Match.ID,
        "active": Match.FLAG,
    },
    aliases={"state_license_number2": "state_license_number"},
    sort=("id", "fname", "lname", "npi", "specialty", "city", "state"),
    rules=_rules,
)


def delete(session: Session, practitioner: Practitioner) -> None:
    """Delete a practitioner no record refers to (an encounter, an appointment, an order,
    a prescription...); one that is referred to is refused (409) and nothing changes."""
    resources.refuse_if_referred(session, Practitioner.__table__.c.id, practitioner.id,
                                 "practitioner")
    session.delete(practitioner)
