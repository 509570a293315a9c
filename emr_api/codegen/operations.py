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
    max_body: int | None = None  # `x-max-body`: bytes it takes beyond its API's `max_body`
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
                parameters=parameters, body_schema=body, max_body=op.get("x-max-body"),
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


def _pattern(op: Operation) -> re.Pattern:
    """The operation's path as a pattern below its API's mount."""
    pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(op.api.mount + op.path))
    return re.compile(pattern + "/?")


@lru_cache(maxsize=1)
def _routes() -> list[tuple[re.Pattern, Api, str]]:
    """Each served path as a pattern below its API's mount, with its methods."""
    return [(_pattern(op), op.api, op.method.upper()) for op in operations()]


@lru_cache(maxsize=1)
def _large_bodies() -> list[tuple[re.Pattern, Api, str, int]]:
    return [(_pattern(op), op.api, op.method.upper(), op.max_body)
            for op in operations() if op.max_body]


def body_limit(api: Api, method: str, site_path: str) -> int:
    """The largest request body a request may send (bytes): its operation's `x-max-body`
    (a document upload), else its API's `max_body`."""
    for pattern, route_api, route_method, limit in _large_bodies():
        if route_api == api and route_method == method and pattern.fullmatch(site_path):
            return limit
    return api.max_body


@lru_cache(maxsize=1)
def _fixed_routes() -> dict[tuple[str, str], tuple[str, ...]]:
    """The methods of each path without a parameter, by (API name, path below the site)."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for op in operations():
        if "{" not in op.path:
            key = (op.api.name, op.api.mount + op.path)
            found[key] = found.get(key, ()) + (op.method.upper(),)
    return found


@lru_cache(maxsize=1)
def _shadowed_routes() -> list[tuple[str, re.Pattern, tuple[str, ...]]]:
    """Paths with a parameter whose last segment is fixed and which a path with a
    parameter there matches too (`/patient/{puuid}/insurance/$swap-insurance`, matched by
    `/patient/{puuid}/insurance/{uuid}`): (API name, pattern, the fixed path's methods)."""
    def shadowed(op: Operation) -> bool:
        sample = re.sub(r"\{[^/]+?\}", "x", op.api.mount + op.path)
        return any(other.api == op.api and other.path.endswith("}")
                   and _pattern(other).fullmatch(sample) for other in operations())

    methods: dict[tuple[str, str], tuple[str, ...]] = {}
    patterns: dict[tuple[str, str], re.Pattern] = {}
    for op in operations():
        if "{" in op.path and not op.path.endswith("}") and shadowed(op):
            key = (op.api.name, op.path)
            methods[key] = methods.get(key, ()) + (op.method.upper(),)
            patterns[key] = _pattern(op)
    return [(key[0], patterns[key], found) for key, found in methods.items()]


def fixed_route_methods(api: Api, site_path: str) -> tuple[str, ...] | None:
    """The methods of the path whose segments are fixed where another path's parameter
    would match them too, or None when there is none. Such a path is its own resource: a
    path with a parameter that matches it too (`/background_service/{name}` for
    `/background_service/$run`, `/patient/{puuid}/insurance/{uuid}` for
    `/patient/{puuid}/insurance/$swap-insurance`) lends it no method."""
    found = _fixed_routes().get((api.name, site_path.rstrip("/") or "/"))
    if found is not None:
        return found
    for name, pattern, methods in _shadowed_routes():
        if name == api.name and pattern.fullmatch(site_path):
            return methods
    return None


def allowed_methods(api: Api, site_path: str) -> list[str]:
    """The methods a path below the site's prefix has (for a 405's `Allow`)."""
    fixed = fixed_route_methods(api, site_path)
    if fixed is not None:
        return list(fixed)
    methods: list[str] = []
    for pattern, route_api, method in _routes():
        if route_api == api and pattern.fullmatch(site_path) and method not in methods:
            methods.append(method)
    return methods
