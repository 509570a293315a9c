"""Schemathesis over the FHIR API's document, against the in-process app on every database
kind, with an administrator's token from the real token endpoint (every scope). The same
checks as the Standard API's run: no server error, answers (status, media type, schema) as
the document says, invalid input never accepted, 405 with `Allow`; and each operation must
have answered 2xx at least once.

About half of the reads whose `id` was generated valid get the id of a real resource of
their type, so the run reaches rows as well as 404s; an update's body carries the id of its
URL."""

from __future__ import annotations

import hashlib
import os

import pytest
import schemathesis
from schemathesis.core.parameters import ParameterLocation

from emr_api.codegen import loader
from tests.contract.conftest import BASE_URL
from tests.contract.test_standard_schemathesis import _SETTINGS, STANDARD_CHECKS, _config

FHIR_BASE = f"{BASE_URL}/apis/default/fhir"
# 148 operations, most of them searches with a dozen parameters each: fewer generated
# examples per operation than the Standard API's run, every operation still covered (and
# each must answer 2xx at least once).
FHIR_EXAMPLES = int(os.environ.get("EMR_API_FHIR_CONTRACT_EXAMPLES", "30"))
fhir = schemathesis.openapi.from_dict(loader.bundled("fhir/openapi.yaml"),
                                      config=_config(STANDARD_CHECKS, FHIR_EXAMPLES))


# Types without a search of their own, and the type whose ids are theirs.
SEARCHED_AS = {"Binary": "DocumentReference"}


@pytest.fixture(scope="session")
def fhir_ids(contract) -> dict[str, list[str]]:
    """Real ids of each type, by the type's first path segment."""
    found = {}
    for path in fhir.raw_schema["paths"]:
        type_ = path.strip("/").split("/")[0]
        if "{id}" in path and type_ == "Provenance":  # searched only by target: patients'
            continue
        if "{id}" in path:
            r = contract.client.get(f"{FHIR_BASE}/{SEARCHED_AS.get(type_, type_)}",
                                    params={"_count": 20},
                                    headers=contract.auth)
            assert r.status_code == 200, r.text
            found[type_] = [entry["resource"]["id"] for entry in r.json().get("entry", [])]
            assert found[type_], f"the demo data has no {type_}"
    found["Provenance"] = [f"pa-{id_}" for id_ in found["Patient"]]
    return found


@fhir.parametrize()
@_SETTINGS
def test_fhir_api(case, contract, fhir_ids, answers):
    digest = hashlib.sha256(repr((case.path_parameters, case.query, case.body)).encode()).digest()
    type_ = case.operation.path.strip("/").split("/")[0]
    # The operation's own method: a case may send another (the 405 checks).
    method = case.operation.method.upper() if case.method.upper() == \
        case.operation.method.upper() else None
    if case.path_parameters and case.meta and not case.meta.is_negative_at(ParameterLocation.PATH):
        if digest[0] % 2 == 0:
            real = fhir_ids[type_]
            id_ = real[digest[1] % len(real)]
            if method == "DELETE":  # a resource of its own (demo patients have records)
                id_ = _fresh(contract, fhir_ids, type_)
            case.path_parameters = {**case.path_parameters, "id": id_}
            if "vid" in case.path_parameters:  # its current version (others' may be unkept)
                current = contract.client.get(f"{FHIR_BASE}/{type_}/{id_}", headers=contract.auth)
                case.path_parameters["vid"] = current.json()["meta"]["versionId"] \
                    if current.status_code == 200 else "1"
            if method == "PUT" and digest[2] % 2 == 0:  # read, then write it back
                current = contract.client.get(f"{FHIR_BASE}/{type_}/{id_}", headers=contract.auth)
                if current.status_code == 200:
                    case.body = current.json()
    condition = {"POST": "If-None-Exist", "PUT": "If-Match", "DELETE": "If-Match"}.get(method)
    if condition and case.headers and condition in case.headers and digest[4] % 2 == 0 \
            and not (case.meta and case.meta.is_negative_at(ParameterLocation.HEADER)):
        # half the writes are unconditional, as most clients' (a generated condition is
        # almost never met)
        case.headers = {k: v for k, v in case.headers.items() if k != condition}
    if method in ("POST", "PUT") and isinstance(case.body, dict) and (
            digest[3] % 2 == 0 or _names_the_example_patient(case.body)):
        case.body = _with_real_patient(case.body, fhir_ids)
    if method == "PUT" and isinstance(case.body, dict) and "id" in (case.path_parameters or {}):
        # an update names the resource of its URL (else 400, whatever the rest of it)
        case.body = {**case.body, "id": case.path_parameters["id"]}
    response = case.call_and_validate(app=contract.app, base_url=FHIR_BASE,
                                      headers=contract.auth)
    answers[response.status_code] += 1


def _names_the_example_patient(body: dict) -> bool:
    """The documents' examples name `Patient/example`, which no site holds."""
    return any(isinstance(body.get(e), dict) and body[e].get("reference") == "Patient/example"
               for e in ("patient", "subject"))


def _with_real_patient(body: dict, fhir_ids) -> dict:
    """A body whose `patient` or `subject` reference names a real patient."""
    real = f"Patient/{fhir_ids['Patient'][0]}"
    return {**body, **{element: {**body[element], "reference": real}
                       for element in ("patient", "subject")
                       if isinstance(body.get(element), dict)}}


def _fresh(contract, fhir_ids, type_: str) -> str:
    """A new resource of a type that takes writes, made from its body schema's example."""
    schema_ref = fhir.raw_schema["paths"][f"/{type_}"]["post"]["requestBody"]["content"][
        "application/fhir+json"]["schema"]["$ref"]
    example = fhir.raw_schema["components"]["schemas"][schema_ref.rsplit("/", 1)[-1]]["example"]
    r = contract.client.post(f"{FHIR_BASE}/{type_}", json=_with_real_patient(example, fhir_ids),
                             headers=contract.auth)
    assert r.status_code == 201, r.text
    return r.json()["id"]
