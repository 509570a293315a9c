"""FHIR Observation from two of OpenEMR's tables, as one type:

- vital signs (US Core's vital-sign profiles) from `form_vitals`, where one row holds many
  measurements: each measurement present is an Observation of its own, with the profile
  that fits it, and the id `<row uuid>-<measure>` (`...-bp`, `...-weight`);
- laboratory results (US Core Laboratory Result Observation) from `procedure_result`, with
  the patient of its order, its id the result's uuid;
- social history (category `social-history`): the smoking status (US Core Smoking Status)
  of each saved `history_data` row whose `tobacco` names a status, id `<row uuid>-smoking`;
  the patient's sexual orientation (US Core Observation Sexual Orientation) from
  `patient_data.sexual_orientation`, id `<patient uuid>-sexual-orientation`; and each
  occupation of the patient's employer rows (US Core Observation Occupation) from
  `employer_data.occupation` and `industry` (OpenEMR's ODH list options), id
  `<employer row uuid>-occupation`, effective from its start date to its end date.

How one type searches two tables and a fan-out: `OBSERVATIONS` is a UNION ALL of one
SELECT per vital-sign measure (the rows where that measure was taken) and one over the
laboratory results, with the columns a search needs (id, category, code, status, patient,
dates). A class mapped onto that union is the Provider's model, so the generic search,
the patient narrowing, the total and the keyset paging (by the union's unique `id`, or a
sort key and `id`) run on it unchanged: one result is one row of the union, never a page
of stored rows that would grow into more resources than `_count`. The databases push the
search's conditions down into each SELECT. A read or `_id` search splits the id
(`Provider.id_clause`) into the stored row's uuid and the measure, so it is an index
lookup, not a scan of the union's computed ids.

Units are those OpenEMR documents for its vitals form (lb, in, °F) as UCUM; laboratory
results carry their own UCUM unit. A result with no date at all (not collected, reported
or ordered) cannot be placed in time and is not served."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import DateTime, String, and_, case, false, func, literal_column, or_, select, \
    true, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import registry as mapper_registry
from sqlalchemy.sql.functions import FunctionElement

from emr_api.db.models import (
    EmployerData,
    Encounter,
    EncounterForm,
    HistoryData,
    ListOption,
    Patient,
    ProcedureOrder,
    ProcedureReport,
    ProcedureResult,
    Vital,
)
from emr_api.handlers.fhir import codes as stored_codes
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, codes, instant

PROFILES = "http://hl7.org/fhir/us/core/StructureDefinition/"
LAB_PROFILE = PROFILES + "us-core-observation-lab"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
STATUS = "http://hl7.org/fhir/observation-status"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
ABSENT_REASON = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                       "data-absent-reason", "code": "unknown",
                             "display": "Unknown"}]}
SNOMED = "http://snomed.info/sct"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
VITAL_SIGNS, LABORATORY, SOCIAL = "vital-signs", "laboratory", "social-history"
CATEGORIES = {VITAL_SIGNS: "Vital Signs", LABORATORY: "Laboratory", SOCIAL: "Social History"}


@dataclass(frozen=True)
class Social:
    """One kind of social-history Observation: its id suffix, LOINC code and profile."""

    kind: str
    loinc: str
    display: str
    profile: str


SMOKING = Social("smoking", "72166-2", "Tobacco smoking status", "us-core-smokingstatus")
ORIENTATION = Social("sexual-orientation", "76690-7", "Sexual orientation",
                     "us-core-observation-sexual-orientation")
OCCUPATION = Social("occupation", "11341-5", "History of Occupation",
                    "us-core-observation-occupation")
SOCIALS = {s.kind: s for s in (SMOKING, ORIENTATION, OCCUPATION)}
# CDC's Occupational Data for Health: OpenEMR's OccupationODH and IndustryODH list options
# are its codes (services/employers.py).
ODH = "urn:oid:2.16.840.1.114222.4.5.327"
INDUSTRY = ("86188-0", "History of Occupation industry")
# The status part of OpenEMR's `tobacco` (`<note>|<status>|<date>[|<smoking_status>]`) ->
# SNOMED CT, when its smoking_status list option (the fourth part) names no finer one.
TOBACCO_STATUS = {"currenttobacco": ("77176002", "Smoker"),
                  "quittobacco": ("8517006", "Ex-smoker"),
                  "nevertobacco": ("266919005", "Never smoked tobacco")}
# OpenEMR's smoking_status list (option id -> its SNOMED CT code and title).
SMOKING_STATUS = {"1": ("449868002", "Current every day smoker"),
                  "2": ("428041000124106", "Current some day smoker"),
                  "3": ("8517006", "Former smoker"),
                  "4": ("266919005", "Never smoker"),
                  "5": ("77176002", "Smoker, current status unknown"),
                  "9": ("266927001", "Unknown if ever smoked"),
                  "15": ("428071000124103", "Heavy tobacco smoker"),
                  "16": ("428061000124105", "Light tobacco smoker")}
# OpenEMR's sexual_orientation list, by the codes US Core binds (SNOMED CT, or a v3
# NullFlavor for "something else", "don't know", "choose not to disclose"); a value stored
# as another option id of that list is read through the option's own `codes` and title.
ORIENTATIONS = {"20430005": (SNOMED, "Heterosexual"), "38628009": (SNOMED, "Homosexual"),
                "42035005": (SNOMED, "Bisexual"), "OTH": (NULL_FLAVOR, "other"),
                "UNK": (NULL_FLAVOR, "unknown"), "ASKU": (NULL_FLAVOR, "asked but unknown")}


@dataclass(frozen=True)
class Measure:
    """One vital sign of the vitals form: its id suffix, LOINC code, US Core profile, the
    column holding it (None: blood pressure, from `bps` and `bpd`) and its UCUM unit."""

    kind: str
    loinc: str
    display: str
    profile: str
    column: str | None
    unit: str
    ucum: str


MEASURES = (
    Measure("bp", "85354-9", "Blood pressure panel with all children optional",
            "us-core-blood-pressure", None, "mmHg", "mm[Hg]"),
    Measure("weight", "29463-7", "Body weight", "us-core-body-weight", "weight",
            "lb", "[lb_av]"),
    Measure("height", "8302-2", "Body height", "us-core-body-height", "height", "in", "[in_i]"),
    Measure("bmi", "39156-5", "Body mass index (BMI) [Ratio]", "us-core-bmi", "BMI",
            "kg/m2", "kg/m2"),
    Measure("temp", "8310-5", "Body temperature", "us-core-body-temperature", "temperature",
            "degF", "[degF]"),
    Measure("pulse", "8867-4", "Heart rate", "us-core-heart-rate", "pulse",
            "beats/minute", "/min"),
    Measure("resp", "9279-1", "Respiratory rate", "us-core-respiratory-rate", "respiration",
            "breaths/minute", "/min"),
    Measure("spo2", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry",
            "us-core-pulse-oximetry", "oxygen_saturation", "%", "%"),
    Measure("head", "9843-4", "Head Occipital-frontal circumference",
            "us-core-head-circumference", "head_circ", "in", "[in_i]"),
    Measure("ped-bmi", "59576-9", "Body mass index (BMI) [Percentile] Per age and sex",
            "us-core-pediatric-bmi-for-age", "ped_bmi", "%", "%"),
    Measure("ped-wfl", "77606-2", "Weight-for-length Per age and sex",
            "us-core-pediatric-weight-for-height", "ped_weight_height", "%", "%"),
    Measure("ped-head", "8289-1", "Head Occipital-frontal circumference Percentile",
            "us-core-head-occipital-frontal-circumference-percentile", "ped_head_circ",
            "%", "%"),
)
BY_KIND = {m.kind: m for m in MEASURES}
# Pulse oximetry carries two codes (US Core asks for both); a search for either finds it.
SPO2_ALSO = ("2708-6", "Oxygen saturation in Arterial blood")
BP_PARTS = (("8480-6", "Systolic blood pressure", "bps"),
            ("8462-4", "Diastolic blood pressure", "bpd"))
OXYGEN_PARTS = (("3151-8", "Inhaled oxygen flow rate", "oxygen_flow_rate", "L/min", "L/min"),
                ("3150-0", "Inhaled oxygen concentration", "inhaled_oxygen_concentration",
                 "%", "%"))
# OpenEMR's result (or report) status -> FHIR's observation-status.
LAB_STATUS = {"final": "final", "prelim": "preliminary", "preliminary": "preliminary",
              "correct": "corrected", "corrected": "corrected", "cancel": "cancelled",
              "canceled": "cancelled", "cancelled": "cancelled", "error": "entered-in-error",
              "registered": "registered", "amended": "amended"}
# OpenEMR's abnormal flag -> v3 ObservationInterpretation.
ABNORMAL = {"high": ("H", "High"), "h": ("H", "High"), "low": ("L", "Low"), "l": ("L", "Low"),
            "no": ("N", "Normal"), "n": ("N", "Normal"), "yes": ("A", "Abnormal"),
            "a": ("A", "Abnormal"), "vhigh": ("HH", "Critical high"),
            "vlow": ("LL", "Critical low")}


def _text(value: str):
    # Our own constants only (never a caller's value): inline, so every branch of the
    # union has the same column types on every database.
    assert re.fullmatch(r"[A-Za-z0-9.\-]*", value)
    return literal_column(f"'{value}'", String)


def _taken(column):
    return and_(column.is_not(None), column != "") if column.type.python_type is str \
        else column.is_not(None)


def _vital_branch(measure: Measure):
    if measure.column is None:
        present = or_(_taken(Vital.bps), _taken(Vital.bpd))
    else:
        present = _taken(getattr(Vital, measure.column))
    return select(
        (Vital.uuid + _text(f"-{measure.kind}")).label("id"),
        Vital.uuid.label("row_uuid"),
        _text(measure.kind).label("kind"),
        _text(VITAL_SIGNS).label("category"),
        _text(measure.loinc).label("code"),
        _text("final").label("status"),
        Vital.pid.label("pid"),
        Patient.uuid.label("puuid"),
        Vital.date.label("effective"),
        Vital.date.label("sort_date"),
        Vital.last_updated.label("last_updated"),
    ).join(Patient, Patient.pid == Vital.pid).where(Vital.activity == true(), present)


def _lab_branch():
    stored = func.coalesce(func.nullif(ProcedureResult.result_status, ""),
                           ProcedureReport.report_status)
    status = case(*((func.lower(stored) == _text(ours), _text(fhir))
                    for ours, fhir in LAB_STATUS.items()), else_=_text("unknown"))
    effective = func.coalesce(ProcedureResult.date, ProcedureReport.date_collected,
                              ProcedureOrder.date_collected)
    placed = func.coalesce(ProcedureResult.date, ProcedureReport.date_collected,
                           ProcedureOrder.date_collected, ProcedureReport.date_report,
                           ProcedureOrder.date_ordered)
    changed = func.coalesce(ProcedureReport.date_report, ProcedureResult.date,
                            ProcedureReport.date_collected, ProcedureOrder.date_collected,
                            ProcedureOrder.date_ordered)
    return select(
        ProcedureResult.uuid.label("id"),
        ProcedureResult.uuid.label("row_uuid"),
        _text("").label("kind"),
        _text(LABORATORY).label("category"),
        ProcedureResult.result_code.label("code"),
        status.label("status"),
        ProcedureOrder.patient_id.label("pid"),
        Patient.uuid.label("puuid"),
        effective.label("effective"),
        placed.label("sort_date"),
        changed.label("last_updated"),
    ).select_from(ProcedureResult).join(
        ProcedureReport,
        ProcedureReport.procedure_report_id == ProcedureResult.procedure_report_id,
    ).join(
        ProcedureOrder, ProcedureOrder.procedure_order_id == ProcedureReport.procedure_order_id,
    ).join(Patient, Patient.pid == ProcedureOrder.patient_id).where(ProcedureOrder.activity == true(), placed.is_not(None))


def _smoking_branch():
    named = or_(*(HistoryData.tobacco.like(f"%|{status}|%") for status in TOBACCO_STATUS))
    return select(
        (HistoryData.uuid + _text(f"-{SMOKING.kind}")).label("id"),
        HistoryData.uuid.label("row_uuid"),
        _text(SMOKING.kind).label("kind"),
        _text(SOCIAL).label("category"),
        _text(SMOKING.loinc).label("code"),
        _text("final").label("status"),
        HistoryData.pid.label("pid"),
        Patient.uuid.label("puuid"),
        HistoryData.date.label("effective"),
        HistoryData.date.label("sort_date"),
        HistoryData.date.label("last_updated"),
    ).join(Patient, Patient.pid == HistoryData.pid).where(named)


def _orientation_branch():
    # The patient's record keeps no time of its own for this answer: the record's change
    # time stands for when it was last stated.
    return select(
        (Patient.uuid + _text(f"-{ORIENTATION.kind}")).label("id"),
        Patient.uuid.label("row_uuid"),
        _text(ORIENTATION.kind).label("kind"),
        _text(SOCIAL).label("category"),
        _text(ORIENTATION.loinc).label("code"),
        _text("final").label("status"),
        Patient.pid.label("pid"),
        Patient.uuid.label("puuid"),
        Patient.last_updated.label("effective"),
        Patient.last_updated.label("sort_date"),
        Patient.last_updated.label("last_updated"),
    ).where(_taken(Patient.sexual_orientation))


class _AsDateTime(FunctionElement):
    """A date column as a date-time at its midnight, stored as the date-time columns of the
    same database are (so a union of the two compares and reads alike)."""

    type = DateTime()
    inherit_cache = True


@compiles(_AsDateTime)
def _as_datetime(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS TIMESTAMP)"


@compiles(_AsDateTime, "mysql")
@compiles(_AsDateTime, "mariadb")
def _as_datetime_mysql(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATETIME)"


@compiles(_AsDateTime, "sqlite")
def _as_datetime_sqlite(element, compiler, **kw):
    # SQLAlchemy keeps SQLite's date-times as `YYYY-MM-DD HH:MM:SS.ffffff` text.
    return f"({compiler.process(element.clauses, **kw)} || ' 00:00:00.000000')"


def _occupation_branch():
    return select(
        (EmployerData.uuid + _text(f"-{OCCUPATION.kind}")).label("id"),
        EmployerData.uuid.label("row_uuid"),
        _text(OCCUPATION.kind).label("kind"),
        _text(SOCIAL).label("category"),
        _text(OCCUPATION.loinc).label("code"),
        _text("final").label("status"),
        EmployerData.pid.label("pid"),
        Patient.uuid.label("puuid"),
        _AsDateTime(EmployerData.start_date).label("effective"),
        EmployerData.date.label("sort_date"),
        EmployerData.date.label("last_updated"),
    ).join(Patient, Patient.pid == EmployerData.pid).where(_taken(EmployerData.occupation))


OBSERVATIONS = union_all(*(_vital_branch(m) for m in MEASURES), _lab_branch(),
                         _smoking_branch(), _orientation_branch(), _occupation_branch(),
                         ).subquery("observation")


class ObservationRow:
    """One Observation as the union gives it: `id` (public), `row_uuid` and `kind` (the
    stored row and, for a vital sign, its measure; `""` for a laboratory result),
    `category`, `code` (LOINC), `status`, `pid` and `puuid` (the patient), `effective` (may be null for a result),
    `sort_date` and `last_updated` (never null)."""


mapper_registry().map_imperatively(ObservationRow, OBSERVATIONS,
                                   primary_key=[OBSERVATIONS.c.id])


# Every id suffix, the longest first (`-ped-bmi` before `-bmi`).
SUFFIXES = sorted([*BY_KIND, *SOCIALS], key=len, reverse=True)


def _by_id(id_: str):
    """`<uuid>-<kind>` is a vital sign or a social-history Observation (by the stored row's
    uuid), any other id a laboratory result's uuid."""
    for kind in SUFFIXES:
        suffix = f"-{kind}"
        if id_.endswith(suffix) and len(id_) > len(suffix):
            return and_(ObservationRow.row_uuid == id_[:-len(suffix)],
                        ObservationRow.kind == kind)
    return and_(ObservationRow.row_uuid == id_, ObservationRow.category == LABORATORY)


