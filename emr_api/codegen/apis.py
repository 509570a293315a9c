"""The four APIs of a site, one row each: where each is mounted, the scope a token needs
for it, the site global that turns it on, the error shape it answers in, its YAML, and
the largest request body it takes.

Everything that varies by API reads this table: the site edge (routing, the switch, the
shape of an early error), the bearer check (API scope, audience), the app factory (which
documents to serve). An API without a document is not served yet; the edge still knows its
error shape and switch, so its URLs answer in its own shape."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Api:
    name: str
    prefix: str  # the first path segment: "apis" or "oauth2"; the site name follows it
    mount: str  # below /<prefix>/<site>: "/api", "/fhir", or "" (the OAuth2 endpoints)
    scope: str | None  # the API-level scope every operation also needs
    switch: str | None  # the site global that turns the API on or off
    errors: str  # "envelope", "operation_outcome" or "oauth2": handlers/<api>/errors.py
    spec: str | None  # the root YAML under emr_api/openapi/, or None while not served
    # Request bodies above this many bytes are refused (413), unless the operation's
    # `x-max-body` takes more (operations.body_limit).
    max_body: int = 1 << 20
    patient_only: bool = False  # only patients' tokens (the portal): others get 403
    # Query and form parameters the spec does not name are refused (400). OAuth2 must ignore
    # them instead (RFC 6749 §3.1, §3.2): clients send extras, e.g. SMART's `aud` at the token.
    strict: bool = True

    def base_path(self, site: str) -> str:
        return f"/{self.prefix}/{site}{self.mount}"


APIS: tuple[Api, ...] = (
    Api("standard", "apis", "/api", "api:oemr", "rest_api", "envelope", "standard/openapi.yaml"),
    Api("portal", "apis", "/portal", "api:port", "rest_portal_api", "envelope",
        "portal/openapi.yaml", patient_only=True),
    # Lenient: a search parameter it does not know is ignored unless `Prefer: handling=strict`
    # (handlers/fhir/interactions.py decides, not the validator).
    Api("fhir", "apis", "/fhir", "api:fhir", "rest_fhir_api", "operation_outcome",
        "fhir/openapi.yaml", strict=False),
    Api("oauth2", "oauth2", "", None, None, "oauth2", "oauth2/openapi.yaml", max_body=64 << 10,
        strict=False),
)
BY_NAME = {api.name: api for api in APIS}
SERVED = tuple(api for api in APIS if api.spec)


def match(path: str) -> tuple[Api, str] | None:
    """The API a request path belongs to, and the site name in it (not yet checked)."""
    parts = path.split("/")
    if len(parts) >= 4 and parts[1] == "apis":
        for api in APIS:
            if api.prefix == "apis" and api.mount == "/" + parts[3]:
                return api, parts[2]
    elif len(parts) >= 3 and parts[1] == "oauth2":
        return BY_NAME["oauth2"], parts[2]
    return None


def guess(path: str) -> Api:
    """For a path no API serves: the API whose error shape an answer should take."""
    found = match(path)
    return found[0] if found else BY_NAME["standard"]
