"""FHIR datatypes read back from a resource a client wrote (HumanName, ContactPoint,
Address, CodeableConcept, Reference), for the types that take writes: each answers the
values our columns keep, or a 400 naming the element at fault."""

from __future__ import annotations

from datetime import date

from emr_api.codegen import rules
from emr_api.errors import ValidationFailed
from emr_api.handlers.fhir.codes import SCHEMES


def bad(element: str, message: str) -> ValidationFailed:
    return ValidationFailed({element: [message]}, f"{element}: {message}")


def _list(resource: dict, element: str) -> list:
    value = resource.get(element, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise bad(element, "a list of objects")
    return value


def text(resource: dict, element: str) -> str | None:
    value = resource.get(element)
    if value is not None and not isinstance(value, str):
        raise bad(element, "a string")
    return value or None


def name(resource: dict, *, required: bool = True) -> dict:
    """The official name (else the first) as {lname, fname, mname, title, suffix}."""
    names = _list(resource, "name")
    chosen = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    given = chosen.get("given") or []
    if not isinstance(given, list) or not all(isinstance(g, str) for g in given):
        raise bad("name.given", "a list of strings")
    family = text(chosen, "family")
    if required and not (family and given):
        raise bad("name", "a name with family and given is required")
    return {"lname": family, "fname": given[0] if given else None,
            "mname": " ".join(given[1:]) or None,
            "title": _first_text(chosen, "name.prefix", "prefix"),
            "suffix": _first_text(chosen, "name.suffix", "suffix")}


def _first_text(node: dict, element: str, key: str) -> str | None:
    values = node.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise bad(element, "a list of strings")
    return values[0] if values else None


def telecom(resource: dict, slots: dict[tuple[str, str | None], str]) -> dict:
    """Contact points into columns: `slots` maps (system, use) to a column; a use of None
    takes that system's first point whose own use has no column."""
    found = {column: None for column in slots.values()}
    for point in _list(resource, "telecom"):
        system, use, value = point.get("system"), point.get("use"), point.get("value")
        if not isinstance(value, str) or not value:
            continue
        column = slots.get((system, use)) or slots.get((system, None))
        if column and found[column] is None:
            found[column] = value
    return found


def address(resource: dict) -> dict:
    """The home address (else the first) as {street, city, county, state, postal_code,
    country}; lines are joined with a comma."""
    addresses = _list(resource, "address")
    chosen = next((a for a in addresses if a.get("use") == "home"),
                  addresses[0] if addresses else {})
    lines = chosen.get("line") or []
    if not isinstance(lines, list) or not all(isinstance(v, str) for v in lines):
        raise bad("address.line", "a list of strings")
    return {"street": ", ".join(lines) or None, "city": text(chosen, "city"),
            "county": text(chosen, "district"), "state": text(chosen, "state"),
            "postal_code": text(chosen, "postalCode"), "country": text(chosen, "country")}


def day(resource: dict, element: str, *, required: bool = False) -> date | None:
    """A FHIR date or dateTime's day."""
    value = resource.get(element)
    if value is None:
        if required:
            raise bad(element, "is required")
        return None
    if not isinstance(value, str):
        raise bad(element, "a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise bad(element, f"{value!r} is not a date (YYYY-MM-DD)") from None


def coded(concept: dict | None, element: str) -> tuple[str | None, str | None]:
    """(`SCHEME:code` as OpenEMR stores it, the text) of a CodeableConcept: the first
    coding in a system we store; the text, else that coding's display."""
    if concept is None:
        return None, None
    if not isinstance(concept, dict):
        raise bad(element, "a CodeableConcept")
    stored, display = None, None
    for coding in concept.get("coding") or []:
        if not isinstance(coding, dict):
            raise bad(f"{element}.coding", "a list of Codings")
        schemes = SCHEMES.get(coding.get("system"))
        if schemes and coding.get("code") and stored is None:
            stored, display = f"{schemes[0]}:{coding['code']}", coding.get("display")
    words = concept.get("text")
    if words is not None and not isinstance(words, str):
        raise bad(f"{element}.text", "a string")
    return stored, words or display


def code_of(concept: dict | None, system: str) -> str | None:
    """The code of a concept's first coding in `system`."""
    for coding in (concept or {}).get("coding") or []:
        if isinstance(coding, dict) and coding.get("system") == system:
            return coding.get("code")
    return None


def reference_id(resource: dict, element: str, type_: str, *, required: bool = True) -> str | None:
    """The id a Reference (`Type/id`, or an absolute URL ending so) names."""
    value = resource.get(element)
    reference = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(reference, str) or not reference:
        if required:
            raise bad(element, f"a reference to a {type_} is required")
        return None
    parts = reference.rstrip("/").split("/")
    if len(parts) < 2 or parts[-2] != type_ or not parts[-1]:
        raise bad(element, f"must refer to a {type_} (`{type_}/<id>`)")
    return parts[-1]


def obey(schema: str, data: dict, names: dict[str, str]) -> dict:
    """The Standard API's fields a resource sets, held to that API's own schema for the
    write (`PatientCreate`); a field that breaks it is a 400 naming the FHIR element it came
    from (`names`: field -> element)."""
    broken = rules.problems("standard/openapi.yaml", schema, data)
    if broken:
        raise ValidationFailed(
            {names.get(field, field): [f"{names.get(field, field)}: {message}"
                                       for message in messages]
             for field, messages in broken.items()},
            "The resource breaks OpenEMR's rules for this record")
    return data
