"""FHIR MedicationRequest (US Core 6.1 MedicationRequest) from OpenEMR's prescriptions.

The status follows the Standard service (`stopped` once discontinued, `completed` after its
end date, else `active`); intent and category are the row's (`order` and `community` when
it named none). A prescription of a formulary drug refers to its Medication; any other
carries its RxNorm code with the drug's name as text. The dosage instruction is written in
words from the dose, form, route and interval (OpenEMR's list options), with a timing where
the interval says one; refills and quantity make the dispense request."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, or_, select

from emr_api.db.models import Drug, Encounter, Practitioner, Prescription, utcnow
from emr_api.handlers.fhir import codes
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, codes as stored_codes, instant
from emr_api.services import prescriptions

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationrequest"
STATUS = "http://hl7.org/fhir/CodeSystem/medicationrequest-status"
INTENT = "http://hl7.org/fhir/CodeSystem/medicationrequest-intent"
CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
CATEGORY_DISPLAYS = {"inpatient": "Inpatient", "outpatient": "Outpatient",
                     "community": "Community", "discharge": "Discharge"}
# OpenEMR's drug_interval options (by title) as a Timing's repeat; `p.r.n.` is asNeeded.
DAILY = {"q.d.": 1, "b.i.d.": 2, "t.i.d.": 3, "q.i.d.": 4}
HOURLY = {"q.3h": 3, "q.4h": 4, "q.5h": 5, "q.6h": 6, "q.8h": 8}
WHEN = {"a.c.": "AC", "p.c.": "PC", "h.s.": "HS", "a.m.": "MORN", "p.m.": "EVE"}
AS_NEEDED = "p.r.n."


def _status(system, code):
    if system not in (None, STATUS):
        return None
    today = utcnow().date()
    running = Prescription.active.is_(True)
    if code == "stopped":
        return Prescription.active.is_(False)
    if code == "completed":
        return and_(running, Prescription.end_date < today)
    if code == "active":
        return and_(running, or_(Prescription.end_date.is_(None), Prescription.end_date >= today))
    if code == "":
        return Prescription.id.is_not(None)
    return None


def _of_patient(uuid: str):
    return prescriptions.SPEC.owner(uuid)


def _in_encounter(uuid: str):
    return select(Encounter.eid).where(
        Encounter.uuid == uuid, Encounter.pid == Prescription.patient_id,
        Encounter.encounter == Prescription.encounter).exists()


def _by_uuid(model, key, column):
    return lambda uuid: column.in_(select(key).where(model.uuid == uuid))


PARAMS = {
    "patient": Param("patient", "reference", (Prescription.patient_id,), reference=_of_patient,
                     targets=("Patient",), element="subject"),
    "intent": Param("intent", "token", (Prescription.request_intent,),
                    token=stored_codes(Prescription.request_intent, INTENT)),
    "status": Param("status", "token", (Prescription.active,), token=_status),
    "encounter": Param("encounter", "reference", (Prescription.encounter,),
                       reference=_in_encounter, targets=("Encounter",)),
    "authoredon": Param("authoredon", "date", (Prescription.date_added,)),
    "requester": Param("requester", "reference", (Prescription.provider_id,),
                       reference=_by_uuid(Practitioner, Practitioner.id,
                                          Prescription.provider_id),
                       targets=("Practitioner",)),
    "medication": Param("medication", "reference", (Prescription.drug_id,),
                        reference=_by_uuid(Drug, Drug.drug_id, Prescription.drug_id),
                        targets=("Medication",), element="medicationReference"),
}
SORT = {"authoredon": Prescription.date_added}


def _number(text: str | None):
    """A stored decimal text as a JSON number (None when it is not one)."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _quantity(text: str | None, unit: str | None) -> dict | None:
    value = _number(text)
    if value is None:
        return None
    return {"value": value, "unit": unit} if unit else {"value": value}


def _words(option) -> str | None:
    """An option in words: its notes (`By mouth`) when it has them, else its title."""
    if option is None:
        return None
    return option.notes or option.title


