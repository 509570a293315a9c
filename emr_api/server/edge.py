"""The site edge: the outermost ASGI layer.

`/apis/<site>/<api>/...` and `/oauth2/<site>/...` are resolved here, once, into an API row
(codegen/apis.py) and a Site. The site prefix moves into `root_path` (so Connexion routes
`/api/...` and the OAuth2 paths, and the served documents show the real URL with the site
filled in). A site name outside [A-Za-z0-9_-]{1,63}, an unknown site, an API turned off or
not served is answered here, in that API's error shape, before any auth. After the
response, one audit row and one log line.

Why a middleware and not `{site}` in every path: Connexion does not route a path
parameter inside a base path, and handlers should not each take a `site` argument."""

from __future__ import annotations

import json
import logging
import time
import uuid

import anyio.to_thread

from emr_api import request_context
from emr_api.codegen import apis
from emr_api.codegen.apis import Api
from emr_api.errors import Problem
from emr_api.server.audit import write_audit_row
from emr_api.server.errors import render
from emr_api.sites import SiteRegistry, UnknownSite, valid_site_name

log = logging.getLogger("emr_api.request")

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
        found = apis.match(path)
        if found is None:
            return await _reply(send, apis.guess(path), 404, "No such API path")
        api, name = found
        if not valid_site_name(name):
            return await _reply(send, api, 404, "Unknown site")
        site = self.registry.opened(name)
        if site is None:
            try:  # first use in this process: may migrate and create keys, so off the loop
                site = await anyio.to_thread.run_sync(self.registry.get, name)
            except UnknownSite:
                return await _reply(send, api, 404, f"Unknown site '{name}'")
        if site.globals_stale():
            await anyio.to_thread.run_sync(site.globals)
        if api.switch and not site.flag(api.switch):
            return await _reply(send, api, 404, f"The {api.name} API is turned off on this site")
        if api.spec is None:
            return await _reply(send, api, 404, f"The {api.name} API is not served here yet")

        prefix = f"/{api.prefix}/{name}"
        request_id = str(uuid.uuid4())
        info = request_context.RequestInfo(
            site=site, api=api, request_id=request_id, method=scope["method"], path=path,
            raw_query=scope.get("query_string", b""), raw_headers=scope.get("headers", []))
        inner = dict(scope)
        inner["root_path"] = scope.get("root_path", "") + prefix
        status_box = [500]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        started = time.perf_counter()
        token = request_context.begin(info)
        try:
            await self.app(inner, receive, send_wrapper)
        finally:
            request_context.end(token)
            duration_ms = int((time.perf_counter() - started) * 1000)
            log.info(json.dumps({"site": name, "method": scope["method"], "route": path,
                                 "status": status_box[0], "ms": duration_ms,
                                 "request_id": request_id}))
            route = info.site_path.removeprefix(api.mount)
            if not route.startswith(_UNAUDITED) and "/ui/" not in route:
                await anyio.to_thread.run_sync(write_audit_row, info, status_box[0], duration_ms)


async def _reply(send, api: Api, status: int, message: str) -> None:
    body, media_type, headers = render(api, Problem(status, message))
    raw = [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
