"""Schemathesis against the in-process app, on every database kind.

Every operation of the bundled Standard API document is called with generated valid and invalid
input and an administrator's token (every scope) from the real token endpoint, at the
real paths under `/apis/default/api`. Checks: no server error, responses and status codes
and content types as the spec says, invalid input never accepted (a 4xx, never a 2xx),
and a 405 with the right `Allow` for methods a path does not have. Each operation must also have answered 2xx at least once, so a broken token or a
path that never routes cannot pass as a run of 401s or 404s.

The Patient Portal document runs the same way with a portal patient's own token (a patient
of its own, given an encounter so every read has a row to find).

The non-browser operations of the OAuth2 document (discovery, jwk, registration,
token, introspect, revoke, userinfo) run too: no server error, answers as the spec says
(status, media type, schema, headers, 405 with `Allow`).

`EMR_API_CONTRACT_EXAMPLES` sets the fuzzing examples per operation (default 100)."""

from __future__ import annotations

import hashlib
import os
from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from emr_api.auth.passwords import hash_password
from emr_api.codegen import loader
from emr_api.db.models import Patient
from tests.conftest import bearer, password_token, register_client
from tests.contract.conftest import API_BASE, BASE_URL, OAUTH_BASE

MAX_EXAMPLES = int(os.environ.get("EMR_API_CONTRACT_EXAMPLES", "100"))


def _config(checks: list[str], examples: int = MAX_EXAMPLES) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "generation": {"mode": "all", "max-examples": examples,
                       "database": "none"},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
                   "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
        "checks": {name: {"enabled": name in checks} for name in ALL_CHECKS},
    })


# Every check is named so that none is on by accident. Off on purpose:
# positive_data_acceptance (valid input may rightly get 404: a generated uuid names no
# record), use_after_free and ensure_resource_availability (no DELETE operations, no
# stateful links yet), object_level_authorization (it needs a second caller's
# credentials per operation, which this run does not configure).
ALL_CHECKS = [
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_schema_conformance", "response_headers_conformance",
    "positive_data_acceptance", "negative_data_rejection", "use_after_free",
    "ensure_resource_availability", "missing_required_header", "ignored_auth",
    "unsupported_method", "object_level_authorization", "allow_header_conformance",
]
STANDARD_CHECKS = [
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_schema_conformance", "response_headers_conformance",
    "negative_data_rejection", "missing_required_header", "ignored_auth",
    "unsupported_method", "allow_header_conformance",
]
OAUTH2_CHECKS = [
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_schema_conformance", "response_headers_conformance",
    "unsupported_method", "allow_header_conformance",
]
# The operations that need no browser (the authorization endpoint, login, consent and
# logout pages are HTML flows tested elsewhere).
OAUTH2_OPERATIONS = ("/.well-known/openid-configuration", "/jwk", "/registration", "/token",
                     "/introspect", "/revoke", "/userinfo")

standard = schemathesis.openapi.from_dict(loader.bundled("standard/openapi.yaml"),
                                          config=_config(STANDARD_CHECKS))
portal = schemathesis.openapi.from_dict(loader.bundled("portal/openapi.yaml"),
                                        config=_config(STANDARD_CHECKS))
PORTAL_BASE = f"{BASE_URL}/apis/default/portal"
oauth2 = schemathesis.openapi.from_dict(loader.bundled("oauth2/openapi.yaml"),
                                        config=_config(OAUTH2_CHECKS)).include(
    path=list(OAUTH2_OPERATIONS))

_SETTINGS = settings(suppress_health_check=list(HealthCheck), deadline=None)


@standard.parametrize()
@_SETTINGS
def test_standard_api(case, contract, answers):
    contract.use_real_ids(case)
    response = case.call_and_validate(app=contract.app, base_url=API_BASE,
                                      headers=contract.auth)
    answers[response.status_code] += 1


