"""Prescriptions and the formulary, called as a job or the CLI would call them (no HTTP):
a patient-context Access finds, writes and stops only its own patient's prescriptions, in
every query the service makes; staff and system see everyone's; the formulary is the same
for every caller; every required field is named at once."""

from __future__ import annotations

import pytest

from emr_api.db.models import Drug, Patient, Practitioner, Prescription
from emr_api.errors import NotFound, ValidationFailed
from emr_api.identity import Access, Identity, Role
from emr_api.services import drugs, prescriptions, resources

STAFF = Access(Identity(Role.USER, user_uuid="staff"), acl_group="doc")
SYSTEM = Access.system()


def patient_access(puuid: str) -> Access:
    return Access(Identity(Role.PATIENT, user_uuid=puuid, patient_uuid=puuid),
                  client_id="portal-app", scopes=frozenset({"patient/prescription.read"}))


@pytest.fixture(scope="module")
def charts(database, two_patients) -> dict:
    """Two prescriptions each for Ann and Bea: {name: (puuid, pid, [rx uuid, ...])}, and a
    formulary drug."""
    made = {}
    with database.write() as s:
        doctor = Practitioner(fname="Rx", lname="Narrow", npi="1112223334")
        s.add_all([doctor, Drug(name="Narrow formulary drug", drug_code="314076")])
        s.flush()
        for name, (puuid, _) in two_patients.items():
            pid = s.query(Patient.pid).filter(Patient.uuid == puuid).scalar()
            rows = [prescriptions.create(s, SYSTEM, {"patient_id": pid, "provider_id": doctor.id,
                                                     "drug": f"{name}'s drug {n}"})[1].uuid
                    for n in (1, 2)]
            made[name] = (puuid, pid, rows)
        made["provider_id"] = doctor.id
    return made


def test_a_patient_finds_only_their_own_prescriptions(database, charts):
    ann, bea = charts["Ann"], charts["Bea"]
    access = patient_access(ann[0])
    with database.read() as s:
        page = prescriptions.search(s, access, {}, limit=200)
        assert {row.uuid for row in page.items} == set(ann[2])
        assert prescriptions.search(s, access, {"patient_id": bea[1]}).items == []
        assert prescriptions.find(s, access, ann[2][0]).patient_id == ann[1]
        with pytest.raises(NotFound) as refused:
            prescriptions.find(s, access, bea[2][0])
        assert refused.value.fields == {"uuid": ["not found"]}


def test_a_patient_cannot_write_or_stop_another_patients_prescription(database, charts):
    ann, bea = charts["Ann"], charts["Bea"]
    access = patient_access(ann[0])
    with database.write() as s:
        with pytest.raises(ValidationFailed) as refused:
            prescriptions.create(s, access, {"patient_id": bea[1], "drug": "Sneaky",
                                             "provider_id": charts["provider_id"]})
        assert set(refused.value.fields) == {"patient_id"}
        with pytest.raises(NotFound):
            prescriptions.delete(s, access, bea[2][0])
        with pytest.raises(NotFound):  # naming the patient does not help
            prescriptions.delete(s, access, bea[2][0], bea[0])
    with database.write() as s:
        patient, row = prescriptions.create(s, access, {"patient_id": ann[1], "drug": "Own",
                                                        "provider_id": charts["provider_id"]})
        assert patient.uuid == ann[0] and row.patient_id == ann[1]
        assert prescriptions.delete(s, access, row.uuid)[1].active is False
    with database.read() as s:
        assert s.query(Prescription.active).filter(Prescription.uuid == bea[2][0]).scalar()
        assert not s.query(Prescription).filter(Prescription.drug == "Sneaky").count()


@pytest.mark.parametrize("access", [STAFF, SYSTEM], ids=["staff", "system"])
def test_staff_and_system_see_every_patients_prescriptions(database, charts, access):
    with database.read() as s:
        for puuid, pid, rows in (charts["Ann"], charts["Bea"]):
            own = prescriptions.search(s, access, {"patient_id": pid})
            assert {row.uuid for row in own.items} >= set(rows)
            assert prescriptions.find(s, access, rows[1]).patient_id == pid


def test_the_formulary_is_the_same_for_every_caller(database, charts):
    for access in (SYSTEM, STAFF, patient_access(charts["Ann"][0])):
        with database.read() as s:
            found = resources.search(s, access, drugs.SPEC, {"drug_code": "314076"})
            assert [d.name for d in found.items] == ["Narrow formulary drug"]


def test_every_missing_required_field_is_named_at_once(database):
    with database.write() as s:
        with pytest.raises(ValidationFailed) as refused:
            prescriptions.create(s, SYSTEM, {"dosage": "1 tablet"})
    assert set(refused.value.fields) == {"patient_id", "provider_id", "drug"}
