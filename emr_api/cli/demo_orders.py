"""Demo data of the orders family: a specimen (procedure_specimen) for most tests of the
demo's collected laboratory orders, made once per test, in bulk. The orders, reports and
results themselves are made by `demo.demo_immunizations_procedures`."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import and_, select

from emr_api.db.models import (
    ProcedureOrder,
    ProcedureOrderCode,
    ProcedureReport,
    ProcedureSpecimen,
    new_uuid,
    utcnow,
)

# HL7 table 0487 (the order's specimen_type) -> a SNOMED CT specimen type, how it is
# collected (SNOMED CT) and a usual volume in mL.
SPECIMENS = {
    "BLD": ("119297000", "Blood specimen", "28520004", "Venipuncture for blood test", 4),
    "SER": ("119364003", "Serum specimen", "28520004", "Venipuncture for blood test", 5),
    "PLAS": ("119361006", "Plasma specimen", "28520004", "Venipuncture for blood test", 5),
    "UR": ("122575003", "Urine specimen", None, None, 30),
}


def demo_orders(site, *, seed: int = 7, batch: int = 5000) -> dict:
    """A specimen for about nineteen in twenty tests of the collected orders that have none
    yet: its type from the order's specimen type, the laboratory's accession number from
    the test's report (else a new one), collected when the order says."""
    rng = random.Random(f"{seed}-specimens")
    made = {"procedure_specimens": 0}
    taken = select(ProcedureSpecimen.procedure_specimen_id).where(
        ProcedureSpecimen.procedure_order_id == ProcedureOrderCode.procedure_order_id,
        ProcedureSpecimen.procedure_order_seq == ProcedureOrderCode.procedure_order_seq)
    with site.db.read() as s:
        tests = s.execute(
            select(ProcedureOrderCode.procedure_order_id, ProcedureOrderCode.procedure_order_seq,
                   ProcedureOrder.specimen_type, ProcedureOrder.date_collected,
                   ProcedureReport.specimen_num)
            .join(ProcedureOrder,
                  ProcedureOrder.procedure_order_id == ProcedureOrderCode.procedure_order_id)
            .outerjoin(ProcedureReport, and_(
                ProcedureReport.procedure_order_id == ProcedureOrderCode.procedure_order_id,
                ProcedureReport.procedure_order_seq == ProcedureOrderCode.procedure_order_seq))
            .where(ProcedureOrder.date_collected.is_not(None), ~taken.exists())
            .order_by(ProcedureOrderCode.procedure_order_id,
                      ProcedureOrderCode.procedure_order_seq)).all()
    now = utcnow()
    rows = []
    seen = set()
    for test in tests:
        key = (test.procedure_order_id, test.procedure_order_seq)
        if key in seen:  # a test reported twice: one specimen
            continue
        seen.add(key)
        if (test.procedure_order_id * 7 + test.procedure_order_seq) % 20 == 0:
            continue  # one test in twenty has none, on every run alike
        kind = SPECIMENS.get(test.specimen_type)
        type_code, type_name, method_code, method, volume = kind or (None, None, None, None,
                                                                     None)
        rows.append({
            "uuid": new_uuid(), "procedure_order_id": test.procedure_order_id,
            "procedure_order_seq": test.procedure_order_seq,
            "specimen_identifier": f"SP-{test.procedure_order_id}-{test.procedure_order_seq}",
            "accession_identifier": test.specimen_num or f"ACC{rng.randint(10 ** 6, 10 ** 7 - 1)}",
            "specimen_type_code": type_code, "specimen_type": type_name,
            "collection_method_code": method_code, "collection_method": method,
            "specimen_location_code": None, "specimen_location": None,
            "collected_date": test.date_collected,
            "collection_date_low": test.date_collected,
            "collection_date_high": test.date_collected + timedelta(minutes=5),
            "volume_value": volume, "volume_unit": "mL" if volume else None,
            "condition_code": None, "specimen_condition": None, "comments": None,
            "date_created": test.date_collected, "date_updated": now, "deleted": False})
    for start in range(0, len(rows), batch):
        with site.db.write() as s:
            s.connection().execute(ProcedureSpecimen.__table__.insert(),
                                   rows[start:start + batch])
        made["procedure_specimens"] += len(rows[start:start + batch])
    return made