def _of_patient(uuid: str):
    # The patient's uuid is a column of the union (not `pid IN (SELECT ...)`), so that
    # every database pushes the comparison down into each SELECT: an index lookup of the
    # patient, then their rows by the `pid` indexes, never a scan of every patient's.
    return ObservationRow.puuid == uuid


def _code(system, code):
    if system not in (None, LOINC):
        return None
    if not code:
        return ObservationRow.code != ""
    return ObservationRow.code == ("59408-5" if code == SPO2_ALSO[0] else code)


PARAMS = {
    "patient": Param("patient", "reference", (ObservationRow.pid,), reference=_of_patient,
                     targets=("Patient",), element="subject"),
    "subject": Param("subject", "reference", (ObservationRow.pid,), reference=_of_patient,
                     targets=("Patient",), element="subject"),
    "category": Param("category", "token", (ObservationRow.category,),
                      token=codes(ObservationRow.category, CATEGORY)),
    "code": Param("code", "token", (ObservationRow.code,), token=_code),
    "date": Param("date", "date", (ObservationRow.effective,)),
    "status": Param("status", "token", (ObservationRow.status,),
                    token=codes(ObservationRow.status, STATUS)),
}
SORT = {"date": ObservationRow.sort_date}


def _number(value):
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def _quantity(value, unit: str | None, ucum: str | None) -> dict:
    found = {"value": _number(value)}
    if unit:
        found["unit"] = unit
    if ucum:
        found.update(system=UCUM, code=ucum)
    return found