def dosage(row: Prescription, options: dict) -> dict | None:
    form = options.get(("drug_form", row.form))
    route = options.get(("drug_route", row.route))
    interval = options.get(("drug_interval", row.interval))
    form_name = form.title if form else None
    # `1 tablet by mouth once a day`: the options' words in lower case, inside a sentence.
    words = [(_words(option) or "").lower() for option in (route, interval)]
    parts = [row.dosage, form_name, *words]
    text = " ".join(p.strip() for p in parts if p and p.strip())
    found = {}
    if text:
        found["text"] = text[:1].upper() + text[1:]
    elif row.drug_dosage_instructions:
        found["text"] = row.drug_dosage_instructions
    if row.drug_dosage_instructions:
        found["patientInstruction"] = row.drug_dosage_instructions
    timing = _timing(row, interval.title if interval else None)
    if timing:
        found["timing"] = timing
    if interval is not None and interval.title == AS_NEEDED:
        found["asNeededBoolean"] = True
    if route is not None:
        found["route"] = {"text": _words(route)}
    dose = _quantity(row.dosage, form_name)
    if dose:
        found["doseAndRate"] = [{"doseQuantity": dose}]
    return found or None


def _timing(row: Prescription, interval: str | None) -> dict | None:
    repeat = {}
    if row.start_date or row.end_date:
        repeat["boundsPeriod"] = {k: v.isoformat() for k, v in
                                  (("start", row.start_date), ("end", row.end_date)) if v}
    if interval in DAILY:
        repeat.update(frequency=DAILY[interval], period=1, periodUnit="d")
    elif interval in HOURLY:
        repeat.update(frequency=1, period=HOURLY[interval], periodUnit="h")
    elif interval in WHEN:
        repeat["when"] = [WHEN[interval]]
    timing = {"repeat": repeat} if repeat else {}
    if interval:
        timing["code"] = {"text": interval}
    return timing or None


def to_fhir(row: Prescription, found: prescriptions.Details) -> dict:
    intent = row.request_intent or "order"
    category = row.usage_category or "community"
    resource = {
        "resourceType": "MedicationRequest",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.date_modified),
                 "profile": [US_CORE]},
        "status": prescriptions.status(row),
        "intent": intent,
        "category": [{"coding": [{"system": CATEGORY, "code": category,
                                  "display": CATEGORY_DISPLAYS.get(category, category)}],
                      "text": prescriptions.CATEGORY_TITLES.get(category, category)}],
        "reportedBoolean": False,
    }
    drug = found.drugs.get(row.drug_id)
    if drug:
        resource["medicationReference"] = {"reference": f"Medication/{drug}",
                                           "display": row.drug}
    else:
        resource["medicationCodeableConcept"] = codes.concept(
            f"RXNORM:{row.rxnorm_drugcode}" if row.rxnorm_drugcode else None, row.drug)
    resource["subject"] = {"reference": f"Patient/{found.patients[row.patient_id]}"}
    visit = found.encounters.get((row.patient_id, row.encounter))
    if visit:
        resource["encounter"] = {"reference": f"Encounter/{visit}"}
    resource["authoredOn"] = instant(row.date_added)
    prescriber = found.providers.get(row.provider_id)
    if prescriber:
        resource["requester"] = {"reference": f"Practitioner/{prescriber}"}
    reasons = codes.codings(row.diagnosis)
    if reasons:
        resource["reasonCode"] = [{"coding": reasons}]
    if row.note:
        resource["note"] = [{"text": row.note}]
    instruction = dosage(row, found.options)
    if instruction:
        resource["dosageInstruction"] = [instruction]
    form = found.options.get(("drug_form", row.form))
    dispense = {"numberOfRepeatsAllowed": row.refills or 0}
    quantity = _quantity(row.quantity, form.title if form else None)
    if quantity:
        dispense["quantity"] = quantity
    resource["dispenseRequest"] = dispense
    return resource


def represent(session, rows) -> list[dict]:
    found = prescriptions.details(session, rows)
    return [to_fhir(row, found) for row in rows]


PROVIDER = Provider(
    type="MedicationRequest",
    model=Prescription,
    params=PARAMS,
    sort=SORT,
    owner=_of_patient,
    represent=represent,
    updated_column_name="date_modified",
)
read, search, search_query, search_form = bind(PROVIDER)
