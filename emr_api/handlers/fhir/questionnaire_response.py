"""FHIR QuestionnaireResponse (US Core 6.1 QuestionnaireResponse) from OpenEMR's
questionnaire_response: the answers JSON OpenEMR stores, served under our id and meta, with
what the row says about it as the truth: the status, the patient (subject), when it was
answered (authored, the row's creation time), the encounter, and the questionnaire (the
canonical url of its questionnaire_repository row, else its Questionnaire here). The author
is the practitioner who entered it (a user whose login is a practitioner's); a response
that no user entered was entered by the patient, who is then its author.

The `questionnaire` search takes the questionnaire's id, `Questionnaire/id`, a URL ending
in it, or its canonical url (`url|version` too)."""

from __future__ import annotations

from sqlalchemy import or_, select

from emr_api.db.models import (
    Encounter,
    Patient,
    Practitioner,
    QuestionnaireAnswers,
    QuestionnaireRecord,
    User,
)
from emr_api.handlers.fhir import base_url
from emr_api.handlers.fhir.interactions import bind
from emr_api.handlers.fhir.provider import Param, Provider, instant
from emr_api.handlers.fhir.questionnaire import stored
from emr_api.services.search import lookup

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-questionnaireresponse"
STATUS = "http://hl7.org/fhir/questionnaire-answers-status"
STATUSES = ("in-progress", "completed", "amended", "entered-in-error", "stopped")


def _of_patient(uuid: str):
    return QuestionnaireAnswers.patient_id.in_(select(Patient.pid).where(Patient.uuid == uuid))


def _questionnaire(system, code):
    if system:  # `canonical|version`
        rows = select(QuestionnaireRecord.id).where(QuestionnaireRecord.source_url == system)
    else:
        id_ = code.rstrip("/").rsplit("/", 1)[-1]
        rows = select(QuestionnaireRecord.id).where(or_(
            QuestionnaireRecord.source_url == code, QuestionnaireRecord.uuid == id_))
    if not code and not system:
        return None
    return QuestionnaireAnswers.questionnaire_foreign_id.in_(rows)


def _status(system, code):
    if system not in (None, STATUS):
        return None
    column = QuestionnaireAnswers.status
    if code == "":
        return QuestionnaireAnswers.id.is_not(None)
    if code == "completed":  # also what a row with no status it knows is
        return or_(column.is_(None), column.not_in(STATUSES), column == code)
    return column == code if code in STATUSES else None


PARAMS = {
    "patient": Param("patient", "reference", (QuestionnaireAnswers.patient_id,),
                     reference=_of_patient, targets=("Patient",), element="subject"),
    "status": Param("status", "token", (QuestionnaireAnswers.status,),
                    token=_status),
    "authored": Param("authored", "date", (QuestionnaireAnswers.create_time,)),
    "questionnaire": Param("questionnaire", "token",
                           (QuestionnaireAnswers.questionnaire_foreign_id,),
                           token=_questionnaire),
}
SORT = {"authored": QuestionnaireAnswers.create_time}


def to_fhir(row: QuestionnaireAnswers, refs: dict) -> dict:
    body = stored(row.questionnaire_response)
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": row.uuid,
        "meta": {"versionId": str(row.version or 1), "lastUpdated": instant(row.last_updated),
                 "profile": [US_CORE]},
    }
    # What the row states is set below; the rest is the stored answers as they are.
    kept = {k: v for k, v in body.items() if k not in (
        "resourceType", "id", "meta", "questionnaire", "status", "subject", "authored",
        "author", "encounter", "source")}
    if "identifier" in kept:
        resource["identifier"] = kept.pop("identifier")
    form = refs["questionnaires"].get(row.questionnaire_foreign_id)
    if form is not None:
        resource["questionnaire"] = form[1] or f"{base_url()}/Questionnaire/{form[0]}"
    elif isinstance(body.get("questionnaire"), str):
        resource["questionnaire"] = body["questionnaire"]
    resource["status"] = row.status if row.status in STATUSES else "completed"
    patient = refs["patients"][row.patient_id]
    resource["subject"] = {"reference": f"Patient/{patient}"}
    visit = refs["encounters"].get((row.patient_id, row.encounter))
    if visit:
        resource["encounter"] = {"reference": f"Encounter/{visit}"}
    resource["authored"] = instant(row.create_time)
    if row.creator_user_id is None:
        resource["author"] = {"reference": f"Patient/{patient}"}
        resource["source"] = {"reference": f"Patient/{patient}"}
    elif author := refs["authors"].get(row.creator_user_id):
        resource["author"] = {"reference": f"Practitioner/{author}"}
    resource.update(kept)
    return resource


def represent(session, rows) -> list[dict]:
    numbers = {r.encounter for r in rows if r.encounter is not None}
    encounters = {}
    if numbers:
        found = session.execute(select(Encounter.pid, Encounter.encounter, Encounter.uuid).where(
            Encounter.pid.in_({r.patient_id for r in rows}), Encounter.encounter.in_(numbers)))
        encounters = {(pid, number): uuid for pid, number, uuid in found}
    forms = {r.questionnaire_foreign_id for r in rows} - {None}
    questionnaires = {}
    if forms:
        questionnaires = {id_: (uuid, url) for id_, uuid, url in session.execute(
            select(QuestionnaireRecord.id, QuestionnaireRecord.uuid,
                   QuestionnaireRecord.source_url).where(QuestionnaireRecord.id.in_(forms)))}
    users = {r.creator_user_id for r in rows} - {None}
    authors = {}
    if users:
        authors = dict(session.execute(
            select(User.id, Practitioner.uuid).join(
                Practitioner, Practitioner.username == User.username)
            .where(User.id.in_(users))).all())
    refs = {"patients": lookup(session, Patient.pid, Patient.uuid, {r.patient_id for r in rows}),
            "encounters": encounters, "questionnaires": questionnaires, "authors": authors}
    return [to_fhir(row, refs) for row in rows]


PROVIDER = Provider(
    type="QuestionnaireResponse",
    model=QuestionnaireAnswers,
    params=PARAMS,
    sort=SORT,
    owner=_of_patient,
    represent=represent,
)
read, search, search_query, search_form = bind(PROVIDER)