@portal.parametrize()
@_SETTINGS
def test_portal_api(case, contract, portal_patient, answers):
    if case.path_parameters and case.meta and not case.meta.is_negative_at(ParameterLocation.PATH):
        digest = hashlib.sha256(repr((case.query, case.path_parameters)).encode()).digest()
        if digest[0] % 2 == 0:  # about half reach the patient's real encounter or appointment
            real = {k: v for k, v in portal_patient["ids"].items() if k in case.path_parameters}
            case.path_parameters = {**case.path_parameters, **real}
    response = case.call_and_validate(app=contract.app, base_url=PORTAL_BASE,
                                      headers=portal_patient["headers"])
    answers[response.status_code] += 1


@pytest.fixture(scope="session")
def portal_patient(contract) -> dict:
    """A portal patient of the contract run's own (the Standard run may rewrite the demo
    portal patient's email, which the patient login needs), with a token, and an encounter
    and an appointment made by the admin (the demo data gave the demo portal patient
    appointments of his own)."""
    from sqlalchemy import select

    from emr_api.db.models import Facility

    with contract.app.registry.get("default").db.write() as s:
        patient = Patient(fname="Contract", lname="Portal", DOB=date(1970, 1, 2), sex="Female",
                          email="portal@contract.example", portal_username="contract-portal",
                          portal_password_hash=hash_password("contract-pass"))
        s.add(patient)
        s.flush()
        puuid, pid = patient.uuid, patient.pid
        clinic = s.execute(select(Facility.id).order_by(Facility.id)).scalars().first()
    creds = register_client(contract.client)
    token = password_token(contract.client, creds, role="patient", username="contract-portal",
                           password="contract-pass", email="portal@contract.example",
                           scope="openid api:port patient/patient.rs patient/encounter.rs "
                                 "patient/appointment.rs")
    r = contract.client.post(f"{API_BASE}/patient/{puuid}/encounter",
                             json={"pc_catid": 5, "class_code": "AMB", "reason": "Contract"},
                             headers=contract.auth)
    assert r.status_code == 201, r.text
    booked = contract.client.post(
        f"{API_BASE}/patient/{pid}/appointment",
        json={"pc_catid": 5, "pc_title": "Office Visit", "pc_duration": 900,
              "pc_hometext": "Contract", "pc_apptstatus": "-", "pc_eventDate": "2025-03-04",
              "pc_startTime": "09:00", "pc_facility": clinic, "pc_billing_location": clinic},
        headers=contract.auth)
    assert booked.status_code == 201, booked.text
    return {"headers": bearer(token), "ids": {"euuid": r.json()["data"]["euuid"],
                                              "auuid": booked.json()["data"]["pc_uuid"]}}


@oauth2.parametrize()
@_SETTINGS
def test_oauth2_api(case, contract, oauth_tokens, answers):
    headers = {}
    if case.operation.path == "/userinfo":
        headers = oauth_tokens["userinfo"]
    elif isinstance(case.body, dict) and not case.meta.is_negative_at(ParameterLocation.BODY):
        # Three in four valid forms carry a real client's credentials, so introspection,
        # revocation and the token endpoint get past client authentication; the rest
        # keep what was generated.
        digest = hashlib.sha256(repr(sorted(case.body.items())).encode()).digest()
        if digest[0] % 4 != 0:
            creds = oauth_tokens["client"]
            body = {**case.body, "client_id": creds["client_id"],
                    "client_secret": creds["client_secret"]}
            if case.operation.path == "/token" and body.get("grant_type") == "password":
                # A real user as well: the password grant then issues tokens.
                body.update(user_role="users", username="admin", password="pass",
                            scope="openid api:oemr user/patient.read")
            if case.operation.path == "/registration":
                # Valid metadata that generation cannot guess: real URIs and scopes.
                body = {**case.body, "redirect_uris": ["https://app.example.org/callback"],
                        "scope": "openid api:oemr user/patient.read"}
                if "post_logout_redirect_uris" in body:
                    body["post_logout_redirect_uris"] = ["https://app.example.org/bye"]
            case.body = body
    response = case.call_and_validate(app=contract.app, base_url=OAUTH_BASE, headers=headers)
    answers[response.status_code] += 1


@pytest.fixture(scope="session")
def oauth_tokens(contract):
    """A client and a token of their own: generated revocations may only hit these."""
    creds = register_client(contract.client)
    token = password_token(contract.client, creds)
    return {"client": creds, "userinfo": bearer(token)}
