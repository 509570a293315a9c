"""`metadata` and `.well-known/smart-configuration`: served without a token, and written
from the FHIR document (a type's search parameters are listed as its YAML declares them)."""

from __future__ import annotations

from emr_api.codegen import loader

FHIR = "/apis/default/fhir"


def test_the_capability_statement_lists_patient_as_its_file_declares(client):
    r = client.get(f"{FHIR}/metadata")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    statement = r.json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1" and statement["kind"] == "instance"
    assert "application/fhir+json" in statement["format"]
    rest = statement["rest"][0]
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert {i["code"] for i in patient["interaction"]} == {
        "read", "search-type", "create", "update", "delete", "vread", "history-instance",
        "history-type"}
    assert patient["versioning"] == "versioned-update" and patient["readHistory"] is True
    assert patient["conditionalCreate"] is True
    condition = next(r for r in rest["resource"] if r["type"] == "Location")
    assert condition["versioning"] == "no-version" and condition["readHistory"] is False
    assert patient["supportedProfile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]
    names = [p["name"] for p in patient["searchParam"]]
    doc = loader.read_only("fhir/openapi.yaml")
    declared = [loader.resolve(doc, p) for p in doc["paths"]["/Patient"]["get"]["parameters"]]
    assert names == [p["name"] for p in declared if "x-fhir-search-type" in p]
    assert {"_id", "_lastUpdated", "identifier", "name", "birthdate", "gender", "family",
            "given"} <= set(names)
    assert {p["type"] for p in patient["searchParam"] if p["name"] == "birthdate"} == {"date"}
    oauth = rest["security"]["extension"][0]["extension"]
    urls = {e["url"]: e["valueUri"] for e in oauth}
    assert urls["token"].endswith("/oauth2/default/token")
    assert urls["authorize"].endswith("/oauth2/default/authorize")


def test_the_smart_configuration_names_the_endpoints(client):
    r = client.get(f"{FHIR}/.well-known/smart-configuration")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    smart = r.json()
    discovery = client.get("/oauth2/default/.well-known/openid-configuration").json()
    assert smart["token_endpoint"] == discovery["token_endpoint"]
    assert smart["authorization_endpoint"] == discovery["authorization_endpoint"]
    assert "S256" in smart["code_challenge_methods_supported"]
    assert {"launch-standalone", "client-public", "client-confidential-symmetric",
            "permission-v1", "permission-v2"} <= set(smart["capabilities"])


def test_metadata_in_xml_is_not_acceptable(client):
    r = client.get(f"{FHIR}/metadata", params={"_format": "xml"})
    assert r.status_code == 406
    assert r.json()["resourceType"] == "OperationOutcome"


def test_every_include_the_documents_list_is_one_the_providers_follow():
    """The YAML lists each type's `_include`/`_revinclude` values for the statement; the
    providers' reference parameters are what follows them: the two agree."""
    from emr_api.handlers.fhir import registry

    doc = loader.read_only("fhir/openapi.yaml")
    types = [path.strip("/") for path in doc["paths"] if path.count("/") == 1
             and registry.provider(path.strip("/"))]
    for type_ in types:
        params = {p["name"]: p.get("x-fhir-values", [])
                  for p in (loader.resolve(doc, q)
                            for q in doc["paths"][f"/{type_}"]["get"]["parameters"])}
        provider = registry.provider(type_)
        follows = [f"{type_}:{name}" for name, param in provider.params.items()
                   if param.type == "reference"]
        assert params.get("_include", []) == follows, type_
        referring = [f"{other}:{name}" for other in types
                     for name, param in registry.provider(other).params.items()
                     if param.type == "reference" and type_ in param.targets]
        # and every type's Provenance, derived from the resource itself
        assert params.get("_revinclude", []) == [*referring, "Provenance:target"], type_


def test_the_statement_lists_the_includes(client):
    statement = client.get(f"{FHIR}/metadata").json()
    condition = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Condition")
    assert condition["searchInclude"] == ["Condition:patient", "Condition:subject",
                                          "Condition:encounter"]
    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert "AllergyIntolerance:patient" in patient["searchRevInclude"]


def test_each_type_file_and_its_provider_name_the_same_search_and_sort():
    """The YAML documents a type's search (and the statement lists it); the provider
    answers it. A parameter in one and not the other fails here."""
    from emr_api.handlers.fhir import registry

    doc = loader.read_only("fhir/openapi.yaml")
    for path, item in doc["paths"].items():
        provider = registry.provider(path.strip("/"))
        if provider is None:
            continue
        declared = [loader.resolve(doc, p) for p in item["get"]["parameters"]]
        searched = {p["name"] for p in declared if "x-fhir-search-type" in p}
        shared = {"_id"} | ({"_lastUpdated"} if provider.updated_column is not None else set())
        assert searched == shared | set(provider.params), provider.type
        sort = next(p for p in declared if p["name"] == "_sort")["description"]
        keys = [*sorted(shared, key=["_id", "_lastUpdated"].index), *provider.sort]
        assert sort.endswith(": " + ", ".join(f"`{k}`" for k in keys) + "."), provider.type
