"""The paths of a FHIR resource type, written from its file's `x-fhir-resource` block.

Every type answers the same interactions the same way (read, search by GET of the type or
of its `_search`, and by POST `_search`), with the same shared parameters and answers: written here once, a type's file
under `openapi/fhir/` names only what is its own: its profiles, ACL, search parameters,
sort keys and includes. The loader calls `expand` when it reads such a file, so the bundle,
Connexion, Swagger UI, Schemathesis and the CapabilityStatement all see ordinary paths.

A type that takes writes lists them (`write: [create, update, delete]`), names the schema of
the body they take (`body`, in its own file's components), and is versioned:
it also answers vread and its history (`/{type}/{id}/_history[/{vid}]`, `/{type}/_history`).

Each operation carries its type (`x-fhir-type`) and `x-fhir-interaction` (read,
search-type, create, update, delete, vread, history-instance, history-type); each search parameter `x-fhir-search-type` (token, string, date, ...). Operation ids name the type's handler
module: `emr_api.handlers.fhir.<module>.read|search|search_query|search_form`."""

from __future__ import annotations

COMPONENTS = "../components/fhir.yaml#/components"
# The contexts a scope may name for a type: a staff user's records, a patient's own. System
# (backend services) joins when client credentials are issued.
CONTEXTS = ("user", "patient")
SHARED_SEARCH = ("_id", "_lastUpdated")
RESULT_PARAMETERS = ("_count", "_summary", "_elements", "_total", "_page", "_format")
ANSWERS = {"400": "OperationOutcome", "401": "OperationOutcome", "403": "OperationOutcome",
           "406": "OperationOutcome"}


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"{COMPONENTS}/{kind}/{name}"}


def _security(type_: str, letter: str, contexts=CONTEXTS) -> list[dict]:
    return [{"oauth": ["api:fhir", f"{context}/{type_}.{letter}"]} for context in contexts]


def _answers(**own) -> dict:
    answers = {status: _ref("responses", name) for status, name in ANSWERS.items()}
    answers.update(own)
    return answers


def _search_parameter(param: dict) -> dict:
    """A type's own search parameter as a query parameter (modifiers such as `:exact` and
    `:missing` are parsed by the handler: a parameter name cannot list them)."""
    return {"name": param["name"], "in": "query", "description": param["description"],
            "schema": {"type": "string"}, "x-fhir-search-type": param["type"]}


def _sort_parameter(sort: list[str]) -> dict:
    keys = ", ".join(f"`{key}`" for key in sort)
    return {"name": "_sort", "in": "query", "schema": {"type": "string", "maxLength": 200},
            "description": f"Comma-separated, each with `-` in front for descending: {keys}."}


def _include_parameters(resource: dict) -> list[dict]:
    """`_include` and `_revinclude`, listing the values this type takes."""
    found = []
    for name, key, what in (("_include", "include", "resources this one refers to"),
                            ("_revinclude", "revinclude", "resources that refer to this one")):
        values = resource.get(key, [])
        if key == "revinclude":  # every served resource has its Provenance
            values = [*values, "Provenance:target"]
        if values:
            listed = ", ".join(f"`{v}`" for v in values)
            found.append({"name": name, "in": "query", "schema": {"type": "string"},
                          "x-fhir-values": list(values),
                          "description": f"Add the {what}: {listed}. Comma-separated or "
                                         "repeated; included resources obey the token's "
                                         "scopes and patient."})
    return found


def expand(resource: dict) -> tuple[dict, list[dict]]:
    """(paths, tags) of one resource type's block."""
    type_, module = resource["type"], resource["module"]
    handler = f"emr_api.handlers.fhir.{module}"
    acl = resource["acl"]
    own = [_search_parameter(p) for p in resource.get("search", [])]
    # A type whose rows keep no change time has no `_lastUpdated` (`shared_search: [_id]`).
    shared = [_ref("parameters", name) for name in resource.get("shared_search", SHARED_SEARCH)]
    results = [_ref("parameters", name) for name in RESULT_PARAMETERS]
    results.append(_sort_parameter(resource.get("sort", [])))
    results += _include_parameters(resource)
    search_answers = _answers(**{"200": _ref("responses", "Bundle")})
    form = {"type": "object", "properties": {
        p["name"]: {"type": "string", "description": p["description"]} for p in own}}
    paths = {
        f"/{type_}": {"get": {
            "tags": [type_], "operationId": f"{handler}.search",
            "summary": f"Search {type_} resources",
            "description": resource.get("search_description", ""),
            "security": _security(type_, "s"), "x-acl": acl,
            "x-fhir-type": type_, "x-fhir-interaction": "search-type",
            "parameters": shared + own + results, "responses": search_answers}},
        f"/{type_}/_search": {
            "get": {
                "tags": [type_], "operationId": f"{handler}.search_query",
                "summary": f"Search {type_} resources (as GET /{type_})",
                "security": _security(type_, "s"), "x-acl": acl,
                "x-fhir-type": type_, "x-fhir-interaction": "search-type",
                "parameters": shared + own + results, "responses": search_answers},
            "post": {
                "tags": [type_], "operationId": f"{handler}.search_form",
                "summary": f"Search {type_} resources (parameters in a form body)",
                "description": "The same search as GET; parameters may be in the query, the "
                               "body or both.",
                "security": _security(type_, "s"), "x-acl": acl,
                "x-fhir-type": type_, "x-fhir-interaction": "search-type",
                "parameters": shared + results,
                "requestBody": {"required": False, "content": {
                    "application/x-www-form-urlencoded": {"schema": form}}},
                "responses": search_answers}},
        f"/{type_}/{{id}}": {
            "parameters": [_ref("parameters", "id")],
            "get": {
                "tags": [type_], "operationId": f"{handler}.read",
                "summary": f"Read a {type_}",
                "security": _security(type_, "r"), "x-acl": acl,
                "x-fhir-type": type_, "x-fhir-interaction": "read",
                "parameters": [_ref("parameters", "_format"), _ref("parameters", "_elements")],
                "responses": _answers(**{
                    "200": {"description": f"The {type_}", "content": {
                        "application/fhir+json": {"schema": _ref("schemas", "Resource")}}},
                    "404": _ref("responses", "OperationOutcome"),
                    **({"410": _ref("responses", "OperationOutcome")}
                       if resource.get("write") else {})})}},
    }
    if resource.get("write"):
        _add_writes(paths, resource, handler)
        # Fixed paths first: routes match in order, and `/{type}/_history` is not a read of
        # the resource with id `_history`.
        paths = dict(sorted(paths.items(), key=lambda item: "{" in item[0]))
    tag = {"name": type_, "description": resource["description"],
           "x-fhir-profiles": list(resource.get("profiles", []))}
    return paths, [tag]


