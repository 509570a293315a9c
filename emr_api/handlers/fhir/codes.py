"""Code systems as FHIR names them, for the codes OpenEMR stores as `<SCHEME>:<code>`
(`ICD10:I10`, `RXNORM:7980`, `SNOMED-CT:...`): a stored code to a Coding, and a token
search (`system|code`, `code`) to the stored forms it may take."""

from __future__ import annotations

from sqlalchemy import or_

SYSTEMS = {
    "ICD10": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "SNOMED-CT": "http://snomed.info/sct",
    "SNOMED": "http://snomed.info/sct",
    "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "RXCUI": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "LOINC": "http://loinc.org",
    "CVX": "http://hl7.org/fhir/sid/cvx",
    "CPT4": "http://www.ama-assn.org/go/cpt",
    "NDC": "http://hl7.org/fhir/sid/ndc",
}
SCHEMES = {}
for _scheme, _system in SYSTEMS.items():
    SCHEMES.setdefault(_system, []).append(_scheme)


def codings(stored: str | None, display: str | None = None) -> list[dict]:
    """`ICD10:I10;SNOMED-CT:38341003` as Codings (schemes we cannot name are left out)."""
    found = []
    for part in (stored or "").split(";"):
        scheme, _, code = part.strip().partition(":")
        system = SYSTEMS.get(scheme.upper())
        if system and code:
            coding = {"system": system, "code": code}
            if display:
                coding["display"] = display
            found.append(coding)
    return found


def concept(stored: str | None, text: str) -> dict:
    """A CodeableConcept: the codings there are, and always the text."""
    coding = codings(stored, text)
    return {"coding": coding, "text": text} if coding else {"text": text}


def token(column):
    """A token search over a column holding one `<SCHEME>:<code>`."""

    def matcher(system, code):
        if system:
            schemes = SCHEMES.get(system)
            if not schemes:
                return None
        else:
            schemes = list(SYSTEMS)
        if not code:
            return or_(*(column.like(f"{scheme}:%") for scheme in schemes))
        return column.in_([f"{scheme}:{code}" for scheme in schemes])
    return matcher
