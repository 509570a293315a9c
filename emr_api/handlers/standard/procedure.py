"""Standard API: /procedure and /procedure/{uuid}, OpenEMR's procedure orders.

One row per order: the `procedure_order` columns, the uuids of its patient, encounter and
ordering provider (`puuid`, `euuid`, `pruuid`), and in `codes` each test ordered with the
laboratory's reports on it (`reports`) and their results (`results`). `order_diagnosis`
and a test's `diagnoses` are split as OpenEMR's API splits them ([[codetype, code], ...])."""

from __future__ import annotations

from emr_api.handlers.standard import access, fields_of, listing, ok, reading, touched_patient
from emr_api.services import procedures
from emr_api.services.procedures import Details, Test

# What these operations search (checked against the YAML by a test).
RESOURCE = procedures.SPEC
ORDER = ("procedure_order_id", "uuid", "provider_id", "patient_id", "encounter_id",
         "date_collected", "date_ordered", "order_priority", "order_status",
         "patient_instructions", "control_id", "lab_id", "specimen_type", "specimen_location",
         "specimen_volume", "specimen_fasting", "date_transmitted", "clinical_hx",
         "external_id", "history_order", "procedure_order_type", "order_intent",
         "scheduled_date")
TEST = ("procedure_order_seq", "procedure_code", "procedure_name", "procedure_source",
        "procedure_order_title", "procedure_type")
REPORT = ("procedure_report_id", "uuid", "date_collected", "date_collected_tz", "date_report",
          "date_report_tz", "source", "specimen_num", "report_status", "review_status",
          "report_notes")
RESULT = ("procedure_result_id", "uuid", "result_data_type", "result_code", "result_text",
          "date", "facility", "units", "result", "range", "abnormal", "comments",
          "document_id", "result_status", "date_end")


def _test(test: Test) -> dict:
    return {
        **fields_of(test.code, TEST),
        "standard_code": test.standard_code,
        "do_not_send": 1 if test.code.do_not_send else 0,
        "diagnoses": procedures.parse_codes(test.code.diagnoses),
        "reports": [{**fields_of(report, REPORT),
                     "results": [fields_of(result, RESULT) for result in results]}
                    for report, results in test.reports],
    }


def to_api(order, details: Details) -> dict:
    puuid, euuid, pruuid = details.uuids[order.procedure_order_id]
    return {
        **fields_of(order, ORDER),
        "activity": 1 if order.activity else 0,
        "order_diagnosis": procedures.parse_codes(order.order_diagnosis),
        "puuid": puuid,
        "euuid": euuid,
        "pruuid": pruuid,
        "codes": [_test(test) for test in details.tests.get(order.procedure_order_id, [])],
    }


def represent(session, orders) -> list[dict]:
    found = procedures.details(session, orders)
    return [to_api(order, found) for order in orders]


def search_procedures(_limit=None, _offset=None, _sort=None, user=None, token_info=None):
    with reading() as s:
        page = procedures.search(s, access(), sort=_sort, limit=_limit, offset=_offset)
        items = represent(s, page.items)
    return listing(page, items, "/procedure", {"_sort": _sort})


def get_procedure(uuid, user=None, token_info=None):
    with reading() as s:
        order = procedures.find(s, access(), uuid)
        answer = represent(s, [order])[0]
    touched_patient(answer["puuid"])
    return ok(answer)
