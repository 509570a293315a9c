"""The `lists` kinds (allergy, medical_problem, medication, surgery, dental_issue) with no
HTTP: a patient-context Access sees only its own patient's rows in every query (the lists
across patients included, `ResourceSpec.owner`); staff and system see all; a kind never
sees another kind's rows; writes take their patient and type from the path alone."""

from __future__ import annotations

from datetime import date

import pytest

from emr_api.db.models import Issue, Patient
from emr_api.errors import NotFound, ValidationFailed
from emr_api.identity import Access, Identity, Role
from emr_api.services import lists

SYSTEM = Access.system()
STAFF = Access(Identity(Role.USER, user_uuid="staff"), acl_group="doc")


def patient_access(puuid: str) -> Access:
    return Access(Identity(Role.PATIENT, user_uuid=puuid, patient_uuid=puuid),
                  client_id="portal-app", scopes=frozenset({"patient/allergy.read"}))


def key(kind: lists.Kind, patient: dict):
    """How a path of this kind names the patient: its uuid, or its pid as a string."""
    return str(patient["pid"]) if kind.by_id else patient["uuid"]


def item(kind: lists.Kind, row: dict):
    return str(row["id"]) if kind.by_id else row["uuid"]


@pytest.fixture(scope="module")
def charts(database) -> dict:
    """Two patients, each with one row of every kind: {first name: {pid, uuid, rows}}."""
    made = {}
    with database.write() as s:
        for first in ("Lia", "Mo"):
            p = Patient(fname=first, lname="Listed", sex="Female", DOB=date(1990, 1, 2))
            s.add(p)
            s.flush()
            rows = {}
            for kind in lists.KINDS:
                _, row = lists.create(s, SYSTEM, kind, key(kind, {"pid": p.pid, "uuid": p.uuid}),
                                      {"title": f"{first} {kind.name}", "begdate": "2020-01-02"})
                rows[kind.name] = {"id": row.id, "uuid": row.uuid}
            made[first] = {"pid": p.pid, "uuid": p.uuid, "rows": rows}
    return made


@pytest.mark.parametrize("kind", [lists.ALLERGY, lists.MEDICAL_PROBLEM], ids=lambda k: k.name)
def test_a_patient_sees_only_their_own_rows_across_patients(database, charts, kind):
    lia, mo = charts["Lia"], charts["Mo"]
    with database.read() as s:
        _, page = lists.search(s, patient_access(lia["uuid"]), kind, {}, limit=200)
        assert {r.pid for r in page.items} == {lia["pid"]}
        assert lia["rows"][kind.name]["uuid"] in {r.uuid for r in page.items}
        patient, row = lists.find(s, patient_access(lia["uuid"]), kind,
                                  lia["rows"][kind.name]["uuid"])
        assert (patient.uuid, row.title) == (lia["uuid"], f"Lia {kind.name}")
        with pytest.raises(NotFound) as refused:
            lists.find(s, patient_access(lia["uuid"]), kind, mo["rows"][kind.name]["uuid"])
        assert refused.value.fields == {kind.spec.id_name: ["not found"]}


@pytest.mark.parametrize("kind", lists.KINDS, ids=lambda k: k.name)
def test_a_patient_cannot_reach_another_patients_path(database, charts, kind):
    lia, mo = charts["Lia"], charts["Mo"]
    access = patient_access(lia["uuid"])
    with database.read() as s:
        _, own = lists.search(s, access, kind, {}, key(kind, lia))
        assert [r.title for r in own.items] == [f"Lia {kind.name}"]
        assert lists.find(s, access, kind, item(kind, lia["rows"][kind.name]),
                          key(kind, lia))[1].title == f"Lia {kind.name}"
        with pytest.raises(NotFound) as refused:
            lists.search(s, access, kind, {}, key(kind, mo))
        assert refused.value.fields == {"pid" if kind.by_id else "puuid": ["not found"]}
        with pytest.raises(NotFound):
            lists.find(s, access, kind, item(kind, mo["rows"][kind.name]), key(kind, mo))
    with database.write() as s:
        with pytest.raises(NotFound):
            lists.update(s, access, kind, key(kind, mo), item(kind, mo["rows"][kind.name]),
                         {"title": "Tampered"})
        with pytest.raises(NotFound):
            lists.delete(s, access, kind, key(kind, mo), item(kind, mo["rows"][kind.name]))
    with database.read() as s:
        assert lists.find(s, SYSTEM, kind, item(kind, mo["rows"][kind.name]),
                          key(kind, mo))[1].title == f"Mo {kind.name}"


@pytest.mark.parametrize("access", [STAFF, SYSTEM], ids=["staff", "system"])
def test_staff_and_system_see_every_patients_rows(database, charts, access):
    with database.read() as s:
        for kind in (lists.ALLERGY, lists.MEDICAL_PROBLEM):
            _, page = lists.search(s, access, kind, {"begdate": "2020-01-02"}, limit=200)
            pids = {r.pid for r in page.items}
            assert {charts["Lia"]["pid"], charts["Mo"]["pid"]} <= pids


def test_each_kind_sees_only_its_own_type(database, charts):
    lia = charts["Lia"]
    with database.read() as s:
        for kind in lists.KINDS:
            _, page = lists.search(s, SYSTEM, kind, {}, key(kind, lia))
            assert {r.type for r in page.items} == {kind.type}
            for other in lists.KINDS:
                if other is kind:
                    continue
                with pytest.raises(NotFound):
                    lists.find(s, SYSTEM, kind, item(kind, lia["rows"][other.name]),
                               key(kind, lia))


def test_dental_issues_are_stored_as_openemr_names_them(database, charts):
    with database.read() as s:
        row = s.get(Issue, charts["Lia"]["rows"]["dental_issue"]["id"])
        assert row.type == "dental"


def test_the_patient_and_type_come_from_the_path(database, charts):
    lia, mo = charts["Lia"], charts["Mo"]
    with database.write() as s:
        _, row = lists.create(s, SYSTEM, lists.SURGERY, str(lia["pid"]),
                              {"title": "Appendectomy", "pid": mo["pid"], "type": "allergy",
                               "id": 1, "uuid": mo["uuid"]})
        assert (row.pid, row.type) == (lia["pid"], "surgery") and row.uuid != mo["uuid"]
        s.delete(row)


def test_ids_are_checked_before_anything_is_read(database):
    with database.read() as s:
        with pytest.raises(ValidationFailed) as refused:
            lists.search(s, SYSTEM, lists.MEDICATION, {}, "2147483648")
        assert list(refused.value.fields) == ["pid"]


def test_a_replacing_update_needs_the_title_and_clears_what_it_leaves_out(database, charts):
    lia = charts["Lia"]
    with database.write() as s:
        _, row = lists.create(s, SYSTEM, lists.MEDICATION, str(lia["pid"]),
                              {"title": "Metformin", "begdate": "2021-01-01",
                               "diagnosis": "ICD10:E11.9"})
        with pytest.raises(ValidationFailed) as refused:
            lists.update(s, SYSTEM, lists.MEDICATION, str(lia["pid"]), str(row.id),
                         {"enddate": "2022-01-01"})
        assert list(refused.value.fields) == ["title"]
        _, row = lists.update(s, SYSTEM, lists.MEDICATION, str(lia["pid"]), str(row.id),
                              {"title": "Metformin XR"})
        assert (row.title, row.begdate, row.diagnosis) == ("Metformin XR", None, None)
        s.delete(row)
