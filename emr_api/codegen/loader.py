"""One loader for the hand-maintained YAML under `emr_api/openapi/`.

An API's root document (`standard/openapi.yaml`) joins per-resource files with ordinary
`$ref`s (`patient.yaml#/paths/~1patient`); shared parts live in `components/`. Bundling
turns it into the one self-contained document Connexion, Swagger UI and Schemathesis read:

- a `$ref` to `<file>#/components/<kind>/<name>` becomes `#/components/<kind>/<name>` of
  the bundle (two different definitions under one name are an error, not a silent pick);
- any other cross-file `$ref` (a path item) is inlined;
- `{x-envelope: <schema>}` expands to the Standard API's envelope with `data` of that
  schema, `{x-envelope-page: <schema>}` to the paged list envelope (`links`, `data` an
  array of it), so the envelope is written once, in `components/standard.yaml`;
- a `_sort` parameter's `x-sort: [fields]` becomes its pattern and description, so the
  whitelist is written once (services check their own list against it in a test);
- `x-include: "*.yaml"` in a root adds the `paths` and `tags` of every other file of its
  folder, so a new resource is one new file;
- an OAuth2 flow whose `scopes` is empty lists every scope the document's operations
  require, in each form a client may ask for it, with the words the consent page uses;
- `x-common-responses` in a root adds the answers any operation can give (`all`: 503 when
  the database cannot answer) and any operation taking a body (`body`: 413, 415) to each
  operation that does not declare them itself;
- a FHIR type's `x-fhir-resource` block becomes its paths (`codegen/fhir_paths.py`)."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml

from emr_api import scopes
from emr_api.codegen import fhir_paths

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "openapi"
# The keys of a path item that are operations.
METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
ENVELOPES = OPENAPI_DIR / "components" / "standard.yaml"


@lru_cache(maxsize=None)
def _read(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        content = yaml.safe_load(fh)
    if "x-fhir-resource" in content:  # a FHIR type: its paths are written from the block
        paths, tags = fhir_paths.expand(content["x-fhir-resource"])
        # The file's own paths first: routes match in order, and an operation such as
        # `/{type}/$docref` is not a read of the resource with that id.
        content = {**content, "paths": {**content.get("paths", {}), **paths},
                   "tags": tags + content.get("tags", [])}
    return content


def _pointer(doc, pointer: str):
    node = doc
    for part in [p for p in pointer.lstrip("/").split("/") if p]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _envelope(data_schema: dict, *, page: bool) -> dict:
    ref = f"{ENVELOPES}#/components/schemas/{'ListEnvelope' if page else 'Envelope'}"
    data = {"type": "array", "items": data_schema} if page else data_schema
    return {"allOf": [{"$ref": ref}, {"type": "object", "properties": {"data": data}}]}


def _sort_parameter(param: dict) -> dict:
    fields = "|".join(param["x-sort"])
    return {
        **param,
        "description": "Comma-separated fields, `-` for descending. Allowed fields - "
                       + ", ".join(param["x-sort"]) + ".",
        "schema": {"type": "string", "pattern": f"^-?({fields})(,-?({fields}))*$"},
    }


class _Bundler:
    def __init__(self, root: Path):
        self.root = root.resolve()
        self.doc = copy.deepcopy(_read(self.root))
        self.components = self.doc.setdefault("components", {})
        # (kind, name) -> (file, pointer) it came from
        self.origin = {(kind, name): (self.root, f"/components/{kind}/{name}")
                       for kind, items in self.components.items() for name in items}

    def bundle(self) -> dict:
        self._include()
        common = self._walk(self.doc.pop("x-common-responses", {}), self.root)
        body = {key: value for key, value in self.doc.items() if key != "components"}
        doc = self._walk(body, self.root)
        _add_common_responses(doc, common)
        # The root's own components last: the walk above has added everything it uses.
        for kind, items in list(self.components.items()):
            for name in list(items):
                if self.origin[(kind, name)][0] == self.root:
                    items[name] = self._walk(items[name], self.root)
        doc["components"] = self.components
        _fill_flow_scopes(doc)
        return doc

    def _include(self) -> None:
        pattern = self.doc.pop("x-include", None)
        if not pattern:
            return
        paths = self.doc.setdefault("paths", {})
        tags = self.doc.setdefault("tags", [])
        for part in sorted(self.root.parent.glob(pattern)):
            if part.resolve() == self.root:
                continue
            content = _read(part.resolve())
            for path in content.get("paths", {}):
                if path in paths:
                    raise ValueError(f"{path} is in {part.name} and elsewhere too")
                pointer = path.replace("~", "~0").replace("/", "~1")
                paths[path] = {"$ref": f"{part.name}#/paths/{pointer}"}
            tags += [t for t in content.get("tags", []) if t not in tags]

    def _walk(self, node, where: Path):
        if isinstance(node, list):
            return [self._walk(item, where) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return self._ref(node["$ref"], where)
        if "x-envelope" in node:
            return self._walk(_envelope(node["x-envelope"], page=False), where)
        if "x-envelope-page" in node:
            return self._walk(_envelope(node["x-envelope-page"], page=True), where)
        if "x-sort" in node:
            node = _sort_parameter(node)
        return {key: self._walk(value, where) for key, value in node.items()}

    def _ref(self, ref: str, where: Path):
        file_part, _, pointer = ref.partition("#")
        target = (where.parent / file_part).resolve() if file_part else where
        parts = [p for p in pointer.split("/") if p]
        if len(parts) == 3 and parts[0] == "components":
            kind, name = parts[1], parts[2]
            key = (kind, name)
            if key not in self.origin:
                self.origin[key] = (target, pointer)
                section = self.components.setdefault(kind, {})
                section[name] = {}  # taken before walking, so a recursive schema ends here
                section[name] = self._walk(_pointer(_read(target), pointer), target)
            elif self.origin[key] != (target, pointer) and target != self.root:
                first = self.origin[key][0]
                raise ValueError(f"two {kind} named {name!r}: in {first} and in {target}")
            return {"$ref": f"#/components/{kind}/{name}"}
        if target == self.root and not file_part:
            return {"$ref": ref}
        return self._walk(_pointer(_read(target), pointer), target)


def _add_common_responses(doc: dict, common: dict) -> None:
    for item in doc.get("paths", {}).values():
        for op in (item[m] for m in METHODS if m in item):
            extra = {**common.get("all", {}),
                     **(common.get("body", {}) if "requestBody" in op else {})}
            for status, response in extra.items():
                op.setdefault("responses", {}).setdefault(str(status), response)


def scopes_named(op: dict, default_security: list = ()) -> list[str]:
    """The scopes an operation names: those its security requirements list, then its
    `x-scopes`, scopes a client may ask for although the operation needs none (OpenEMR's
    `user/version.s` for the open /version)."""
    security = op.get("security", default_security)
    return [*(s for req in security for need in req.values() for s in need),
            *op.get("x-scopes", [])]


def _fill_flow_scopes(doc: dict) -> None:
    named = [s for item in doc.get("paths", {}).values() for m in METHODS if m in item
             for s in scopes_named(item[m])]
    plain = [s for s in dict.fromkeys(named) if s in scopes.PLAIN_SCOPES]
    for scheme in doc.get("components", {}).get("securitySchemes", {}).values():
        for flow in scheme.get("flows", {}).values():
            if flow.get("scopes") == {}:
                offered = plain + (["offline_access"] if "refreshUrl" in flow else [])
                flow["scopes"] = {s: scopes.describe(s) for s in
                                  dict.fromkeys([*offered, *scopes.expand(named)])}


@lru_cache(maxsize=None)
def _bundled(relative: str) -> dict:
    return _Bundler(OPENAPI_DIR / relative).bundle()


def bundled(relative: str) -> dict:
    """The self-contained document for a root file, e.g. `standard/openapi.yaml`. A copy:
    callers (Connexion resolves references in place) may change it."""
    return copy.deepcopy(_bundled(relative))


def read_only(relative: str) -> dict:
    """The same document, shared and not to be changed: for readers that only look."""
    return _bundled(relative)


def resolve(doc: dict, node):
    """Follow local `$ref`s within a bundled document."""
    while isinstance(node, dict) and "$ref" in node:
        node = _pointer(doc, node["$ref"].partition("#")[2])
    return node


def with_authorization_server(doc: dict, issuer: str) -> dict:
    """The document with its OAuth2 flows pointed at one site's authorization server, so
    Swagger UI's "Authorize" on any site gets tokens from that site. The YAML names site
    `default`'s endpoints; the last path segment (`token`, `authorize`) is kept."""
    doc = copy.deepcopy(doc)
    for scheme in doc.get("components", {}).get("securitySchemes", {}).values():
        for flow in scheme.get("flows", {}).values():
            for key in ("tokenUrl", "refreshUrl", "authorizationUrl"):
                if key in flow:
                    flow[key] = f"{issuer}/{flow[key].rstrip('/').rsplit('/', 1)[-1]}"
    return doc
