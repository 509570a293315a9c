"""Role ACLs (OpenEMR's sections) declared per operation as `x-acl`: a user whose group
lacks the section is refused with 403, whatever the token's scopes."""

from __future__ import annotations

import pytest

from emr_api.auth import acl
from emr_api.codegen import operations
from tests.conftest import bearer, password_token
from tests.security.conftest import API

FACILITY = {"name": "ACL Test Clinic", "facility_npi": "1234567893"}


@pytest.fixture(scope="module")
def physician(client, app_client) -> dict:
    return bearer(password_token(client, app_client, username="physician", password="physician"))


@pytest.fixture(scope="module")
def patient_uuid(client, admin) -> str:
    r = client.post(f"{API}/patient", json={"fname": "Acl", "lname": "Case", "sex": "Male",
                                            "DOB": "1980-05-06"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]["uuid"]


def test_the_yaml_acls_are_loaded(app):
    acl_of = {op.operation_id: op.acl for op in operations.operations()}
    assert acl_of["emr_api.handlers.standard.patient.create_patient"] == ("patients", "demo")
    assert acl_of["emr_api.handlers.standard.facility.create_facility"] == ("admin", "super")


@pytest.mark.parametrize("group,section,subsection,allowed", [
    ("admin", "admin", "super", True),
    ("admin", "patients", "demo", True),
    ("doc", "patients", "demo", True),
    ("doc", "encounters", "auth_a", True),
    ("doc", "admin", "users", True),
    ("doc", "admin", "super", False),
    ("front", "patients", "demo", True),
    ("front", "admin", "super", False),
    ("front", "admin", "users", False),
    ("front", "encounters", "auth_a", False),
    (None, "patients", "demo", False),
    ("nosuchgroup", "patients", "demo", False),
])
def test_group_acls(group, section, subsection, allowed):
    assert acl.allows(group, section, subsection) is allowed


def test_the_front_office_user_may_work_with_demographics(client, front_office, patient_uuid):
    assert client.get(f"{API}/patient/{patient_uuid}", headers=front_office).status_code == 200
    r = client.put(f"{API}/patient/{patient_uuid}", json={"city": "Frontville"},
                   headers=front_office)
    assert r.status_code == 200, r.text


def test_the_front_office_user_is_refused_admin_super(client, admin, front_office):
    r = client.post(f"{API}/facility", json=FACILITY, headers=front_office)
    assert r.status_code == 403, r.text
    assert "admin/super" in r.json()["internalErrors"][0]
    # The same request with the administrator's token succeeds: the ACL made the difference.
    assert client.post(f"{API}/facility", json=FACILITY, headers=admin).status_code == 201


def test_the_front_office_user_is_refused_admin_users(client, front_office):
    r = client.get(f"{API}/facility", headers=front_office)
    assert r.status_code == 403, r.text
    assert "admin/users" in r.json()["internalErrors"][0]


def test_the_front_office_user_is_refused_encounters(client, front_office, patient_uuid):
    r = client.get(f"{API}/patient/{patient_uuid}/encounter", headers=front_office)
    assert r.status_code == 403, r.text


def test_a_physician_reads_facilities_but_is_refused_admin_super(client, physician):
    assert client.get(f"{API}/facility", headers=physician).status_code == 200
    assert client.post(f"{API}/facility", json=FACILITY, headers=physician).status_code == 403
