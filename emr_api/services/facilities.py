"""Facilities (OpenEMR's facility table), with OpenEMR's FacilityValidator rules: `name`
2-255 and `facility_npi` numeric 10-15 required; the optional fields' lengths are in the
schema; flags are 0/1; `website` a real http(s) URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from emr_api.db.models import Facility
from emr_api.errors import ValidationFailed
from emr_api.services.resources import Match, ResourceSpec
from emr_api.services.values import parse_flag, parse_pos_code

FLAGS = ("service_location", "billing_location", "accepts_assignment", "primary_business_entity")


def _website(field: str, value):
    if value in (None, ""):  # OpenEMR skips the rules of an optional field sent empty
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValidationFailed({field: [f"{field} must be an http or https URL"]})
    return value


SPEC = ResourceSpec(
    name="facility",
    model=Facility,
    id_name="fuuid",
    writable=(
        "name", "facility_npi", "phone", "fax", "street", "city", "state", "postal_code",
        "country_code", "federal_ein", "website", "email", "pos_code", "attn",
        "domain_identifier", "facility_taxonomy", "tax_id_type", "color", "facility_code",
        "oid", "info", *FLAGS,
    ),
    required=("name", "facility_npi"),
    converters={"website": _website, "pos_code": parse_pos_code,
                **{name: parse_flag for name in FLAGS}},
    search={
        **{name: Match.PREFIX for name in (
            "name", "phone", "fax", "street", "city", "state", "postal_code", "country_code",
            "federal_ein", "website", "email", "domain_identifier", "facility_taxonomy",
            "facility_code", "oid")},
        "facility_npi": Match.EXACT,
        **{name: Match.FLAG for name in ("service_location", "billing_location",
                                         "accepts_assignment")},
    },
    sort=("id", "name", "city", "state", "postal_code", "facility_npi"),
)
