"""FHIR Patient (US Core 6.1 Patient profile) from OpenEMR's patient_data.

The id is the patient's uuid (the Standard API's `puuid`). Race and ethnicity are the US Core
extensions with the OMB category codes the site's lists give each option (`codes`
`CDCREC:...`); an option without a code (declined) is the null flavour ASKU. The medical
record number (`pubpid`) is the identifier, in a system of this site's own."""

from __future__ import annotations

import time

from emr_api import request_context
from emr_api.db.models import Patient
from emr_api.handlers.fhir import base_url, elements
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, Writer, any_column, codes, instant
from emr_api.handlers.fhir.writes import bind_writes
from emr_api.services import list_options, patients, resources

US_CORE_PATIENT = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
GENDER_SYSTEM = "http://hl7.org/fhir/administrative-gender"
# FHIR's administrative gender -> what patient_data.sex stores (OpenEMR's `sex` list).
GENDERS = {"female": "Female", "male": "Male", "unknown": "UNK"}
STORED_GENDER = {stored: code for code, stored in GENDERS.items()}
OMB_SYSTEM = "urn:oid:2.16.840.1.113883.6.238"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
MARITAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
MARITAL = {"married": ("M", "Married"), "single": ("S", "Never Married"),
           "divorced": ("D", "Divorced"), "widowed": ("W", "Widowed"),
           "separated": ("L", "Legally Separated"),
           "domestic partner": ("T", "Domestic partner")}
# ISO 639-2 (the language list's codes) -> BCP 47, which US Core binds.
BCP47 = {"eng": "en", "spa": "es", "zho": "zh", "vie": "vi", "tgl": "tl", "ara": "ar",
         "fra": "fr", "kor": "ko", "rus": "ru", "deu": "de", "por": "pt", "hin": "hi"}
LISTS = ("race", "ethnicity", "language")
_LIST_SECONDS = 60  # the lists change only by migration; re-read them now and then


def mrn_system() -> str:
    return f"{base_url()}/sid/mrn"


def _mrn_token(system, code):
    if system not in (None, mrn_system()):
        return None
    return Patient.pubpid == code if code else Patient.pubpid.is_not(None)


PHONES = (Patient.phone_home, Patient.phone_cell, Patient.phone_biz)

PARAMS = {
    "identifier": Param("identifier", "token", (Patient.pubpid,), token=_mrn_token),
    "name": Param("name", "string",
                  (Patient.lname, Patient.fname, Patient.mname, Patient.title, Patient.suffix),
                  keys={Patient.lname: Patient.lname_key, Patient.fname: Patient.fname_key}),
    "family": Param("family", "string", (Patient.lname,), keys={Patient.lname: Patient.lname_key}),
    "given": Param("given", "string", (Patient.fname, Patient.mname),
                   keys={Patient.fname: Patient.fname_key}),
    "birthdate": Param("birthdate", "date", (Patient.DOB,)),
    "gender": Param("gender", "token", (Patient.sex,),
                    token=codes(Patient.sex, GENDER_SYSTEM, GENDERS)),
    "address": Param("address", "string", (Patient.street, Patient.city, Patient.state,
                                           Patient.postal_code, Patient.country_code)),
    "address-city": Param("address-city", "string", (Patient.city,)),
    "address-state": Param("address-state", "string", (Patient.state,)),
    "address-postalcode": Param("address-postalcode", "string", (Patient.postal_code,)),
    "email": Param("email", "token", (Patient.email,), token=codes(Patient.email, None)),
    "phone": Param("phone", "token", PHONES,
                   token=any_column([codes(c, None) for c in PHONES])),
    "telecom": Param("telecom", "token", (*PHONES, Patient.email),
                     token=any_column([codes(c, None) for c in (*PHONES, Patient.email)])),
}
SORT = {"family": Patient.lname, "given": Patient.fname, "birthdate": Patient.DOB}

_lists_cache: dict[str, tuple[float, dict]] = {}


def _lists(session) -> dict:
    """The race, ethnicity and language options with their codes, per site, briefly kept."""
    site = request_context.current().site.name
    cached = _lists_cache.get(site)
    if cached is None or cached[0] < time.monotonic():
        cached = (time.monotonic() + _LIST_SECONDS,
                  list_options.titles_and_codes(session, LISTS))
        _lists_cache[site] = cached
    return cached[1]