def _loinc(code: str, display: str) -> dict:
    return {"system": LOINC, "code": code, "display": display}


def _category(code: str) -> list[dict]:
    return [{"coding": [{"system": CATEGORY, "code": code, "display": CATEGORIES[code]}]}]


def _measured(text: str | None):
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def _vital(row: ObservationRow, vital: Vital) -> dict:
    measure = BY_KIND[row.kind]
    coding = [_loinc(measure.loinc, measure.display)]
    if measure.kind == "spo2":
        coding.append(_loinc(*SPO2_ALSO))
    resource = {
        "status": "final",
        "category": _category(VITAL_SIGNS),
        "code": {"coding": coding, "text": measure.display},
        "effectiveDateTime": instant(vital.date),
    }
    if measure.kind == "bp":
        resource["component"] = [_component(code, display, _measured(getattr(vital, column)),
                                            "mmHg", "mm[Hg]")
                                 for code, display, column in BP_PARTS]
        return resource
    resource["valueQuantity"] = _quantity(getattr(vital, measure.column), measure.unit,
                                          measure.ucum)
    if measure.kind == "spo2":
        resource["component"] = [
            _component(code, display, getattr(vital, column), unit, ucum)
            for code, display, column, unit, ucum in OXYGEN_PARTS
            if getattr(vital, column) is not None]
        if not resource["component"]:
            del resource["component"]
    return resource


