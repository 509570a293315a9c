"""Immunizations (OpenEMR's `immunizations`): read across patients, as OpenEMR's Standard
API serves them. That API has no writes for them; the demo data (and, later, other
interfaces) write the rows.

Search as OpenEMR's ImmunizationService searches: every column its documentation lists is
a parameter, matched exactly (text byte for byte, ids as integers, `added_erroneously` as
0/1); a date parameter matches that day (OpenEMR compared a stored date and time with the
text sent). Every query is narrowed for a patient-context access: such a caller never sees
another patient's immunization, in the list or by uuid.

Beside its columns a row shows what OpenEMR joins to it (`Extras`): its patient's uuid,
the CVX vaccine's name, the administration site's and the refusal reason's list options,
and the practitioner who gave it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from emr_api.db.models import (
    CVX_CODE_TYPE,
    Code,
    Immunization,
    ListOption,
    Patient,
    Practitioner,
)
from emr_api.errors import ValidationFailed
from emr_api.identity import Access
from emr_api.services import resources
from emr_api.services.resources import Match, Page, ResourceSpec

SITE_LIST = "immunization_administered_site"
REFUSAL_LIST = "immunization_refusal_reason"
# OpenEMR's NIP001 information sources it counts as a primary source besides a record made
# here (`new_immunization_record` given by a named person).
RECORDED_ELSEWHERE = frozenset({"other_provider", "birth_certificate", "school_record",
                                "public_agency"})
_AMOUNT = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,9})?$")

TEXT = ("cvx_code", "manufacturer", "lot_number", "administered_by", "note",
        "amount_administered_unit", "route", "administration_site", "external_id",
        "completion_status", "information_source", "refusal_reason")
IDS = ("patient_id", "id", "immunization_id", "administered_by_id", "created_by", "updated_by",
       "ordering_provider")
DAYS = ("administered_date", "education_date", "vis_date", "create_date", "update_date",
        "expiration_date")


def _owner(puuid: str):
    return Immunization.patient_id.in_(select(Patient.pid).where(Patient.uuid == puuid))


SPEC = ResourceSpec(
    name="immunization",
    model=Immunization,
    id_name="uuid",
    writable=(),
    search={**{name: Match.EXACT for name in TEXT}, **{name: Match.ID for name in IDS},
            **{name: Match.DATE for name in DAYS}, "added_erroneously": Match.FLAG,
            # Exact too, once search() has made the text a number or a lower-case uuid.
            "amount_administered": Match.EXACT, "uuid": Match.EXACT},
    sort=("id", "administered_date", "cvx_code", "create_date", "update_date",
          "expiration_date"),
    default_order="id",
    owner=_owner,
)


def _amount(value) -> float:
    """The dose searched for: a plain decimal number (no sign, exponent, NaN or infinity,
    which a database may not compare)."""
    if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
        raise ValidationFailed({"amount_administered": [
            "amount_administered must be a decimal number, e.g. 0.5"]})
    return float(value)


def search(session: Session, access: Access, filters: dict, **paging) -> Page:
    """One page of the immunizations matching every filter given, of every patient this
    access may see."""
    filters = dict(filters)
    if filters.get("amount_administered") is not None:
        filters["amount_administered"] = _amount(filters["amount_administered"])
    if isinstance(filters.get("uuid"), str):
        filters["uuid"] = filters["uuid"].lower()  # uuids are stored in lower case
    return resources.search(session, access, SPEC, filters, **paging)


def find(session: Session, access: Access, uuid: str) -> Immunization:
    """The immunization with this uuid, as this access may see it (else NotFound)."""
    return resources.find(session, access, SPEC, uuid)


@dataclass(frozen=True)
class Extras:
    """What OpenEMR joins to an immunization row."""

    puuid: str
    cvx_code_text: str | None
    site_display: str | None
    site_code: str | None  # the HL7 body-site code (the option's notes)
    refusal_reason_description: str | None
    refusal_reason_cdc_nip_code: str | None  # the option's notes
    refusal_reason_codes: str | None
    provider_uuid: str | None
    provider_npi: str | None
    provider_username: str | None


def extras(session: Session, rows) -> dict[int, Extras]:
    """The joined values of these rows, by immunization id (one query)."""
    ids = [row.id for row in rows]
    if not ids:
        return {}
    site, refusal = aliased(ListOption), aliased(ListOption)
    stmt = (
        select(Immunization.id, Patient.uuid, Code.code_text, site.title, site.notes,
               refusal.title, refusal.notes, refusal.codes, Practitioner.uuid,
               Practitioner.npi, Practitioner.username)
        .join(Patient, Patient.pid == Immunization.patient_id)
        .outerjoin(Code, (Code.code_type == CVX_CODE_TYPE) & (Code.code == Immunization.cvx_code))
        .outerjoin(site, (site.list_id == SITE_LIST)
                   & (site.option_id == Immunization.administration_site))
        .outerjoin(refusal, (refusal.list_id == REFUSAL_LIST)
                   & (refusal.option_id == Immunization.refusal_reason))
        .outerjoin(Practitioner, Practitioner.id == Immunization.administered_by_id)
        .where(Immunization.id.in_(ids))
    )
    return {found[0]: Extras(*found[1:]) for found in session.execute(stmt)}


def primary_source(row: Immunization) -> bool:
    """Whether the record comes from whoever gave the vaccine, as OpenEMR decides it: a
    new record naming who gave it, or a record copied from another provider, a birth
    certificate, a school record or a public agency."""
    if row.information_source == "new_immunization_record":
        return row.administered_by is not None or row.administered_by_id is not None
    return row.information_source in RECORDED_ELSEWHERE
