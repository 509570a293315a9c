"""Insurance policies and employer data, called as a job or the CLI would call them (no
HTTP, no request context): a patient-context Access reaches only its own patient's
policies and employer rows, in every query (search, read, update, swap); staff and system
access see everyone's; a refused swap leaves both slots as they were."""

from __future__ import annotations

from datetime import date

import pytest

from emr_api.db.models import EmployerData, InsuranceCompany, Patient
from emr_api.errors import NotFound, ValidationFailed
from emr_api.identity import Access, Identity, Role
from emr_api.services import employers, insurance

STAFF = Access(Identity(Role.USER, user_uuid="staff"), acl_group="front")
SYSTEM = Access.system()


def patient_access(puuid: str) -> Access:
    return Access(Identity(Role.PATIENT, user_uuid=puuid, patient_uuid=puuid),
                  client_id="portal-app", scopes=frozenset({"patient/insurance.read"}))


def policy(payer: int, fname: str, **extra) -> dict:
    return {"provider": payer, "policy_number": f"P-{fname}", "subscriber_fname": fname,
            "subscriber_lname": "Narrow", "subscriber_relationship": "self",
            "subscriber_DOB": "1990-01-02", "subscriber_street": "1 Main St",
            "subscriber_postal_code": "62701", "subscriber_city": "Springfield",
            "subscriber_state": "IL", "subscriber_sex": "Female", "accept_assignment": "TRUE",
            "date": "2020-01-01", **extra}


@pytest.fixture(scope="module")
def insured(database, two_patients) -> dict:
    """Ann and Bea Narrow each with a primary and a secondary policy and an employer row:
    {name: (puuid, primary uuid, secondary uuid)}."""
    made = {}
    with database.write() as s:
        payer = InsuranceCompany(name="Narrow Mutual")
        s.add(payer)
        s.flush()
        for name, (puuid, _) in two_patients.items():
            _, primary = insurance.create(s, SYSTEM, puuid, policy(payer.id, name))
            _, secondary = insurance.create(s, SYSTEM, puuid, policy(
                payer.id, name, type="secondary", date="2021-01-01"))
            pid = s.query(Patient.pid).filter(Patient.uuid == puuid).scalar()
            s.add(EmployerData(pid=pid, name=f"{name}'s employer"))
            made[name] = (puuid, primary.uuid, secondary.uuid)
    return made


@pytest.mark.parametrize("access", [STAFF, SYSTEM], ids=["staff", "system"])
def test_staff_and_system_see_every_patients_policies(database, insured, access):
    with database.read() as s:
        for puuid, primary, secondary in insured.values():
            _, page = insurance.search(s, access, puuid, {})
            assert [p.uuid for p in page.items] == [primary, secondary]
            assert insurance.find(s, access, puuid, secondary)[1].type == "secondary"
            _, jobs = employers.search(s, access, puuid)
            assert len(jobs.items) == 1


def test_a_patient_reaches_only_their_own(database, insured):
    ann, bea = insured["Ann"], insured["Bea"]
    mine = patient_access(ann[0])
    with database.read() as s:
        _, page = insurance.search(s, mine, ann[0], {})
        assert [p.uuid for p in page.items] == [ann[1], ann[2]]
        assert insurance.find(s, mine, ann[0], ann[1])[1].uuid == ann[1]
        assert len(employers.search(s, mine, ann[0])[1].items) == 1
        for call in (lambda: insurance.search(s, mine, bea[0], {}),
                     lambda: insurance.find(s, mine, bea[0], bea[1]),
                     lambda: insurance.find(s, mine, ann[0], bea[1]),
                     lambda: employers.search(s, mine, bea[0])):
            with pytest.raises(NotFound):
                call()


def test_a_patient_cannot_change_or_swap_another_patients_policy(database, insured):
    ann, bea = insured["Ann"], insured["Bea"]
    mine = patient_access(ann[0])
    for call in (lambda s: insurance.update(s, mine, bea[0], bea[1], {"plan_name": "Tampered"}),
                 lambda s: insurance.update(s, mine, ann[0], bea[1], {"plan_name": "Tampered"}),
                 lambda s: insurance.swap(s, mine, bea[0], "tertiary", bea[1]),
                 lambda s: insurance.swap(s, mine, ann[0], "tertiary", bea[1])):
        with pytest.raises(NotFound), database.write() as s:
            call(s)
    with database.read() as s:
        row = insurance.find(s, SYSTEM, bea[0], bea[1])[1]
        assert (row.plan_name, row.type) == (None, "primary")


def test_a_refused_swap_leaves_both_slots(database, insured):
    """Ann's secondary (from 2021, open), moved to tertiary, would overlap the tertiary
    policy of 2019-2022 that stays there when the latest one (2023) moves out."""
    ann = insured["Ann"]
    with database.write() as s:
        payer = s.query(InsuranceCompany.id).filter(
            InsuranceCompany.name == "Narrow Mutual").scalar()
        made = [insurance.create(s, SYSTEM, ann[0], policy(
            payer, "Ann", type="tertiary", date=start, date_end=end))[1].uuid
            for start, end in (("2019-01-01", "2022-12-31"), ("2023-01-01", "2023-12-31"))]
    with pytest.raises(ValidationFailed) as refused, database.write() as s:
        insurance.swap(s, SYSTEM, ann[0], "tertiary", ann[2])
    assert "type" in refused.value.fields and made[0] in refused.value.fields["type"][0]
    with database.read() as s:
        types = {p.uuid: p.type for p in insurance.search(s, SYSTEM, ann[0], {})[1].items}
    assert types == {ann[1]: "primary", ann[2]: "secondary", made[0]: "tertiary",
                     made[1]: "tertiary"}
    with database.write() as s:
        for made_uuid in made:
            s.delete(insurance.find(s, SYSTEM, ann[0], made_uuid)[1])


def test_overlapping_reads_open_periods_as_running_on(database, insured):
    ann = insured["Ann"]
    with database.read() as s:
        _, primary = insurance.find(s, SYSTEM, ann[0], ann[1])
        probe = insurance.InsurancePolicy(pid=primary.pid, type="primary",
                                          date=date(2030, 1, 1), date_end=None)
        assert insurance.overlapping(s, probe).uuid == ann[1]
        probe.date, probe.date_end = date(2010, 1, 1), date(2019, 12, 31)
        assert insurance.overlapping(s, probe) is None
        probe.date_end = date(2020, 1, 1)  # shares the first day of the primary
        assert insurance.overlapping(s, probe).uuid == ann[1]
