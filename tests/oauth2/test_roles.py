"""One identity type with an enumerated role: the values are OpenEMR's `user_role`
strings, an unknown role is refused where it is made, and every role (system included)
goes through the scope rules without a special case."""

from __future__ import annotations

import json

import pytest
from authlib.oauth2.rfc6749.errors import InvalidScopeError

from emr_api.db.models import OAuthClient
from emr_api.identity import Access, Identity, Role
from emr_api.oauth2.clients import Client
from emr_api.oauth2.subjects import grantable_scope


def client_with(scope: str) -> Client:
    return Client(OAuthClient(client_id="c", client_name="c", is_confidential=True,
                              is_enabled=True, issued_at=0,
                              metadata_json=json.dumps({"scope": scope})))


def test_roles_are_openemrs_strings():
    assert [r.value for r in Role] == ["users", "patient", "system"]
    assert Identity("users").role is Role.USER
    with pytest.raises(ValueError):
        Identity("admin")


def test_the_subject_of_each_role():
    assert Identity(Role.USER, user_uuid="u").subject == "u"
    assert Identity(Role.PATIENT, user_uuid="p", patient_uuid="p").subject == "p"
    assert Access.system().identity.subject is None and Access.system().patient_uuid is None


@pytest.mark.parametrize("role,kept", [
    (Role.USER, "openid api:oemr user/patient.read"),
    (Role.PATIENT, "openid api:oemr patient/patient.read"),
    (Role.SYSTEM, "openid api:oemr"),
])
def test_each_role_is_granted_its_own_scope_context(role, kept):
    client = client_with("openid api:oemr user/patient.read patient/patient.read")
    asked = "openid api:oemr user/patient.read patient/patient.read"
    assert grantable_scope(asked, client, role) == kept


def test_nothing_grantable_is_an_oauth_error_not_a_crash():
    with pytest.raises(InvalidScopeError):
        grantable_scope("user/patient.read", client_with("user/patient.read"), Role.SYSTEM)