# What each write answers beyond the shared errors: 404 no such resource, 409 it conflicts
# with what is stored, 410 deleted, 412 If-Match (or a conditional create) failed, 422 a
# resource the rules refuse.
_WRITE_ERRORS = ("404", "409", "410", "412", "422")
_WRITE_LETTERS = {"create": "c", "update": "u", "delete": "d"}


def _add_writes(paths: dict, resource: dict, handler: str) -> None:
    """The writes a type lists, and the version reads every versioned type answers."""
    type_, acl = resource["type"], resource["acl"]
    writes = resource["write"]
    unknown = set(writes) - set(_WRITE_LETTERS)
    if unknown:
        raise ValueError(f"{type_}: unknown writes {sorted(unknown)}")

    # Records that are not a patient's own (a practitioner) are written by staff only.
    writers = resource.get("write_contexts", CONTEXTS)

    def operation(interaction: str, letter: str, summary: str, answers: dict, **more) -> dict:
        errors = {code: _ref("responses", "OperationOutcome") for code in _WRITE_ERRORS}
        contexts = writers if letter in _WRITE_LETTERS.values() else CONTEXTS
        return {"tags": [type_], "operationId": f"{handler}.{interaction.replace('-', '_')}",
                "summary": summary, "security": _security(type_, letter, contexts),
                "x-acl": acl,
                "x-fhir-type": type_, "x-fhir-interaction": interaction,
                "responses": _answers(**errors, **answers), **more}

    written = {"200": _ref("responses", "Written"), "201": _ref("responses", "Written")}
    # The type file's own schema of what a write takes (`body: "#/components/schemas/X"`).
    schema = {"$ref": resource["body"]}
    body = {"required": True, "description": f"The {type_}, in JSON.",
            "content": {"application/fhir+json": {"schema": schema},
                        "application/json": {"schema": schema}}}
    header = [_ref("parameters", "Prefer")]
    if "create" in writes:
        paths[f"/{type_}"]["post"] = operation(
            "create", "c", f"Create a {type_}", written,
            description="Answers 201 with the resource, its `Location` and `ETag`; an "
                        "`id` in the body is ignored (the server names it).",
            parameters=[*header, _ref("parameters", "If-None-Exist")],
            requestBody=body)
    instance = paths[f"/{type_}/{{id}}"]
    if "update" in writes:
        instance["put"] = operation(
            "update", "u", f"Replace a {type_}", written,
            description="The body is the whole resource; its `id` must be the one in the "
                        "path. Elements left out are cleared.",
            parameters=[*header, _ref("parameters", "If-Match")],
            requestBody=body)
    if "delete" in writes:
        instance["delete"] = operation(
            "delete", "d", f"Delete a {type_}", {"204": _ref("responses", "Deleted")},
            parameters=[_ref("parameters", "If-Match")])
    resource_answer = {"200": {"description": f"The {type_} at that version", "content": {
        "application/fhir+json": {"schema": _ref("schemas", "Resource")}}}}
    paths[f"/{type_}/{{id}}/_history/{{vid}}"] = {
        "parameters": [_ref("parameters", "id"), _ref("parameters", "vid")],
        "get": operation("vread", "r", f"Read a version of a {type_}", resource_answer,
                         parameters=[_ref("parameters", "_format")])}
    history = {"200": _ref("responses", "History")}
    paging = [_ref("parameters", name) for name in ("_count", "_since", "_page", "_format")]
    paths[f"/{type_}/{{id}}/_history"] = {
        "parameters": [_ref("parameters", "id")],
        "get": operation("history-instance", "r", f"The versions of a {type_}", history,
                         parameters=paging)}
    paths[f"/{type_}/_history"] = {
        "get": operation("history-type", "s", f"The versions of every {type_}", history,
                         parameters=paging)}
