"""The FHIR API's wire format: resources and searchset Bundles as `application/fhir+json`,
the base URL links are made of, and what a client may ask to receive (JSON only).

Each resource type is a `Provider` (provider.py) in its own module, bound to the interactions
written once (interactions.py); its paths come from its file under `openapi/fhir/`."""

from __future__ import annotations

from emr_api import request_context
from emr_api.errors import ApiError

FHIR_JSON = "application/fhir+json"
_JSON_FORMATS = {"json", "application/json", "application/fhir+json", "text/json"}


class NotAcceptable(ApiError):
    status = 406


def base_url() -> str:
    """This site's FHIR base, as links and fullUrls carry it."""
    info = request_context.current()
    return info.site.url(info.api.base_path(info.site.name))


def negotiate() -> None:
    """JSON is the only format served: `_format` or an Accept header asking only for
    something else (XML, Turtle) is a 406, not a JSON answer the client cannot read."""
    info = request_context.current()
    formats = [v for k, v in info.query_items if k == "_format"]
    for wanted in formats:
        if wanted.split(";")[0].strip().lower() not in _JSON_FORMATS:
            raise NotAcceptable(f"_format={wanted} is not served; use json")
    accept = info.headers.get("accept")
    if accept and not formats:
        kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
        if not any(k in _JSON_FORMATS or k in ("*/*", "application/*") for k in kinds):
            raise NotAcceptable(f"Only {FHIR_JSON} (or application/json) is served, "
                                f"not {accept}")


def answer(resource: dict, status: int = 200, headers: dict | None = None):
    return resource, status, {"Content-Type": FHIR_JSON, **(headers or {})}
