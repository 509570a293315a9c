"""The one list of operations, read from every served API's bundled document.

Each consumer asks this list instead of walking the YAML itself: the bearer check (an
operation's ACL), the error renderer (is it bearer-protected; which methods a path has),
the scope catalogue, the spec checks and the tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from emr_api.codegen import loader
from emr_api.codegen.apis import SERVED, Api
from emr_api.codegen.loader import METHODS


@dataclass(frozen=True)
class Operation:
    api: Api
    path: str  # as in the document: /patient/{puuid}
    method: str  # lower case
    operation_id: str
    scopes: tuple[str, ...]  # every scope it names (security requirements, x-scopes)
    protected: bool  # needs a bearer token (security is not `[]`)
    acl: tuple[str, str] | None  # `x-acl: [section, subsection]`
    parameters: tuple[dict, ...]  # path-level and operation-level, references resolved
    body_schema: dict | None  # the request body's schema (JSON or form), resolved
    # Each security requirement's scopes: alternatives, e.g. the user/ and patient/ forms
    # of a FHIR interaction.
    requirements: tuple[tuple[str, ...], ...] = ()

    def parameter(self, name: str) -> dict | None:
        return next((p for p in self.parameters if p["name"] == name), None)

    def query_names(self) -> list[str]:
        return [p["name"] for p in self.parameters if p["in"] == "query"]


def _operations_of(api: Api) -> list[Operation]:
    doc = loader.read_only(api.spec)
    found = []
    for path, item in doc.get("paths", {}).items():
        shared = [loader.resolve(doc, p) for p in item.get("parameters", [])]
        for method, op in item.items():
            if method not in METHODS:
                continue
            own = [loader.resolve(doc, p) for p in op.get("parameters", [])]
            names = {(p["name"], p["in"]) for p in own}
            parameters = tuple(own + [p for p in shared if (p["name"], p["in"]) not in names])
            security = op.get("security", doc.get("security", []))
            scopes = tuple(dict.fromkeys(loader.scopes_named(op, security)))
            body = None
            if "requestBody" in op:
                content = loader.resolve(doc, op["requestBody"])["content"]
                body = loader.resolve(doc, next(iter(content.values())).get("schema", {}))
            found.append(Operation(
                api=api, path=path, method=method, operation_id=op["operationId"],
                scopes=scopes, protected=bool(security),
                acl=tuple(op["x-acl"]) if op.get("x-acl") else None,
                parameters=parameters, body_schema=body,
                requirements=tuple(tuple(s for need in req.values() for s in need)
                                   for req in security)))
    return found


@lru_cache(maxsize=1)
def operations() -> tuple[Operation, ...]:
    return tuple(op for api in SERVED for op in _operations_of(api))


@lru_cache(maxsize=1)
def by_id() -> dict[str, Operation]:
    return {op.operation_id: op for op in operations()}


def of_api(name: str) -> list[Operation]:
    return [op for op in operations() if op.api.name == name]


@lru_cache(maxsize=1)
def _routes() -> list[tuple[re.Pattern, Api, str, int]]:
    """Each served path as a pattern below its API's mount, with its method and how many
    parameters its template has."""
    routes = []
    for op in operations():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(op.api.mount + op.path))
        routes.append((re.compile(pattern + "/?"), op.api, op.method.upper(),
                       op.path.count("{")))
    return routes


def allowed_methods(api: Api, site_path: str) -> list[str]:
    """The methods a path below the site's prefix has (for a 405's `Allow`). Where a
    literal path and a template both match (`/Patient/_search`, `/Patient/{id}`), the
    literal one is the path's own."""
    matching = [(method, params) for pattern, route_api, method, params in _routes()
                if route_api == api and pattern.fullmatch(site_path)]
    fewest = min((params for _, params in matching), default=0)
    return list(dict.fromkeys(method for method, params in matching if params == fewest))
