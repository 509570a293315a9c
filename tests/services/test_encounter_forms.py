"""Vitals and SOAP notes (services/encounter_forms.py) with no HTTP: a patient-context
Access sees only its own patient's forms, in every query (the specs' own search included,
`ResourceSpec.owner`); staff and system see every patient's; a form is found only through
its own patient, encounter and kind (`forms.formdir`); writes take the patient and the
encounter from the path alone."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from emr_api.db.models import Encounter, EncounterForm, Patient, SoapNote, Vital
from emr_api.errors import NotFound, ValidationFailed
from emr_api.identity import Access, Identity, Role
from emr_api.services import encounter_forms, resources
from emr_api.services.encounter_forms import SOAP_NOTES, VITALS

SYSTEM = Access.system()
STAFF = Access(Identity(Role.USER, user_uuid="staff"), acl_group="doc")
BODY = {"vital": {"bps": "120", "pulse": "64"}, "soap_note": {"subjective": "Feels fine"}}
KINDS = [VITALS, SOAP_NOTES]


def patient_access(puuid: str) -> Access:
    return Access(Identity(Role.PATIENT, user_uuid=puuid, patient_uuid=puuid),
                  client_id="portal-app", scopes=frozenset({"patient/vital.read"}))


@pytest.fixture(scope="module")
def charts(database) -> dict:
    """Two patients, each with two numbered encounters and one form of each kind in the
    first: {first name: {pid, uuid, eids, forms: {kind name: id}}}."""
    made = {}
    with database.write() as s:
        number = (s.execute(select(func.max(Encounter.encounter))).scalar() or 0) + 100
        for first in ("Ida", "Jo"):
            p = Patient(fname=first, lname="Charted", sex="Female", DOB=date(1985, 3, 4))
            s.add(p)
            s.flush()
            eids = []
            for day in (1, 2):
                s.add(Encounter(pid=p.pid, encounter=number, date=datetime(2024, 2, day),
                                pc_catid=5, class_code="AMB"))
                eids.append(number)
                number += 1
            s.flush()
            forms = {}
            for kind in KINDS:
                _, row, _ = encounter_forms.create(s, SYSTEM, kind, p.pid, eids[0], BODY[kind.spec.name])
                forms[kind.spec.name] = row.id
            made[first] = {"pid": p.pid, "uuid": p.uuid, "eids": eids, "forms": forms}
    return made


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.spec.name)
def test_a_patient_reaches_only_their_own_forms(database, charts, kind):
    ida, jo = charts["Ida"], charts["Jo"]
    access = patient_access(ida["uuid"])
    with database.read() as s:
        _, own = encounter_forms.search(s, access, kind, ida["pid"], ida["eids"][0])
        assert [r.id for r in own.items] == [ida["forms"][kind.spec.name]]
        where, row = encounter_forms.find(s, access, kind, ida["pid"], ida["eids"][0],
                                          ida["forms"][kind.spec.name])
        assert (where.patient.uuid, row.pid) == (ida["uuid"], ida["pid"])
        with pytest.raises(NotFound) as refused:
            encounter_forms.search(s, access, kind, jo["pid"], jo["eids"][0])
        assert refused.value.fields == {"pid": ["not found"]}
        # Another patient's encounter through one's own pid, another's form through one's
        # own encounter.
        with pytest.raises(NotFound) as refused:
            encounter_forms.find(s, access, kind, ida["pid"], jo["eids"][0],
                                 jo["forms"][kind.spec.name])
        assert refused.value.fields == {"eid": ["not found"]}
        with pytest.raises(NotFound) as refused:
            encounter_forms.find(s, access, kind, ida["pid"], ida["eids"][0],
                                 jo["forms"][kind.spec.name])
        assert refused.value.fields == {kind.spec.id_name: ["not found"]}
    with database.write() as s:
        with pytest.raises(NotFound):
            encounter_forms.update(s, access, kind, jo["pid"], jo["eids"][0],
                                   jo["forms"][kind.spec.name], BODY[kind.spec.name])
        with pytest.raises(NotFound):
            encounter_forms.create(s, access, kind, jo["pid"], jo["eids"][0], BODY[kind.spec.name])


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.spec.name)
def test_the_spec_narrows_on_its_own(database, charts, kind):
    """Narrowing is in the spec's query, not only in the patient lookup before it."""
    ida, jo = charts["Ida"], charts["Jo"]
    with database.read() as s:
        page = resources.search(s, patient_access(ida["uuid"]), kind.spec, {}, limit=200)
        assert {r.pid for r in page.items} == {ida["pid"]}
        everyone = resources.search(s, STAFF, kind.spec, {}, limit=200)
        assert {ida["pid"], jo["pid"]} <= {r.pid for r in everyone.items}


