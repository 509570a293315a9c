"""Patients' insurance policies (OpenEMR's insurance_data): searched, read, added and
changed through the patient's path, and swapped between the primary, secondary and
tertiary slots. A policy of another patient is not found through this patient's path,
and every query is narrowed for a patient-context caller.

Rules as OpenEMR's CoverageValidator states them (the lengths are in the YAML):
- `type` primary, secondary or tertiary (primary when not sent); `provider` an insurance
  company id, and here it must exist; `policy_number`, `subscriber_fname`,
  `subscriber_lname`, `subscriber_relationship` (OpenEMR's `sub_relation` list),
  `subscriber_DOB`, `subscriber_street`, `subscriber_postal_code`, `subscriber_city`,
  `subscriber_state`, `subscriber_sex` (the `sex` list), `accept_assignment` (TRUE or
  FALSE) and `date` (the effective date) required; `date_end` not before `date`;
  `policy_type` one of the 837P codes, or empty for not applicable.
- A `self` subscriber is the patient: the subscriber's names are the patient's, and a
  subscriber SSN sent must be the patient's; any other subscriber's SSN must not be.
- One slot holds one policy at a time: a policy's period (from `date` to `date_end`, no
  end meaning still current) may not overlap another of the patient's policies of the
  same type. OpenEMR checks only for a second policy on the same effective date; its
  "one current policy per type" rule is this one too.

An update changes only the fields it sends (OpenEMR's rewrites every column, clearing
those left out, and moves a policy sent without `type` to primary)."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from emr_api.db.models import InsuranceCompany, InsurancePolicy, Patient, fold
from emr_api.errors import ValidationFailed
from emr_api.identity import Access
from emr_api.services import patients, resources
from emr_api.services.resources import Match, Page, ResourceSpec
from emr_api.services.values import parse_date, parse_id

TYPES = ("primary", "secondary", "tertiary")
# OpenEMR's `sub_relation` list (migration 0009 adds it to list_options) and `sex` list.
RELATIONSHIPS = ("self", "spouse", "child", "other")
SEXES = ("Female", "Male", "UNK")
# The 837P insurance type codes OpenEMR offers (InsurancePolicyTypes); empty: not applicable.
POLICY_TYPES = ("", "12", "13", "14", "15", "16", "41", "42", "43", "47")
ASSIGNMENT = {"TRUE": True, "FALSE": False}

SUBSCRIBER = ("subscriber_lname", "subscriber_mname", "subscriber_fname",
              "subscriber_relationship", "subscriber_ss", "subscriber_DOB",
              "subscriber_street", "subscriber_postal_code", "subscriber_city",
              "subscriber_state", "subscriber_country", "subscriber_phone",
              "subscriber_employer", "subscriber_employer_street",
              "subscriber_employer_postal_code", "subscriber_employer_state",
              "subscriber_employer_country", "subscriber_employer_city", "subscriber_sex")
WRITABLE = ("type", "provider", "plan_name", "policy_number", "group_number", *SUBSCRIBER,
            "copay", "date", "date_end", "accept_assignment", "policy_type")
REQUIRED = ("provider", "policy_number", "subscriber_lname", "subscriber_fname",
            "subscriber_relationship", "subscriber_DOB", "subscriber_street",
            "subscriber_postal_code", "subscriber_city", "subscriber_state", "subscriber_sex",
            "accept_assignment", "date")
# Who the subscriber is, and the policy's slot and period: what the rules below judge.
IDENTITY = {"subscriber_relationship", "subscriber_fname", "subscriber_lname", "subscriber_ss"}
PERIOD = {"type", "date", "date_end"}
DEFAULT_SORT = "type,-date"  # OpenEMR's order: by slot, the newest period first


def _one_of(allowed):
    def convert(field: str, value):
        if value is None or value in allowed:
            return value
        raise ValidationFailed({field: [f"{field} must be one of: {', '.join(map(repr, allowed))}"]})
    return convert


def _assignment(field: str, value) -> bool:
    if not isinstance(value, str) or value not in ASSIGNMENT:
        raise ValidationFailed({field: [f"{field} must be TRUE or FALSE"]})
    return ASSIGNMENT[value]


def _policy_type(field: str, value) -> str:
    return _one_of(POLICY_TYPES)(field, value) or ""


def _digits(text: str | None) -> str:
    return re.sub(r"[^0-9]", "", text or "")


def _check_subscriber(patient: Patient, policy: InsurancePolicy) -> None:
    """A `self` subscriber is the patient; another subscriber does not carry the
    patient's SSN (compared by digits: 123-45-6789 is 123456789)."""
    same_ssn = bool(_digits(policy.subscriber_ss)) and \
        _digits(policy.subscriber_ss) == _digits(patient.ss)
    if policy.subscriber_relationship != "self":
        if same_ssn:
            raise ValidationFailed({"subscriber_ss": [
                "subscriber_ss is the patient's own SSN, but the subscriber is not 'self'"]})
        return
    if (fold(policy.subscriber_fname), fold(policy.subscriber_lname)) != \
            (fold(patient.fname), fold(patient.lname)):
        raise ValidationFailed({"subscriber_relationship": [
            "a 'self' subscriber is the patient: subscriber_fname and subscriber_lname "
            "must be the patient's names"]})
    if _digits(policy.subscriber_ss) and _digits(patient.ss) and not same_ssn:
        raise ValidationFailed({"subscriber_ss": [
            "a 'self' subscriber's subscriber_ss must be the patient's SSN"]})