def _component(code: str, display: str, value, unit: str, ucum: str) -> dict:
    component = {"code": {"coding": [_loinc(code, display)], "text": display}}
    if value is None:
        component["dataAbsentReason"] = ABSENT_REASON
    else:
        component["valueQuantity"] = _quantity(value, unit, ucum)
    return component


_RANGE = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*")
_BOUND = re.compile(r"\s*([<>]=?)\s*(-?\d+(?:\.\d+)?)\s*")


def _reference_range(text: str, unit: str) -> list[dict]:
    """`4.5-11`, `>=40`, `<=199` as low/high quantities; anything else as text."""
    if not text.strip():
        return []
    ucum = unit or None
    if m := _RANGE.fullmatch(text):
        return [{"low": _quantity(m.group(1), unit, ucum),
                 "high": _quantity(m.group(2), unit, ucum), "text": text.strip()}]
    if m := _BOUND.fullmatch(text):
        side = "low" if m.group(1).startswith(">") else "high"
        return [{side: _quantity(m.group(2), unit, ucum), "text": text.strip()}]
    return [{"text": text.strip()}]


def _lab(row: ObservationRow, result: ProcedureResult, report: ProcedureReport) -> dict:
    text = result.result_text or result.result_code or "Laboratory result"
    code = {"coding": [_loinc(result.result_code, text)], "text": text} \
        if result.result_code else {"text": text}
    resource = {"status": row.status, "category": _category(LABORATORY), "code": code}
    if row.effective is not None:
        resource["effectiveDateTime"] = instant(row.effective)
    if report.date_report is not None:
        resource["issued"] = instant(report.date_report)
    number = _measured(result.result) if result.result_data_type in ("N", "") else None
    if number is not None:
        resource["valueQuantity"] = _quantity(number, result.units or None, result.units or None)
    elif result.result.strip():
        resource["valueString"] = result.result.strip()
    else:
        resource["dataAbsentReason"] = ABSENT_REASON
    flag = ABNORMAL.get(result.abnormal.strip().lower())
    if flag:
        resource["interpretation"] = [{"coding": [{"system": INTERPRETATION, "code": flag[0],
                                                   "display": flag[1]}], "text": flag[1]}]
    ranges = _reference_range(result.range, result.units)
    if ranges:
        resource["referenceRange"] = ranges
    if result.comments:
        resource["note"] = [{"text": result.comments}]
    return resource


