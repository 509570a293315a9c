"""What the FHIR types over OpenEMR's `documents` share (DocumentReference, Media, Binary):
the patient a document belongs to, its category's code, the encounter and author it names,
and its bytes as an Attachment whose `url` is the document's Binary.

A document has one public id, its uuid: the DocumentReference, the Media (an image, video
or sound) and the Binary (its bytes) of one document all carry it.

A category's code is the first `codes` found going up the category tree from the
document's own category (a "Living Will" is coded, a "Do Not Resuscitate Order" filed under
"Advance Directive" takes its parent's code); the search by code follows the same rule, to
the same depth."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from emr_api.db.models import (
    Document,
    DocumentCategory,
    Encounter,
    Patient,
    Practitioner,
    User,
)
from emr_api.handlers.fhir import base_url
from emr_api.handlers.fhir import codes as code_systems
from emr_api.handlers.fhir.provider import Param
from emr_api.services import documents

LOINC = code_systems.SYSTEMS["LOINC"]
# How many categories up the tree a document's code may come from (its own included).
CODE_DEPTH = 4


def owner(puuid: str):
    """The documents of one patient."""
    return documents.SPEC.owner(puuid)


def patient_param(element: str = "subject") -> Param:
    return Param("patient", "reference", (Document.pid,), reference=owner,
                 targets=("Patient",), element=element)


def _in_encounter(uuid: str):
    return select(Encounter.eid).where(
        Encounter.uuid == uuid, Encounter.pid == Document.pid,
        Encounter.encounter == Document.encounter).exists()


def encounter_param(element: str) -> Param:
    return Param("encounter", "reference", (Document.encounter,), reference=_in_encounter,
                 targets=("Encounter",), element=element)


def coded_categories(stored: str):
    """The ids of the categories whose code (their own or inherited) is `stored`
    (`LOINC:34133-9`), as a subquery: a coded category and its uncoded descendants."""
    level = select(DocumentCategory.id).where(DocumentCategory.codes == stored)
    levels = [level]
    for _ in range(CODE_DEPTH - 1):
        level = select(DocumentCategory.id).where(
            DocumentCategory.codes == "", DocumentCategory.parent_id.in_(level))
        levels.append(level)
    return or_(*(Document.category_id.in_(each) for each in levels))


def any_coded_category():
    """The documents whose category has a LOINC code (its own or inherited)."""
    level = select(DocumentCategory.id).where(DocumentCategory.codes.like("LOINC:%"))
    levels = [level]
    for _ in range(CODE_DEPTH - 1):
        level = select(DocumentCategory.id).where(
            DocumentCategory.codes == "", DocumentCategory.parent_id.in_(level))
        levels.append(level)
    return or_(*(Document.category_id.in_(each) for each in levels))


def loinc_type(system, code):
    """The `type` token: a LOINC document code (`http://loinc.org|34133-9` or `34133-9`)."""
    if system not in (None, LOINC):
        return None
    if not code:
        return any_coded_category()
    return coded_categories(f"LOINC:{code}")


@dataclass(frozen=True)
class Category:
    name: str
    codings: list  # LOINC (or other named) codings, possibly inherited


@dataclass(frozen=True)
class Lookups:
    """What a page of documents refers to, read once: patients' uuids, categories,
    encounters (uuid and provider), and the practitioners who stored them."""

    patients: dict
    categories: dict
    encounters: dict
    authors: dict

    def author(self, row: Document) -> str | None:
        """The Practitioner who wrote a document: the staff user who stored it, when a
        practitioner has their username; else the provider of its encounter."""
        found = self.authors.get(row.owner_id)
        if found:
            return found
        visit = self.encounters.get((row.pid, row.encounter))
        return visit[1] if visit else None

    def encounter(self, row: Document) -> str | None:
        visit = self.encounters.get((row.pid, row.encounter))
        return visit[0] if visit else None


def _categories(session) -> dict[int, Category]:
    tree = {c.id: c for c in session.execute(select(DocumentCategory)).scalars()}
    found = {}
    for id_, category in tree.items():
        node, codings, depth = category, [], 0
        while node is not None and depth < CODE_DEPTH:
            if node.codes:  # named as the category that holds the code
                codings = code_systems.codings(node.codes, node.name)
                break
            node = tree.get(node.parent_id) if node.parent_id is not None else None
            depth += 1
        found[id_] = Category(category.name, codings)
    return found


def lookups(session, rows) -> Lookups:
    pids = {r.pid for r in rows}
    patients = dict(session.execute(select(Patient.pid, Patient.uuid)
                                    .where(Patient.pid.in_(pids))).all()) if pids else {}
    numbers = {r.encounter for r in rows if r.encounter is not None}
    encounters = {}
    if numbers:
        found = session.execute(
            select(Encounter.pid, Encounter.encounter, Encounter.uuid, Practitioner.uuid)
            .outerjoin(Practitioner, Practitioner.id == Encounter.provider_id)
            .where(Encounter.pid.in_(pids), Encounter.encounter.in_(numbers)))
        encounters = {(pid, number): (uuid, provider) for pid, number, uuid, provider in found}
    owners = {r.owner_id for r in rows if r.owner_id is not None}
    authors = {}
    if owners:
        authors = dict(session.execute(
            select(User.id, Practitioner.uuid)
            .join(Practitioner, Practitioner.username == User.username)
            .where(User.id.in_(owners))).all())
    return Lookups(patients, _categories(session) if rows else {}, encounters, authors)


def binary_url(row: Document) -> str:
    return f"{base_url()}/Binary/{row.uuid}"


def attachment(row: Document) -> dict:
    """The document's bytes as an Attachment: where to get them (its Binary), their type,
    size and SHA-1, its file name as the title, the day it was written."""
    found = {"contentType": row.mimetype, "url": binary_url(row), "size": row.size}
    if row.sha1:
        found["hash"] = row.sha1
    found["title"] = row.filename
    found["creation"] = row.docdate.isoformat()
    return found
