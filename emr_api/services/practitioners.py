"""Practitioners, with OpenEMR's PractitionerValidator rules: `fname` and `lname` 2-255
and `npi` numeric 10-15 required; `facility_id` must name an existing facility; `email`
valid (in the schema)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import Facility, Practitioner
from emr_api.server.errors import NotFound, ValidationFailed
from emr_api.services.common import (
    Page,
    copy_fields,
    order_by,
    paginate,
    parse_flag,
    parse_id,
    require_present,
    row_to_dict,
    starts_with,
)

WRITABLE = [
    "title", "fname", "mname", "lname", "suffix", "npi", "federaltaxid", "federaldrugid",
    "upin", "facility_id", "facility", "email", "specialty", "billname", "url", "assistant",
    "organization", "valedictory", "street", "streetb", "city", "state", "zip", "phone",
    "fax", "phonew1", "phonecell", "notes", "state_license_number", "username", "active",
]
REQUIRED = ["fname", "lname", "npi"]
TEXT_FILTERS = ["title", "fname", "mname", "lname", "federaltaxid", "federaldrugid", "upin",
                "facility", "email", "specialty", "billname", "organization", "street",
                "city", "state", "zip", "phone", "state_license_number", "username"]
SEARCH_FIELDS = TEXT_FILTERS + ["npi", "facility_id", "active"]
CONVERTERS = {"facility_id": parse_id, "active": parse_flag}


def to_api(p: Practitioner) -> dict:
    body = row_to_dict(p, ["id", "uuid", *WRITABLE])
    body["active"] = 1 if p.active else 0
    return body


def find(session: Session, pruuid: str) -> Practitioner:
    practitioner = session.execute(
        select(Practitioner).where(Practitioner.uuid == pruuid.lower())).scalar_one_or_none()
    if practitioner is None:
        raise NotFound(f"No practitioner with pruuid {pruuid}", fields={"pruuid": ["not found"]})
    return practitioner


def search(session: Session, filters: dict, *, sort: str | None, limit: int | None,
           offset: int | None, url: str) -> Page:
    stmt = select(Practitioner)
    for name in TEXT_FILTERS:
        value = filters.get(name)
        if value not in (None, ""):
            stmt = stmt.where(starts_with(getattr(Practitioner, name), value))
    if filters.get("npi") not in (None, ""):
        stmt = stmt.where(Practitioner.npi == filters["npi"])
    if filters.get("facility_id") is not None:
        stmt = stmt.where(Practitioner.facility_id == parse_id("facility_id", filters["facility_id"]))
    if filters.get("active") is not None:
        stmt = stmt.where(Practitioner.active == parse_flag("active", filters["active"]))
    stmt = order_by(stmt, Practitioner, sort, Practitioner.id)
    params = {k: filters.get(k) for k in SEARCH_FIELDS} | {"_sort": sort}
    page = paginate(session, stmt, url=url, params=params, limit=limit, offset=offset)
    page.items = [to_api(p) for p in page.items]
    return page


def _check_facility(session: Session, practitioner: Practitioner, data: dict) -> None:
    """A facility id sent must exist (400 naming `facility_id`); sent without a facility
    name, it fills the name in."""
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


def create(session: Session, data: dict) -> Practitioner:
    missing = {f: [f"{f} is required"] for f in REQUIRED if data.get(f) in (None, "")}
    if missing:
        raise ValidationFailed(missing)
    practitioner = Practitioner()
    copy_fields(practitioner, data, WRITABLE, CONVERTERS)
    if practitioner.active is None:
        practitioner.active = True
    _check_facility(session, practitioner, data)
    session.add(practitioner)
    session.flush()
    return practitioner


def update(session: Session, pruuid: str, data: dict) -> Practitioner:
    require_present(data, REQUIRED + ["active"])
    practitioner = find(session, pruuid)
    copy_fields(practitioner, data, WRITABLE, CONVERTERS)
    _check_facility(session, practitioner, data)
    session.flush()
    return practitioner