def _smoking(history: HistoryData) -> dict:
    parts = (history.tobacco or "").split("|")
    status = next(p for p in parts[1:] if p in TOBACCO_STATUS)  # the branch asks for one
    code, display = SMOKING_STATUS.get(parts[3].strip() if len(parts) > 3 else "") or \
        TOBACCO_STATUS[status]
    resource = {"status": "final", "category": _category(SOCIAL),
                "code": {"coding": [_loinc(SMOKING.loinc, SMOKING.display)],
                         "text": SMOKING.display},
                "effectiveDateTime": instant(history.date),
                "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": code,
                                                     "display": display}],
                                         "text": display}}
    if parts[0].strip():
        resource["note"] = [{"text": parts[0].strip()}]
    return resource


def _orientation(row: ObservationRow, stored: str, options: dict) -> dict:
    resource = {"status": "final", "category": _category(SOCIAL),
                "code": {"coding": [_loinc(ORIENTATION.loinc, ORIENTATION.display)],
                         "text": ORIENTATION.display},
                "effectiveDateTime": instant(row.effective)}
    known, option = ORIENTATIONS.get(stored), options.get(("sexual_orientation", stored))
    if known:
        resource["valueCodeableConcept"] = {
            "coding": [{"system": known[0], "code": stored, "display": known[1]}],
            "text": known[1]}
    elif option is not None:
        resource["valueCodeableConcept"] = stored_codes.concept(option.codes, option.title)
    else:
        resource["valueCodeableConcept"] = {"text": stored}
    return resource


