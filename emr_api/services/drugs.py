"""The formulary (OpenEMR's `drugs`): the drugs a prescription may name, with their RxNorm
code (`drug_code`), NDC, form, strength, unit and route. Read only through the API, and not
patient data: every caller with the ACL sees the same formulary."""

from __future__ import annotations

from emr_api.db.models import Drug
from emr_api.services.resources import Match, ResourceSpec

SPEC = ResourceSpec(
    name="drug",
    model=Drug,
    id_name="uuid",
    writable=(),
    # The name matches from the start, case-insensitively; codes and options exactly.
    search={"name": Match.PREFIX, "ndc_number": Match.EXACT, "drug_code": Match.EXACT,
            "form": Match.EXACT, "route": Match.EXACT, "active": Match.FLAG},
    sort=("drug_id", "name", "ndc_number", "drug_code"),
    default_order="drug_id",
)
