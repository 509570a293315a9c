"""Insurance companies (OpenEMR's insurance_companies, the payers of patients' policies)
and the insurance types they are of (insurance_type_codes). Not patient data: every caller
with the ACL sees the same companies.

Rules as OpenEMR's InsuranceCompanyValidator and AddressService state them (the lengths
are in the YAML): `name` required (2-255); `attn`, `cms_id`, `alt_cms_id`,
`x12_receiver_id` and the address (`line1`, `line2`, `city`, `state`, `zip`, `country`)
optional text; `ins_type_code` and `x12_default_partner_id` numbers; and here also: the
insurance type must exist. Companies are addressed by their integer id (`iid`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import InsuranceCompany, InsuranceType
from emr_api.errors import NotFound, ValidationFailed
from emr_api.identity import Access
from emr_api.services import resources
from emr_api.services.resources import Match, ResourceSpec
from emr_api.services.values import parse_id

ADDRESS = ("line1", "line2", "city", "state", "zip", "country")


def _rules(session: Session, company: InsuranceCompany, data: dict, creating: bool) -> None:
    """The insurance type must be one of insurance_type_codes (400 naming it)."""
    if company.ins_type_code is not None:
        with session.no_autoflush:
            known = session.get(InsuranceType, company.ins_type_code)
        if known is None:
            raise ValidationFailed({"ins_type_code": [
                f"ins_type_code {company.ins_type_code} is not an insurance type "
                "(see /insurance_type)"]})


SPEC = ResourceSpec(
    name="insurance company",
    model=InsuranceCompany,
    id_name="iid",
    writable=("name", "attn", "cms_id", "alt_cms_id", "ins_type_code", "x12_receiver_id",
              "x12_default_partner_id", *ADDRESS),
    required=("name",),
    converters={"ins_type_code": parse_id, "x12_default_partner_id": parse_id},
    search={"name": Match.PREFIX, "cms_id": Match.EXACT, "ins_type_code": Match.ID,
            "city": Match.PREFIX, "state": Match.EXACT, "zip": Match.PREFIX},
    sort=("id", "name", "cms_id", "ins_type_code", "city", "state", "zip"),
    rules=_rules,
)


def find(session: Session, access: Access, iid) -> InsuranceCompany:
    """The company with this integer id (a number or a string of digits), else NotFound
    naming `iid`."""
    iid = parse_id("iid", iid)
    found = session.get(InsuranceCompany, iid)
    if found is None:
        raise NotFound(f"No insurance company with iid {iid}", fields={"iid": ["not found"]})
    return found


def update(session: Session, access: Access, iid, data: dict) -> InsuranceCompany:
    """Change the fields sent; `name` may be left out, never cleared."""
    return resources.update(session, access, SPEC, find(session, access, iid).uuid, data)


def uuids(session: Session, ids) -> dict[int, str]:
    """The uuids of these companies, by id (one query)."""
    wanted = set(ids) - {None}
    if not wanted:
        return {}
    found = session.execute(select(InsuranceCompany.id, InsuranceCompany.uuid)
                            .where(InsuranceCompany.id.in_(wanted)))
    return dict(found.all())


def types(session: Session, access: Access) -> list[InsuranceType]:
    """Every insurance type, in id order."""
    return list(session.execute(select(InsuranceType).order_by(InsuranceType.id)).scalars())
