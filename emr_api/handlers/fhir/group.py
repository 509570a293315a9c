"""FHIR Group from OpenEMR's primary providers: a practitioner's panel is the group of the
patients whose `providerID` names them (type `person`, actual), managed by the
practitioner. One Group per practitioner who has patients; its id is the practitioner's
uuid, its name the practitioner's. Panels are staff data: a patient-context caller finds
none (the owner clause matches no row), whatever its scopes."""

from __future__ import annotations

from sqlalchemy import exists, false, select

from emr_api.db.models import Patient, Practitioner
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider


def _has_patients():
    return exists().where(Patient.providerID == Practitioner.id)


def _with_member(id_: str):
    return exists().where(Patient.providerID == Practitioner.id, Patient.uuid == id_)


PARAMS = {
    "name": Param("name", "string", (Practitioner.lname, Practitioner.fname,
                                     Practitioner.mname)),
    "managing-entity": Param("managing-entity", "reference", (Practitioner.id,),
                             reference=lambda id_: Practitioner.uuid == id_,
                             targets=("Practitioner",), element="managingEntity"),
    "member": Param("member", "reference", (Practitioner.id,), reference=_with_member,
                    targets=("Patient",), element="member.entity"),
}
SORT = {"name": Practitioner.lname}


def name(row: Practitioner) -> str:
    return " ".join(part for part in (row.title, row.fname, row.mname, row.lname, row.suffix)
                    if part)


def to_fhir(row: Practitioner, members: list[str]) -> dict:
    resource = {
        "resourceType": "Group",
        "id": row.uuid,
        "meta": {"versionId": "1"},
        "active": bool(row.active),
        "type": "person",
        "actual": True,
        "name": name(row),
        "managingEntity": {"reference": f"Practitioner/{row.uuid}", "display": name(row)},
        "quantity": len(members),
    }
    if members:
        resource["member"] = [{"entity": {"reference": f"Patient/{uuid}"}} for uuid in members]
    return resource


def represent(session, rows) -> list[dict]:
    members: dict[int, list[str]] = {row.id: [] for row in rows}
    if rows:
        found = session.execute(select(Patient.providerID, Patient.uuid).where(
            Patient.providerID.in_(list(members))).order_by(Patient.pid))
        for provider_id, uuid in found:
            members[provider_id].append(uuid)
    return [to_fhir(row, members[row.id]) for row in rows]


PROVIDER = Provider(
    type="Group",
    model=Practitioner,
    params=PARAMS,
    sort=SORT,
    owner=lambda puuid: false(),  # no patient sees a panel, not even one they are on
    represent=represent,
    patient_of=lambda resource: None,
    base=(_has_patients(),),
    updated_column_name=None,
)
read, search, search_query, search_form = bind(PROVIDER)
