"""The site edge: the outermost ASGI layer.

`/apis/<site>/<api>/...` and `/oauth2/<site>/...` are resolved here, once, into a Site.
The site prefix moves into `root_path` (so Connexion routes `/api/...`, `/fhir/...`,
and the OAuth2 paths, and the served specs show the real URL with the site filled in).
A site name outside [A-Za-z0-9_-]{1,63} or an unknown site is answered here, in the
API's error shape, before any auth. After the response, one audit row and one log line.

Why a middleware and not `{site}` in every path: Connexion does not route a path
parameter inside a base path, and handlers should not each take a `site` argument."""

from __future__ import annotations

import json
import logging
import time
import uuid

import anyio.to_thread

from emr_api.server import context
from emr_api.server.audit import write_audit_row
from emr_api.server.errors import api_of, error_body
from emr_api.server.sites import SiteRegistry, UnknownSite, valid_site_name

log = logging.getLogger("emr_api.request")

APIS = ("api", "portal", "fhir")
# The site globals that turn each API on or off, as OpenEMR's.
API_SWITCHES = {"api": "rest_api", "portal": "rest_portal_api", "fhir": "rest_fhir_api"}
# Routes that are documentation, not API calls: not audited.
_UNAUDITED = ("/ui", "/openapi.json", "/openapi.yaml")


class SiteEdge:
    def __init__(self, app, registry: SiteRegistry):
        self.app = app
        self.registry = registry

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path: str = scope["path"]
        parts = path.split("/")
        # ['', 'apis', site, api, ...] or ['', 'oauth2', site, ...]
        if len(parts) >= 4 and parts[1] == "apis" and parts[3] in APIS:
            prefix, api = f"/apis/{parts[2]}", parts[3]
        elif len(parts) >= 3 and parts[1] == "oauth2":
            prefix, api = f"/oauth2/{parts[2]}", "oauth2"
        else:
            return await _reply(send, 404, api_of(path), "No such API path")
        name = parts[2]
        if not valid_site_name(name):
            return await _reply(send, 404, api, "Unknown site")
        site = self.registry.opened(name)
        if site is None:
            try:  # first use in this process: may migrate and create keys, so off the loop
                site = await anyio.to_thread.run_sync(self.registry.get, name)
            except UnknownSite:
                return await _reply(send, 404, api, f"Unknown site '{name}'")
        if site.globals_stale():
            await anyio.to_thread.run_sync(site.globals)
        switch = API_SWITCHES.get(api)
        if switch and not site.flag(switch):
            return await _reply(send, 404, api, f"The {api} API is turned off on this site")

        request_id = str(uuid.uuid4())
        info = context.RequestInfo(site=site, request_id=request_id, api=api)
        inner = dict(scope)
        inner["root_path"] = scope.get("root_path", "") + prefix
        inner["emr_path"] = path
        status_box = [500]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        started = time.perf_counter()
        token = context.begin(info)
        try:
            await self.app(inner, receive, send_wrapper)
        finally:
            context.end(token)
            duration_ms = int((time.perf_counter() - started) * 1000)
            route = path[len(prefix):] or "/"
            log.info(json.dumps({"site": name, "method": scope["method"], "route": path,
                                 "status": status_box[0], "ms": duration_ms,
                                 "request_id": request_id}))
            if not route.startswith(_UNAUDITED) and "/ui/" not in route:
                await anyio.to_thread.run_sync(
                    write_audit_row, info, scope["method"], path, status_box[0], duration_ms)


async def _reply(send, status: int, api: str, message: str) -> None:
    body, media_type = error_body(api, status, message)
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", media_type.encode()),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