def _odh(list_id: str, stored: str | None, options: dict) -> dict:
    option = options.get((list_id, stored))
    if option is None:
        return {"text": stored}
    return {"coding": [{"system": ODH, "code": stored, "display": option.title}],
            "text": option.title}


def _occupation(employer: EmployerData, options: dict) -> dict:
    period = {}
    if employer.start_date:
        period["start"] = employer.start_date.isoformat()
    if employer.end_date:
        period["end"] = employer.end_date.isoformat()
    resource = {"status": "final", "category": _category(SOCIAL),
                "code": {"coding": [_loinc(OCCUPATION.loinc, OCCUPATION.display)],
                         "text": OCCUPATION.display},
                "valueCodeableConcept": _odh("OccupationODH", employer.occupation, options)}
    if period:
        resource["effectivePeriod"] = period
    if employer.industry:
        resource["component"] = [{
            "code": {"coding": [_loinc(*INDUSTRY)], "text": INDUSTRY[1]},
            "valueCodeableConcept": _odh("IndustryODH", employer.industry, options)}]
    return resource


def _employers(session, rows) -> tuple[dict, dict]:
    """The employer rows of these occupations, and the ODH options they name."""
    wanted = {r.row_uuid for r in rows if r.kind == OCCUPATION.kind}
    if not wanted:
        return {}, {}
    employers = {e.uuid: e for e in session.execute(
        select(EmployerData).where(EmployerData.uuid.in_(wanted))).scalars()}
    codes_ = {c for e in employers.values() for c in (e.occupation, e.industry) if c}
    options = {(o.list_id, o.option_id): o for o in session.execute(select(ListOption).where(
        ListOption.list_id.in_(("OccupationODH", "IndustryODH")),
        ListOption.option_id.in_(codes_))).scalars()} if codes_ else {}
    return employers, options


