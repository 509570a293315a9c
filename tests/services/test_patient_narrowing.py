"""A patient-context Access sees one patient, in every query the services make; staff and
system access see all. Called with no HTTP and no request context, as a job or the CLI
would call them."""

from __future__ import annotations

import pytest

from emr_api.errors import NotFound
from emr_api.identity import Access, Identity, Role
from emr_api.services import encounters, patients, resources


def patient_access(puuid: str) -> Access:
    return Access(Identity(Role.PATIENT, user_uuid=puuid, patient_uuid=puuid),
                  client_id="portal-app", scopes=frozenset({"patient/patient.read"}))


STAFF = Access(Identity(Role.USER, user_uuid="staff"), acl_group="doc")


@pytest.mark.parametrize("access", [STAFF, Access.system()], ids=["staff", "system"])
def test_staff_and_system_see_every_patient(database, two_patients, access):
    with database.read() as s:
        page = resources.search(s, access, patients.SPEC, {"lname": "Narrow"})
        assert {p.fname for p in page.items} == {"Ann", "Bea"}
        for puuid, euuids in two_patients.values():
            assert patients.find(s, access, puuid).uuid == puuid
            _, found = encounters.search(s, access, puuid)
            assert {e.uuid for e in found.items} == set(euuids)


def test_a_patient_finds_only_themself(database, two_patients):
    ann, _ = two_patients["Ann"]
    bea, _ = two_patients["Bea"]
    access = patient_access(ann)
    with database.read() as s:
        assert patients.find(s, access, ann).fname == "Ann"
        with pytest.raises(NotFound) as refused:
            patients.find(s, access, bea)
        assert refused.value.fields == {"puuid": ["not found"]}


def test_a_patients_search_holds_only_themself(database, two_patients):
    ann, _ = two_patients["Ann"]
    with database.read() as s:
        page = resources.search(s, patient_access(ann), patients.SPEC, {"lname": "Narrow"})
        assert [p.uuid for p in page.items] == [ann]
        everyone = resources.search(s, patient_access(ann), patients.SPEC, {})
        assert [p.uuid for p in everyone.items] == [ann]


def test_a_patient_reaches_only_their_own_encounters(database, two_patients):
    ann, ann_encounters = two_patients["Ann"]
    bea, bea_encounters = two_patients["Bea"]
    access = patient_access(ann)
    with database.read() as s:
        _, own = encounters.search(s, access, ann)
        assert {e.uuid for e in own.items} == set(ann_encounters)
        assert encounters.find(s, access, ann, ann_encounters[0])[1].uuid == ann_encounters[0]
        with pytest.raises(NotFound):
            encounters.search(s, access, bea)
        with pytest.raises(NotFound):
            encounters.find(s, access, bea, bea_encounters[0])
        # Another patient's encounter through one's own path is not there either.
        with pytest.raises(NotFound) as refused:
            encounters.find(s, access, ann, bea_encounters[0])
        assert refused.value.fields == {"euuid": ["not found"]}


def test_the_encounter_spec_narrows_on_its_own(database, two_patients):
    """Narrowing is in the spec's query, not only in the patient lookup before it."""
    ann, _ = two_patients["Ann"]
    _, bea_encounters = two_patients["Bea"]
    with database.read() as s:
        with pytest.raises(NotFound):
            resources.find(s, patient_access(ann), encounters.SPEC, bea_encounters[0])
        page = resources.search(s, patient_access(ann), encounters.SPEC, {})
        assert bea_encounters[0] not in {e.uuid for e in page.items}


def test_a_patient_cannot_write_to_another_patient(database, two_patients):
    ann, _ = two_patients["Ann"]
    bea, _ = two_patients["Bea"]
    with pytest.raises(NotFound):
        with database.write() as s:
            resources.update(s, patient_access(ann), patients.SPEC, bea, {"city": "Elsewhere"})
    with pytest.raises(NotFound):
        with database.write() as s:
            encounters.create(s, patient_access(ann), bea, {"pc_catid": 5, "class_code": "AMB"})
    with database.read() as s:
        assert patients.find(s, STAFF, bea).city is None
        assert len(encounters.search(s, STAFF, bea)[1].items) == 2