def _code(codes_text: str, prefix: str) -> str | None:
    for part in (codes_text or "").split(";"):
        scheme, _, code = part.strip().partition(":")
        if scheme == prefix and code:
            return code
    return None


def _omb_extension(url: str, options: dict, list_id: str, stored: str | None) -> dict | None:
    """US Core race or ethnicity: the OMB category and the text (both required)."""
    if not stored:
        return None
    title, codes_text = options.get((list_id, stored.casefold()), (stored, ""))
    code = _code(codes_text, "CDCREC")
    coding = {"system": OMB_SYSTEM, "code": code, "display": title} if code else \
        {"system": NULL_FLAVOR, "code": "ASKU", "display": "Asked but no answer"}
    return {"url": url, "extension": [{"url": "ombCategory", "valueCoding": coding},
                                      {"url": "text", "valueString": title}]}


def _present(items: list) -> list:
    return [item for item in items if item]


def to_fhir(row: Patient, options: dict, mrn: str) -> dict:
    extensions = _present([
        _omb_extension("http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
                       options, "race", row.race),
        _omb_extension("http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
                       options, "ethnicity", row.ethnicity),
    ])
    name = {"use": "official", "family": row.lname,
            "given": _present([row.fname, row.mname])}
    if row.title:
        name["prefix"] = [row.title]
    if row.suffix:
        name["suffix"] = [row.suffix]
    telecom = _present([
        row.phone_home and {"system": "phone", "value": row.phone_home, "use": "home"},
        row.phone_cell and {"system": "phone", "value": row.phone_cell, "use": "mobile"},
        row.phone_biz and {"system": "phone", "value": row.phone_biz, "use": "work"},
        row.email and {"system": "email", "value": row.email, "use": "home"},
    ])
    address = {k: v for k, v in {
        "use": "home", "line": _present([row.street]) or None, "city": row.city or None,
        "district": row.county or None, "state": row.state or None,
        "postalCode": row.postal_code or None, "country": row.country_code or None,
    }.items() if v}
    resource = {
        "resourceType": "Patient",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.last_updated),
                 "profile": [US_CORE_PATIENT]},
        "extension": extensions,
        "identifier": [{
            "use": "usual",
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                 "code": "MR", "display": "Medical Record Number"}]},
            "system": mrn, "value": row.pubpid or str(row.pid)}],
        "active": True,
        "name": [name],
        "telecom": telecom,
        "gender": STORED_GENDER.get(row.sex, "unknown"),
        "birthDate": row.DOB.isoformat(),
        "address": [address] if len(address) > 1 else [],
    }
    marital = MARITAL.get((row.status or "").casefold())
    if marital:
        resource["maritalStatus"] = {"coding": [{"system": MARITAL_SYSTEM, "code": marital[0],
                                                 "display": marital[1]}],
                                     "text": marital[1]}
    if row.language:
        title, codes_text = options.get(("language", row.language.casefold()),
                                        (row.language, ""))
        code = BCP47.get(_code(codes_text, "ISO639") or "")
        language = {"text": title}
        if code:
            language["coding"] = [{"system": "urn:ietf:bcp:47", "code": code,
                                   "display": title}]
        resource["communication"] = [{"language": language}]
    return {k: v for k, v in resource.items() if v != []}


def represent(session, rows) -> list[dict]:
    options = _lists(session) if rows else {}
    mrn = mrn_system()
    return [to_fhir(row, options, mrn) for row in rows]


# Writes: a Patient a client sends, back into patient_data's columns.
TELECOM = {("phone", "home"): "phone_home", ("phone", "mobile"): "phone_cell",
           ("phone", "work"): "phone_biz", ("phone", None): "phone_home",
           ("email", None): "email"}
STORED_MARITAL = {code: stored for stored, (code, _) in MARITAL.items()}
ISO639 = {bcp: iso for iso, bcp in BCP47.items()}
RACE_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
ETHNICITY_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"


