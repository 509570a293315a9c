"""FHIR Person from OpenEMR's users: everyone who signs in to the practice.

OpenEMR keeps one `users` table for its accounts and its practitioners; here the account
(`User`) and the practitioner details (`Practitioner`, the row with the same username) are
two tables, so a Person is a user joined to its practitioner row, if it has one: the name
and the account's state from the user, contact details and address from the practitioner,
and `link` to that Practitioner. As Organization does (organization.py), the type's model
is a class mapped onto that SELECT, so the generic search and paging run on it unchanged.
Users keep no change time and no sex: no `meta.lastUpdated`, no `gender`. The accounts
are staff data: a patient-context caller finds none."""

from __future__ import annotations

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm import registry as mapper_registry

from emr_api.db.models import Practitioner, User
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, any_column, codes

# The practitioner row of a user: the first with its username (OpenEMR's username is
# unique; ours is not enforced on practitioner rows, so take one).
_other = aliased(Practitioner)
_LINKED = (select(func.min(_other.id)).where(_other.username == User.username)
           .correlate(User).scalar_subquery())

PEOPLE = (
    select(User.id.label("id"), User.uuid.label("uuid"), User.fname.label("fname"),
           User.lname.label("lname"), User.email.label("email"), User.active.label("active"),
           Practitioner.uuid.label("practitioner"), Practitioner.mname.label("mname"),
           Practitioner.title.label("title"), Practitioner.suffix.label("suffix"),
           Practitioner.email.label("work_email"), Practitioner.phone.label("phone"),
           Practitioner.phonew1.label("phonew1"), Practitioner.phonecell.label("phonecell"),
           Practitioner.fax.label("fax"), Practitioner.street.label("street"),
           Practitioner.streetb.label("streetb"), Practitioner.city.label("city"),
           Practitioner.state.label("state"), Practitioner.zip.label("zip"),
           # Sort keys: a user's names may be missing, a key never is.
           func.coalesce(User.lname, "").label("family_key"),
           func.coalesce(User.fname, "").label("given_key"))
    .select_from(User)
    .outerjoin(Practitioner, Practitioner.id == _LINKED)
).subquery("person")


class PersonRow:
    """One user as the join gives it: the account's columns, and the practitioner's
    (`practitioner` its uuid) or None."""


mapper_registry().map_imperatively(PersonRow, PEOPLE, primary_key=[PEOPLE.c.id])


def _active(system, code):
    if system is not None or code not in ("true", "false"):
        return None
    return PersonRow.active.is_(code == "true")


# Emails compare case-insensitively; numbers as written.
_email = any_column([codes(func.lower(PersonRow.email), None, fold=True),
                     codes(func.lower(PersonRow.work_email), None, fold=True)])
_phones = any_column([codes(column, None) for column in (
    PersonRow.phone, PersonRow.phonew1, PersonRow.phonecell)])
_fax = codes(PersonRow.fax, None)


def _telecom(system, code):
    """A ContactPoint token: `value` (any contact detail), or `email|value`,
    `phone|value`, `fax|value` (the ContactPoint's system)."""
    matchers = {"email": [_email], "phone": [_phones], "fax": [_fax]}.get(system) \
        if system else [_email, _phones, _fax]
    found = [c for m in matchers or [] if (c := m(None, code)) is not None]
    return or_(*found) if found else None


PARAMS = {
    "name": Param("name", "string", (PersonRow.lname, PersonRow.fname, PersonRow.mname)),
    "family": Param("family", "string", (PersonRow.lname,)),
    "given": Param("given", "string", (PersonRow.fname, PersonRow.mname)),
    "email": Param("email", "token", (PersonRow.email,), token=_email),
    "phone": Param("phone", "token", (PersonRow.phone,), token=_phones),
    "telecom": Param("telecom", "token", (PersonRow.email,), token=_telecom),
    "address": Param("address", "string", (PersonRow.street, PersonRow.streetb, PersonRow.city,
                                           PersonRow.state, PersonRow.zip)),
    "address-city": Param("address-city", "string", (PersonRow.city,)),
    "address-state": Param("address-state", "string", (PersonRow.state,)),
    "address-postalcode": Param("address-postalcode", "string", (PersonRow.zip,)),
    "active": Param("active", "token", (PersonRow.active,), token=_active),
}
SORT = {"family": PersonRow.family_key, "given": PersonRow.given_key}


def _present(items):
    return [item for item in items if item]


def to_fhir(row: PersonRow) -> dict:
    name = {"use": "official"}
    if row.lname:
        name["family"] = row.lname
    if given := _present([row.fname, row.mname]):
        name["given"] = given
    if row.title:
        name["prefix"] = [row.title]
    if row.suffix:
        name["suffix"] = [row.suffix]
    emails = _present([row.email, row.work_email if row.work_email and (
        not row.email or row.work_email.casefold() != row.email.casefold()) else None])
    telecom = _present([
        row.phone and {"system": "phone", "value": row.phone, "use": "work"},
        row.phonew1 and {"system": "phone", "value": row.phonew1, "use": "work"},
        row.phonecell and {"system": "phone", "value": row.phonecell, "use": "mobile"},
        row.fax and {"system": "fax", "value": row.fax, "use": "work"},
        *({"system": "email", "value": e, "use": "work"} for e in emails),
    ])
    address = {k: v for k, v in {
        "use": "work", "line": _present([row.street, row.streetb]) or None,
        "city": row.city or None, "state": row.state or None, "postalCode": row.zip or None,
    }.items() if v}
    resource = {
        "resourceType": "Person",
        "id": row.uuid,
        "meta": {"versionId": "1"},
        "name": [name] if len(name) > 1 else [],
        "telecom": telecom,
        "address": [address] if len(address) > 1 else [],
        "active": bool(row.active),
        "link": [{"target": {"reference": f"Practitioner/{row.practitioner}"}}]
        if row.practitioner else [],
    }
    return {k: v for k, v in resource.items() if v != []}


PROVIDER = Provider(
    type="Person",
    model=PersonRow,
    params=PARAMS,
    sort=SORT,
    # The practice's accounts are no patient's record: a patient-context caller finds none
    # (its practitioners it reads as Practitioner).
    owner=lambda puuid: false(),
    represent=lambda session, rows: [to_fhir(row) for row in rows],
    patient_of=lambda resource: None,
    updated_column_name=None,
)
read, search, search_query, search_form = bind(PROVIDER)