def overlapping(session: Session, policy: InsurancePolicy) -> InsurancePolicy | None:
    """Another policy of the patient in the same slot whose period shares a day with this
    one's (a period without an end runs on forever)."""
    other = InsurancePolicy
    stmt = select(other).where(
        other.pid == policy.pid, other.type == policy.type,
        or_(other.date_end.is_(None), other.date_end >= policy.date))
    if policy.date_end is not None:
        stmt = stmt.where(other.date <= policy.date_end)
    if policy.id is not None:
        stmt = stmt.where(other.id != policy.id)
    return session.execute(stmt.order_by(other.date).limit(1)).scalar()


def _period(policy: InsurancePolicy) -> str:
    return f"{policy.date.isoformat()} to {policy.date_end.isoformat() if policy.date_end else 'no end'}"


def _check_period(session: Session, policy: InsurancePolicy, field: str) -> None:
    clash = overlapping(session, policy)
    if clash is not None:
        raise ValidationFailed({field: [
            f"the {policy.type} policy's period ({_period(policy)}) overlaps the patient's "
            f"{clash.type} policy {clash.uuid} ({_period(clash)}); end that one first"]})


def _rules(session: Session, policy: InsurancePolicy, data: dict, creating: bool) -> None:
    """The payer exists, the period is in order and free, and the subscriber is who the
    relationship says (checked when what they judge is written)."""
    # No autoflush: the pending row must not reach the database before it is checked.
    with session.no_autoflush:
        if session.get(InsuranceCompany, policy.provider) is None:
            raise ValidationFailed({"provider": [
                f"provider {policy.provider} is not an insurance company"]})
        if policy.date_end is not None and policy.date_end < policy.date:
            raise ValidationFailed({"date_end": ["date_end must not be before date"]})
        if creating or IDENTITY & data.keys():
            _check_subscriber(session.get(Patient, policy.pid), policy)
        if creating or PERIOD & data.keys():
            _check_period(session, policy, "date")


def _owner(puuid: str):
    return InsurancePolicy.pid.in_(select(Patient.pid).where(Patient.uuid == puuid))


SPEC = ResourceSpec(
    name="insurance policy",
    model=InsurancePolicy,
    id_name="uuid",
    writable=WRITABLE,
    required=REQUIRED,
    keep=(*REQUIRED, "type"),
    converters={
        "type": _one_of(TYPES),
        "provider": parse_id,
        "subscriber_relationship": _one_of(RELATIONSHIPS),
        "subscriber_sex": _one_of(SEXES),
        "subscriber_DOB": parse_date,
        "date": parse_date,
        "date_end": parse_date,
        "accept_assignment": _assignment,
        "policy_type": _policy_type,
    },
    search={"type": Match.EXACT, "provider": Match.ID, "plan_name": Match.EXACT,
            "policy_number": Match.EXACT, "group_number": Match.EXACT,
            "subscriber_relationship": Match.EXACT, "date": Match.DATE,
            "date_end": Match.DATE},
    sort=("id", "type", "date", "date_end", "provider", "policy_number"),
    owner=_owner,
    rules=_rules,
)


def search(session: Session, access: Access, puuid: str, filters: dict, *,
           sort: str | None = None, limit: int | None = None,
           offset: int | None = None) -> tuple[Patient, Page]:
    """One page of the patient's policies, by slot and newest period first unless
    `sort` says otherwise."""
    patient = patients.find(session, access, puuid)
    page = resources.search(session, access, SPEC, filters, sort=sort or DEFAULT_SORT,
                            limit=limit, offset=offset,
                            where=(InsurancePolicy.pid == patient.pid,))
    return patient, page


def find(session: Session, access: Access, puuid: str,
         uuid: str) -> tuple[Patient, InsurancePolicy]:
    """The patient's policy with this uuid; another patient's is not found."""
    patient = patients.find(session, access, puuid)
    return patient, resources.find(session, access, SPEC, uuid,
                                   (InsurancePolicy.pid == patient.pid,))


def create(session: Session, access: Access, puuid: str,
           data: dict) -> tuple[Patient, InsurancePolicy]:
    """A new policy for the patient in the path (primary unless `type` says otherwise);
    nothing in the body picks the patient or the ids."""
    if data.get("type") is None:
        data = {**data, "type": "primary"}
    resources.check_required(SPEC, data)
    patient = patients.find(session, access, puuid)
    return patient, resources.create(session, access, SPEC, data, pid=patient.pid)


def update(session: Session, access: Access, puuid: str, uuid: str,
           data: dict) -> tuple[Patient, InsurancePolicy]:
    """Change the fields sent of the patient's policy; required fields may be left out,
    never cleared. Another patient's policy is not found and stays as it was."""
    patient = patients.find(session, access, puuid)
    return patient, resources.update(session, access, SPEC, uuid, data,
                                     (InsurancePolicy.pid == patient.pid,))


def swap(session: Session, access: Access, puuid: str, type_: str,
         uuid: str) -> tuple[Patient, InsurancePolicy, InsurancePolicy | None]:
    """Move the patient's policy `uuid` into the slot `type_`, and the policy that held
    that slot (the one with the latest effective date, as OpenEMR picks it) into the slot
    the first one left. Both keep their periods, which must then not overlap any other
    policy of their new slots (else nothing changes). A policy already in `type_` stays."""
    _one_of(TYPES)("type", type_)
    patient, source = find(session, access, puuid, uuid)
    if source.type == type_:
        return patient, source, None
    target = session.execute(
        select(InsurancePolicy).where(InsurancePolicy.pid == patient.pid,
                                      InsurancePolicy.type == type_)
        .order_by(InsurancePolicy.date.desc(), InsurancePolicy.id.desc()).limit(1)).scalar()
    if target is not None:
        target.type = source.type
    source.type = type_
    session.flush()
    for policy in (source, target):
        if policy is not None:
            _check_period(session, policy, "type")
    return patient, source, target