@pytest.mark.parametrize("access", [STAFF, SYSTEM], ids=["staff", "system"])
def test_staff_and_system_reach_every_patients_forms(database, charts, access):
    with database.read() as s:
        for chart in charts.values():
            for kind in KINDS:
                _, row = encounter_forms.find(s, access, kind, chart["pid"], chart["eids"][0],
                                              chart["forms"][kind.spec.name])
                assert row.pid == chart["pid"]


def test_a_form_is_found_only_in_its_own_encounter(database, charts):
    ida = charts["Ida"]
    with database.read() as s:
        for kind in KINDS:
            _, page = encounter_forms.search(s, SYSTEM, kind, ida["pid"], ida["eids"][1])
            assert page.items == []
            with pytest.raises(NotFound):
                encounter_forms.find(s, SYSTEM, kind, ida["pid"], ida["eids"][1],
                                     ida["forms"][kind.spec.name])


def test_a_forms_row_of_another_kind_links_nothing(database, charts):
    """A `forms` row naming a vitals id under formdir `soap` does not make the vitals form
    part of that encounter, and a deleted link hides its form."""
    ida = charts["Ida"]
    vid = ida["forms"]["vital"]
    with database.write() as s:
        stray = EncounterForm(date=datetime(2024, 2, 2), encounter=ida["eids"][1],
                              form_name="SOAP", form_id=vid, pid=ida["pid"], formdir="soap")
        s.add(stray)
        s.flush()
        stray_id = stray.id
        link = s.execute(select(EncounterForm).where(
            EncounterForm.formdir == "vitals", EncounterForm.form_id == vid)).scalar_one()
        link.deleted = True
        link_id = link.id
    try:
        with database.read() as s:
            with pytest.raises(NotFound):
                encounter_forms.find(s, SYSTEM, VITALS, ida["pid"], ida["eids"][1], vid)
            with pytest.raises(NotFound):
                encounter_forms.find(s, SYSTEM, VITALS, ida["pid"], ida["eids"][0], vid)
    finally:
        with database.write() as s:
            s.delete(s.get(EncounterForm, stray_id))
            s.get(EncounterForm, link_id).deleted = False


def test_the_patient_and_encounter_come_from_the_path(database, charts):
    ida, jo = charts["Ida"], charts["Jo"]
    with database.write() as s:
        where, row, link = encounter_forms.create(
            s, SYSTEM, VITALS, ida["pid"], ida["eids"][1],
            {"pulse": 70, "pid": jo["pid"], "eid": jo["eids"][0], "id": 1, "uuid": jo["uuid"]})
        assert (row.pid, link.pid, link.encounter) == (ida["pid"], ida["pid"], ida["eids"][1])
        assert (link.formdir, link.form_id) == ("vitals", row.id) and row.uuid != jo["uuid"]
        s.delete(link)
        s.delete(row)


def test_ids_and_values_are_checked_before_anything_is_read(database):
    with database.read() as s:
        with pytest.raises(ValidationFailed) as refused:
            encounter_forms.search(s, SYSTEM, VITALS, "2147483648", "1")
        assert list(refused.value.fields) == ["pid"]
        with pytest.raises(ValidationFailed) as refused:
            encounter_forms.find(s, SYSTEM, SOAP_NOTES, "1", "0", "1")
        assert list(refused.value.fields) == ["eid"]
    with database.write() as s:
        with pytest.raises(ValidationFailed) as refused:
            encounter_forms.create(s, SYSTEM, VITALS, "2147483000", "1", {"weight": "heavy"})
        assert list(refused.value.fields) == ["weight"]
        with pytest.raises(ValidationFailed) as refused:
            encounter_forms.update(s, SYSTEM, SOAP_NOTES, "2147483000", "1", "1", {"plan": "x"})
        assert list(refused.value.fields) == ["plan"]


def test_an_update_writes_the_form_whole(database, charts):
    jo = charts["Jo"]
    with database.write() as s:
        _, row = encounter_forms.update(s, SYSTEM, VITALS, jo["pid"], jo["eids"][0],
                                        jo["forms"]["vital"], {"weight": "150.5"})
        assert (row.weight, row.bps, row.pulse) == (150.5, None, None)
        _, note = encounter_forms.update(s, SYSTEM, SOAP_NOTES, jo["pid"], jo["eids"][0],
                                         jo["forms"]["soap_note"], {"plan": "Rest"})
        assert (note.subjective, note.plan) == (None, "Rest")
    with database.read() as s:
        assert s.get(Vital, jo["forms"]["vital"]).weight == 150.5
        assert s.get(SoapNote, jo["forms"]["soap_note"]).plan == "Rest"