def _omb_option(session, resource: dict, url: str, list_id: str) -> str | None:
    """The race or ethnicity option a US Core extension names: by its OMB code, else by
    its text (an option without a code reads back as ASKU with the option's title)."""
    found = [e for e in resource.get("extension") or [] if isinstance(e, dict)
             and e.get("url") == url]
    if not found:
        return None
    parts = {p.get("url"): p for p in found[0].get("extension") or [] if isinstance(p, dict)}
    coding = (parts.get("ombCategory") or {}).get("valueCoding") or {}
    words = (parts.get("text") or {}).get("valueString")
    code = coding.get("code") if coding.get("system") == OMB_SYSTEM else None
    option = list_options.option_for(session, list_id, code=code and f"CDCREC:{code}",
                                     title=words or coding.get("display"))
    if option is None:
        raise elements.bad(url.rsplit("/", 1)[-1], f"no {list_id} option has code {code!r} "
                                                     f"or text {words!r}")
    return option


def _language(session, resource: dict) -> str | None:
    for communication in resource.get("communication") or []:
        concept = (communication or {}).get("language") or {}
        bcp = elements.code_of(concept, "urn:ietf:bcp:47")
        iso = ISO639.get((bcp or "").split("-")[0])
        option = list_options.option_for(session, "language", code=iso and f"ISO639:{iso}",
                                         title=concept.get("text"))
        if option is None:
            raise elements.bad("communication.language",
                               f"no language option has code {bcp!r} or text "
                               f"{concept.get('text')!r}")
        return option
    return None


def from_fhir(session, resource: dict) -> dict:
    """The Standard API's patient fields a Patient sets (every one: absent is cleared)."""
    gender = resource.get("gender")
    if gender not in ("male", "female"):
        raise elements.bad("gender", "male or female is required: OpenEMR's rules for a "
                                     "patient written through its API keep no other")
    home = elements.address(resource)
    data = {**elements.name(resource), "sex": GENDERS[gender],
            "DOB": elements.day(resource, "birthDate", required=True).isoformat(),
            **elements.telecom(resource, TELECOM),
            "street": home["street"], "city": home["city"], "county": home["county"],
            "state": home["state"], "postal_code": home["postal_code"],
            "country_code": home["country"],
            "race": _omb_option(session, resource, RACE_URL, "race"),
            "ethnicity": _omb_option(session, resource, ETHNICITY_URL, "ethnicity"),
            "language": _language(session, resource),
            "status": STORED_MARITAL.get(elements.code_of(resource.get("maritalStatus"),
                                                          MARITAL_SYSTEM))}
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("system") == mrn_system() \
                and identifier.get("value"):
            data["pubpid"] = identifier["value"]
    return data


# The Standard API's fields, by the Patient element each comes from (for its messages).
ELEMENTS = {"fname": "name.given", "mname": "name.given", "lname": "name.family",
            "title": "name.prefix", "suffix": "name.suffix", "sex": "gender",
            "DOB": "birthDate", "street": "address.line", "city": "address.city",
            "county": "address.district", "state": "address.state",
            "postal_code": "address.postalCode", "country_code": "address.country",
            "phone_home": "telecom", "phone_cell": "telecom", "phone_biz": "telecom",
            "email": "telecom", "pubpid": "identifier"}


def _create(session, caller, resource: dict):
    data = elements.obey("PatientCreate", from_fhir(session, resource), ELEMENTS)
    return resources.create(session, caller, patients.SPEC, data)


def _update(session, caller, row, resource: dict):
    data = elements.obey("PatientUpdate", from_fhir(session, resource), ELEMENTS)
    return resources.apply(session, patients.SPEC, row, data)


def _delete(session, caller, row):
    patients.delete(session, row)


PROVIDER = Provider(
    type="Patient",
    model=Patient,
    params=PARAMS,
    sort=SORT,
    owner=lambda puuid: Patient.uuid == puuid,
    represent=represent,
    patient_of=lambda resource: resource["id"],
    writer=Writer(create=_create, update=_update, delete=_delete),
)
read, search, search_query, search_form = bind(PROVIDER)
create, update, delete, vread, history_instance, history_type = bind_writes(PROVIDER)
