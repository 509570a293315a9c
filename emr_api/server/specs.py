"""The OpenAPI documents, loaded once: the app serves them, security reads their
`x-acl`, discovery publishes the scope catalogue derived from them."""

from __future__ import annotations

from functools import lru_cache

import yaml

from emr_api.codegen import scope_catalogue
from emr_api.config import OPENAPI_DIR

# (spec file, base path inside the site prefix)
APIS = [
    ("standard.yaml", "/api"),
    ("oauth2.yaml", ""),
]


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    with open(OPENAPI_DIR / name) as fh:
        return yaml.safe_load(fh)


def all_specs() -> list[dict]:
    return [load(name) for name, _ in APIS]


@lru_cache(maxsize=1)
def scopes_supported() -> tuple[str, ...]:
    return tuple(scope_catalogue.catalogue(all_specs()))


def known_resources() -> set[str]:
    return scope_catalogue.resources(all_specs())
