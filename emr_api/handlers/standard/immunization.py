"""Standard API: /immunization and /immunization/{uuid}, OpenEMR's `immunizations`.

The row is what OpenEMR's ImmunizationService answers: the columns with what it joins
(`puuid`, `cvx_code_text`, `site_display`/`site_code`, `refusal_reason_*`, `provider_*`)
and `primarySource`; then the row's other columns (`pid`, `vis_date`, `update_date`, ...).
Every date is ISO 8601 with its UTC offset, as OpenEMR formats its immunization dates."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, time

from emr_api.handlers.standard import access, fields_of, listing, ok, reading, touched_patient
from emr_api.services import immunizations
from emr_api.services.immunizations import Extras

# What these operations search (checked against the YAML by a test).
RESOURCE = immunizations.SPEC
COLUMNS = ("id", "uuid", "cvx_code", "manufacturer", "lot_number", "administered_by_id",
           "administered_by", "note", "amount_administered", "amount_administered_unit",
           "route", "administration_site", "completion_status", "reason_code",
           "refusal_reason", "immunization_id", "created_by", "updated_by", "external_id",
           "information_source", "ordering_provider", "reason_description", "encounter_id")
MOMENTS = ("administered_date", "education_date", "create_date", "expiration_date",
           "vis_date", "update_date")


def moment(value: date | datetime | None) -> str | None:
    """A stored UTC date or time as OpenEMR formats these (PHP's `date('c')`)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    return value.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def to_api(row, extra: Extras) -> dict:
    return {
        **fields_of(row, COLUMNS),
        **{name: moment(getattr(row, name)) for name in MOMENTS},
        "added_erroneously": 1 if row.added_erroneously else 0,
        "primarySource": immunizations.primary_source(row),
        "pid": row.patient_id,
        **asdict(extra),
    }


def represent(session, rows) -> list[dict]:
    found = immunizations.extras(session, rows)
    return [to_api(row, found[row.id]) for row in rows]


def search_immunizations(_limit=None, _offset=None, _sort=None, user=None, token_info=None,
                         **filters):
    with reading() as s:
        page = immunizations.search(s, access(), filters, sort=_sort, limit=_limit,
                                    offset=_offset)
        items = represent(s, page.items)
    return listing(page, items, "/immunization", {**filters, "_sort": _sort})


def get_immunization(uuid, user=None, token_info=None):
    with reading() as s:
        row = immunizations.find(s, access(), uuid)
        answer = represent(s, [row])[0]
    touched_patient(answer["puuid"])
    return ok(answer)
