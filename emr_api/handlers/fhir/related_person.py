"""FHIR RelatedPerson from the guardian OpenEMR keeps on a patient's row (patient_data's
guardian* columns): one per patient with a guardian's name, its id the patient's uuid, its
change time the patient row's. The relationship is an HL7 v3 RoleCode where OpenEMR's value
is one (its `next_of_kin_relationship` options are RoleCodes) or a word for one, else text.
A patient-context caller sees only its own patient's guardian."""

from __future__ import annotations

from sqlalchemy import and_, func

from emr_api.db.models import Patient
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, instant

ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
# HL7 v3 RoleCode personal relationships: code -> (display, words OpenEMR sites write).
ROLES = {
    "MTH": ("mother", ("mother", "mom")),
    "FTH": ("father", ("father", "dad")),
    "PRN": ("parent", ("parent",)),
    "STPPRN": ("step parent", ("step parent", "stepparent")),
    "GRPRN": ("grandparent", ("grandparent",)),
    "GRMTH": ("grandmother", ("grandmother",)),
    "GRFTH": ("grandfather", ("grandfather",)),
    "SPS": ("spouse", ("spouse",)),
    "HUSB": ("husband", ("husband",)),
    "WIFE": ("wife", ("wife",)),
    "DOMPART": ("domestic partner", ("domestic partner", "partner")),
    "SIB": ("sibling", ("sibling",)),
    "BRO": ("brother", ("brother",)),
    "SIS": ("sister", ("sister",)),
    "CHILD": ("child", ("child",)),
    "SON": ("natural son", ("son",)),
    "DAU": ("natural daughter", ("daughter",)),
    "AUNT": ("aunt", ("aunt",)),
    "UNCLE": ("uncle", ("uncle",)),
    "EXT": ("extended family member", ("relative", "other relative")),
    "FRND": ("unrelated friend", ("friend",)),
    "NBOR": ("neighbor", ("neighbor", "neighbour")),
}
_BY_VALUE = {value: code for code, (_, words) in ROLES.items()
             for value in (code.casefold(), *words)}
GENDERS = {"male": "male", "m": "male", "female": "female", "f": "female",
           "unknown": "unknown", "other": "other"}


def relationship_code(value: str | None) -> str | None:
    return _BY_VALUE.get(value.strip().casefold()) if value else None


def _has_guardian():
    return and_(Patient.guardiansname.is_not(None), Patient.guardiansname != "")


def _relationship(system, code):
    if system not in (None, ROLE_CODE):
        return None
    if not code:  # `system|`: any relationship that is a RoleCode
        return func.lower(Patient.guardianrelationship).in_(list(_BY_VALUE))
    if code not in ROLES:
        return None
    values = [value for value, known in _BY_VALUE.items() if known == code]
    return func.lower(Patient.guardianrelationship).in_(values)


PARAMS = {
    "patient": Param("patient", "reference", (Patient.pid,),
                     reference=lambda id_: Patient.uuid == id_, targets=("Patient",)),
    "name": Param("name", "string", (Patient.guardiansname,)),
    "relationship": Param("relationship", "token", (Patient.guardianrelationship,),
                          token=_relationship),
}
SORT = {"name": Patient.guardiansname}


def _present(items):
    return [item for item in items if item]


def _relationship_concept(value: str | None) -> dict | None:
    if not value:
        return None
    code = relationship_code(value)
    if code is None:
        return {"text": value}
    return {"coding": [{"system": ROLE_CODE, "code": code, "display": ROLES[code][0]}],
            "text": value}


def to_fhir(row: Patient) -> dict:
    resource = {
        "resourceType": "RelatedPerson",
        "id": row.uuid,
        "meta": {"versionId": "1", "lastUpdated": instant(row.last_updated)},
        "active": True,
        "patient": {"reference": f"Patient/{row.uuid}"},
    }
    if relationship := _relationship_concept(row.guardianrelationship):
        resource["relationship"] = [relationship]
    resource["name"] = [{"text": row.guardiansname}]
    telecom = _present([
        row.guardianphone and {"system": "phone", "value": row.guardianphone, "use": "home"},
        row.guardianworkphone and {"system": "phone", "value": row.guardianworkphone,
                                   "use": "work"},
        row.guardianemail and {"system": "email", "value": row.guardianemail},
    ])
    if telecom:
        resource["telecom"] = telecom
    if gender := GENDERS.get((row.guardiansex or "").strip().casefold()):
        resource["gender"] = gender
    address = {k: v for k, v in {
        "line": _present([row.guardianaddress]) or None, "city": row.guardiancity or None,
        "state": row.guardianstate or None, "postalCode": row.guardianpostalcode or None,
        "country": row.guardiancountry or None}.items() if v}
    if address:
        resource["address"] = [address]
    return resource


PROVIDER = Provider(
    type="RelatedPerson",
    model=Patient,
    params=PARAMS,
    sort=SORT,
    owner=lambda puuid: Patient.uuid == puuid,
    represent=lambda session, rows: [to_fhir(row) for row in rows],
    base=(_has_guardian(),),
)
read, search, search_query, search_form = bind(PROVIDER)
