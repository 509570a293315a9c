"""Facilities (OpenEMR's facility table), with OpenEMR's FacilityValidator rules: `name`
2-255 and `facility_npi` numeric 10-15 required; the optional fields' lengths are in the
schema; flags are 0/1; `website` a real http(s) URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import Facility
from emr_api.server.errors import NotFound, ValidationFailed
from emr_api.services.common import (
    Page,
    copy_fields,
    order_by,
    paginate,
    parse_flag,
    parse_pos_code,
    require_present,
    row_to_dict,
    starts_with,
)

FLAGS = ["service_location", "billing_location", "accepts_assignment",
         "primary_business_entity"]
WRITABLE = [
    "name", "facility_npi", "phone", "fax", "street", "city", "state", "postal_code",
    "country_code", "federal_ein", "website", "email", "pos_code", "attn",
    "domain_identifier", "facility_taxonomy", "tax_id_type", "color", "facility_code",
    "oid", "info", *FLAGS,
]
REQUIRED = ["name", "facility_npi"]
TEXT_FILTERS = ["name", "phone", "fax", "street", "city", "state", "postal_code",
                "country_code", "federal_ein", "website", "email", "domain_identifier",
                "facility_taxonomy", "facility_code", "oid"]
EXACT_FILTERS = ["facility_npi"]
FLAG_FILTERS = ["service_location", "billing_location", "accepts_assignment"]
SEARCH_FIELDS = TEXT_FILTERS + EXACT_FILTERS + FLAG_FILTERS


def _website(field: str, value):
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValidationFailed({field: [f"{field} must be an http or https URL"]})
    return value


CONVERTERS = {"website": _website, "pos_code": parse_pos_code,
              **{name: parse_flag for name in FLAGS}}


def to_api(f: Facility) -> dict:
    body = row_to_dict(f, ["id", "uuid", *WRITABLE])
    for name in FLAGS:
        body[name] = 1 if getattr(f, name) else 0
    return body


def find(session: Session, fuuid: str) -> Facility:
    facility = session.execute(
        select(Facility).where(Facility.uuid == fuuid.lower())).scalar_one_or_none()
    if facility is None:
        raise NotFound(f"No facility with fuuid {fuuid}", fields={"fuuid": ["not found"]})
    return facility


def search(session: Session, filters: dict, *, sort: str | None, limit: int | None,
           offset: int | None, url: str) -> Page:
    stmt = select(Facility)
    for name in TEXT_FILTERS:
        value = filters.get(name)
        if value not in (None, ""):
            stmt = stmt.where(starts_with(getattr(Facility, name), value))
    for name in EXACT_FILTERS:
        value = filters.get(name)
        if value not in (None, ""):
            stmt = stmt.where(getattr(Facility, name) == value)
    for name in FLAG_FILTERS:
        value = filters.get(name)
        if value is not None:
            stmt = stmt.where(getattr(Facility, name) == parse_flag(name, value))
    stmt = order_by(stmt, Facility, sort, Facility.id)
    params = {k: filters.get(k) for k in SEARCH_FIELDS} | {"_sort": sort}
    page = paginate(session, stmt, url=url, params=params, limit=limit, offset=offset)
    page.items = [to_api(f) for f in page.items]
    return page


def create(session: Session, data: dict) -> Facility:
    missing = {f: [f"{f} is required"] for f in REQUIRED if data.get(f) in (None, "")}
    if missing:
        raise ValidationFailed(missing)
    facility = Facility()
    copy_fields(facility, data, WRITABLE, CONVERTERS)
    session.add(facility)
    session.flush()
    return facility


def update(session: Session, fuuid: str, data: dict) -> Facility:
    require_present(data, REQUIRED)
    facility = find(session, fuuid)
    copy_fields(facility, data, WRITABLE, CONVERTERS)
    session.flush()
    return facility
