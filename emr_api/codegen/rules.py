"""An API's request schemas as rules other writers obey: the FHIR API writes the rows the
Standard API serves, so what it writes must pass the Standard API's own schema for that
write (OpenEMR's lengths and formats, stated once, in the YAML)."""

from __future__ import annotations

from functools import lru_cache

from jsonschema import Draft4Validator

from emr_api.codegen import loader


@lru_cache(maxsize=None)
def _validator(document: str, schema: str) -> Draft4Validator:
    doc = loader.bundled(document)
    return Draft4Validator({"$ref": f"#/components/schemas/{schema}",
                            "components": doc["components"]})


def problems(document: str, schema: str, data: dict) -> dict[str, list[str]]:
    """{field: [messages]} where `data` breaks the schema; a None value is a field left
    out (cleared), which the schema's `required` judges, not its types."""
    present = {k: v for k, v in data.items() if v is not None}
    found: dict[str, list[str]] = {}
    for error in _validator(document, schema).iter_errors(present):
        field = str(error.path[0]) if error.path else \
            error.message.split("'")[1] if error.validator == "required" else ""
        found.setdefault(field, []).append(error.message)
    return found
