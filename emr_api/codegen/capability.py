"""The FHIR CapabilityStatement's resource list, written from the FHIR API's OpenAPI
document: each type's interactions (its operations' `x-fhir-interaction`; `operation` with
`x-fhir-operation` names an operation such as `$docref`), its search
parameters (query parameters with `x-fhir-search-type`), its profiles (its tag). Nothing about a type is stated twice: a new type file is in the statement at once."""

from __future__ import annotations

from functools import lru_cache

from emr_api.codegen import loader
from emr_api.codegen.loader import METHODS

FHIR_DOCUMENT = "fhir/openapi.yaml"


@lru_cache(maxsize=1)
def resources() -> tuple[dict, ...]:
    doc = loader.read_only(FHIR_DOCUMENT)
    tags = {tag["name"]: tag for tag in doc.get("tags", [])}
    found: dict[str, dict] = {}
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if not op or "x-fhir-type" not in op:
                continue
            entry = found.setdefault(op["x-fhir-type"], {"interaction": [], "searchParam": []})
            code = op["x-fhir-interaction"]
            if code == "operation":  # a named operation (`$docref`): listed by its definition
                named = {k: op["x-fhir-operation"][k] for k in ("name", "definition")}
                operations = entry.setdefault("operation", [])
                if named not in operations:
                    operations.append(named)
                continue
            if {"code": code} not in entry["interaction"]:
                entry["interaction"].append({"code": code})
            if code == "search-type" and path == f"/{op['x-fhir-type']}":
                for param in (loader.resolve(doc, p) for p in op.get("parameters", [])):
                    if param["name"] in ("_include", "_revinclude"):
                        key = "searchInclude" if param["name"] == "_include" else \
                            "searchRevInclude"
                        entry[key] = list(param["x-fhir-values"])
                    if "x-fhir-search-type" in param:
                        entry["searchParam"].append({
                            "name": param["name"], "type": param["x-fhir-search-type"],
                            "documentation": param.get("description", "").strip()})
    statement = []
    for type_ in sorted(found):
        tag = tags.get(type_, {})
        statement.append({
            "type": type_,
            "profile": f"http://hl7.org/fhir/StructureDefinition/{type_}",
            # FHIR JSON has no empty arrays: a type no profile names leaves the key out.
            **({"supportedProfile": list(tag["x-fhir-profiles"])}
               if tag.get("x-fhir-profiles") else {}),
            "documentation": tag.get("description", ""),
            **found[type_],
            **_versioning({i["code"] for i in found[type_]["interaction"]}),
            "updateCreate": False,
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
        })
    return tuple(statement)


def _versioning(interactions: set[str]) -> dict:
    """A type that takes writes keeps versions: vread, If-Match, conditional create."""
    if "vread" not in interactions:
        return {"versioning": "no-version", "readHistory": False, "conditionalCreate": False}
    return {"versioning": "versioned-update", "readHistory": True,
            "conditionalCreate": "create" in interactions}