def represent(session, rows) -> list[dict]:
    employers, options = _employers(session, rows)
    histories = {h.uuid: h for h in session.execute(select(HistoryData).where(
        HistoryData.uuid.in_({r.row_uuid for r in rows if r.kind == SMOKING.kind})))
        .scalars()} if any(r.kind == SMOKING.kind for r in rows) else {}
    orientations = dict(session.execute(select(Patient.uuid, Patient.sexual_orientation).where(
        Patient.uuid.in_({r.row_uuid for r in rows if r.kind == ORIENTATION.kind}))).all()) \
        if any(r.kind == ORIENTATION.kind for r in rows) else {}
    listed = set(orientations.values()) - set(ORIENTATIONS)
    if listed:
        options.update({(o.list_id, o.option_id): o for o in session.execute(
            select(ListOption).where(ListOption.list_id == "sexual_orientation",
                                     ListOption.option_id.in_(listed))).scalars()})
    vital_uuids = {r.row_uuid for r in rows if r.category == VITAL_SIGNS}
    lab_uuids = {r.row_uuid for r in rows if r.category == LABORATORY}
    vitals = {v.uuid: v for v in session.execute(
        select(Vital).where(Vital.uuid.in_(vital_uuids))).scalars()} if vital_uuids else {}
    labs = {res.uuid: (res, rep, order) for res, rep, order in session.execute(
        select(ProcedureResult, ProcedureReport, ProcedureOrder)
        .join(ProcedureReport,
              ProcedureReport.procedure_report_id == ProcedureResult.procedure_report_id)
        .join(ProcedureOrder,
              ProcedureOrder.procedure_order_id == ProcedureReport.procedure_order_id)
        .where(ProcedureResult.uuid.in_(lab_uuids)))} if lab_uuids else {}
    # The encounter each belongs to, as (patient, encounter number): a vitals form through
    # its `forms` link, a result through its order.
    visits = {}
    if vitals:
        links = session.execute(select(EncounterForm.form_id, EncounterForm.encounter).where(
            EncounterForm.formdir == "vitals", EncounterForm.deleted == false(),
            EncounterForm.form_id.in_([v.id for v in vitals.values()]))).all()
        numbers = dict(links)
        for v in vitals.values():
            if v.id in numbers:
                visits[v.uuid] = (v.pid, numbers[v.id])
    for uuid, (_, _, order) in labs.items():
        if order.encounter_id is not None:
            visits[uuid] = (order.patient_id, order.encounter_id)
    encounters = {}
    if visits:
        encounters = {(pid, number): uuid for pid, number, uuid in session.execute(
            select(Encounter.pid, Encounter.encounter, Encounter.uuid).where(
                Encounter.encounter.in_({n for _, n in visits.values()})))}
    found = []
    for row in rows:
        if row.category == VITAL_SIGNS:
            body = _vital(row, vitals[row.row_uuid])
            profile = PROFILES + BY_KIND[row.kind].profile
        elif row.kind == SMOKING.kind:
            body = _smoking(histories[row.row_uuid])
            profile = PROFILES + SMOKING.profile
        elif row.kind == ORIENTATION.kind:
            body = _orientation(row, orientations[row.row_uuid], options)
            profile = PROFILES + ORIENTATION.profile
        elif row.kind == OCCUPATION.kind:
            body = _occupation(employers[row.row_uuid], options)
            profile = PROFILES + OCCUPATION.profile
        else:
            body = _lab(row, *labs[row.row_uuid][:2])
            profile = LAB_PROFILE
        resource = {"resourceType": "Observation", "id": row.id,
                    "meta": {"versionId": "1", "lastUpdated": instant(row.last_updated),
                             "profile": [profile]},
                    "status": body.pop("status"), "category": body.pop("category"),
                    "code": body.pop("code"),
                    "subject": {"reference": f"Patient/{row.puuid}"}}
        visit = encounters.get(visits.get(row.row_uuid))
        if visit:
            resource["encounter"] = {"reference": f"Encounter/{visit}"}
        resource.update(body)
        found.append(resource)
    return found


PROVIDER = Provider(
    type="Observation",
    model=ObservationRow,
    params=PARAMS,
    sort=SORT,
    owner=_of_patient,
    represent=represent,
    id_column_name="id",
    id_clause=_by_id,
)
read, search, search_query, search_form = bind(PROVIDER)
