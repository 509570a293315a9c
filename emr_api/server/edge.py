"""The site edge: the outermost ASGI layer.

`/apis/<site>/<api>/...` and `/oauth2/<site>/...` are resolved here, once, into an API row
(codegen/apis.py) and a Site. The site prefix moves into `root_path` (so Connexion routes
`/api/...` and the OAuth2 paths, and the served documents show the real URL with the site
filled in). A site name outside [A-Za-z0-9_-]{1,63}, an unknown site, an API turned off or
not served is answered here, in that API's error shape, before any auth. Before the
response completes, one log line and one audit row, committed (server/audit.py).

Why a middleware and not `{site}` in every path: Connexion does not route a path
parameter inside a base path, and handlers should not each take a `site` argument."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid

import anyio.to_thread

from emr_api import request_context
from emr_api.codegen import apis, operations
from emr_api.codegen.apis import Api
from emr_api.errors import PayloadTooLarge, Problem
from emr_api.server.audit import AuditWriters, audit_row
from emr_api.server.errors import problem_of, render
from emr_api.sites import SiteRegistry, UnknownSite, valid_site_name

log = logging.getLogger("emr_api.request")

# Answers may carry patient data: no cache keeps them (ASVS V8.2.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# Routes that are documentation, not API calls: not audited.
_UNAUDITED = ("/ui", "/openapi.json", "/openapi.yaml")


class SiteEdge:
    def __init__(self, app, registry: SiteRegistry):
        self.app = app
        self.registry = registry
        self.deadline = registry.settings.db_timeout + 1
        self.audit = AuditWriters()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path: str = scope["path"]
        found = apis.match(path)
        if found is None:
            return await _reply(send, apis.guess(path), Problem(404, "No such API path"))
        api, name = found
        try:
            site = await self._site(api, name)
        except _Refusal as refusal:
            return await _reply(send, api, refusal.problem)
        except Exception as exc:  # the site's database: 503 in the API's shape, never a bare 500
            problem = problem_of(exc)
            if problem.status >= 500:
                log.error("site %s could not be opened", name, exc_info=exc)
            return await _reply(send, api, problem)
        prefix = f"/{api.prefix}/{name}"
        refusal = _body_refusal(api, scope, path[len(prefix):])
        if refusal is None and _chunked(scope):
            limit = operations.body_limit(api, scope["method"], path[len(prefix):])
            scope, receive, refusal = await _buffered(scope, receive, limit)
        if refusal is not None:
            return await _reply(send, api, refusal)

        request_id = str(uuid.uuid4())
        info = request_context.RequestInfo(
            site=site, api=api, request_id=request_id, method=scope["method"], path=path,
            raw_query=scope.get("query_string", b""), raw_headers=scope.get("headers", []))
        inner = dict(scope)
        inner["root_path"] = scope.get("root_path", "") + prefix
        started = time.perf_counter()
        status = [500]
        finished = [False]

        async def finish():
            """Log the request and commit its audit row: before the response completes."""
            finished[0] = True
            duration_ms = int((time.perf_counter() - started) * 1000)
            log.info(json.dumps({"site": name, "method": scope["method"], "route": path,
                                 "status": status[0], "ms": duration_ms,
                                 "request_id": request_id}))
            route = info.site_path.removeprefix(api.mount)
            if route.startswith(_UNAUDITED) or "/ui/" in route:
                return
            try:
                async with asyncio.timeout(self.deadline):
                    await self.audit.of(site).write(audit_row(info, status[0], duration_ms))
            except Exception:  # answered all the same; a lost row must be loud
                log.exception("audit row of request %s not written", request_id)

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers += [(k.lower().encode(), v.encode()) for k, v in NO_STORE.items()]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and not message.get("more_body") \
                    and not finished[0]:
                await finish()
            await send(message)

        token = request_context.begin(info)
        try:
            if _method_of_another_route(api, info.site_path, scope["method"]):
                await _reply(send_wrapper, api, Problem(405, "Method Not Allowed"),
                             site_path=info.site_path)
            else:
                await self.app(inner, receive, send_wrapper)
        finally:
            request_context.end(token)
            if not finished[0]:  # the app sent no complete response
                await finish()

    def close(self) -> None:
        self.audit.close()

    async def _site(self, api: Api, name: str):
        """The open site, with fresh globals, or a _Refusal saying why the request ends here."""
        if not valid_site_name(name):
            raise _Refusal(Problem(404, "Unknown site"))
        site = self.registry.opened(name)
        if site is None:
            try:  # first use in this process: may migrate and create keys, so off the loop
                site = await anyio.to_thread.run_sync(self.registry.get, name)
            except UnknownSite:
                raise _Refusal(Problem(404, f"Unknown site '{name}'")) from None
        if site.claim_refresh():  # in the background: this request uses the values in force
            asyncio.get_running_loop().run_in_executor(None, site.refresh_globals)
        if api.switch and not site.flag(api.switch):
            raise _Refusal(Problem(404, f"The {api.name} API is turned off on this site"))
        if api.spec is None:
            raise _Refusal(Problem(404, f"The {api.name} API is not served here yet"))
        return site


class _Refusal(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


_BODY_METHODS = {"POST", "PUT", "PATCH"}


def _body_refusal(api: Api, scope, site_path: str) -> Problem | None:
    """A body too large by its declared length (413), or a body without a media type (415:
    it would otherwise reach a handler unparsed)."""
    headers = dict(scope.get("headers", []))
    length = headers.get(b"content-length")
    if length is not None and not length.isdigit():
        return Problem(400, "Content-Length is not a number")
    if length is not None and int(length) > api.max_body:
        # Past the API's limit: only an operation that takes more (an upload) goes on.
        limit = operations.body_limit(api, scope["method"], site_path)
        if int(length) > limit:
            return Problem(413, f"The request body is larger than {limit} bytes")
    has_body = (length not in (None, b"0")) or b"transfer-encoding" in headers
    if scope["method"] in _BODY_METHODS and has_body and not headers.get(b"content-type"):
        return Problem(415, "A request body needs a Content-Type")
    return None


def _chunked(scope) -> bool:
    return any(k == b"transfer-encoding" for k, _ in scope.get("headers", []))


async def _buffered(scope, receive, limit: int):
    """Read a chunked body (it declares no length) up to `limit` bytes, and hand it on
    with its Content-Length, as the validation downstream expects. Returns the new scope
    and receive, or a refusal (413) once the body grows past the limit."""
    parts, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        parts.append(message.get("body", b""))
        size += len(parts[-1])
        if size > limit:
            return scope, receive, PayloadTooLarge(
                f"The request body is larger than {limit} bytes").problem()
        more = message.get("more_body", False)
    body = b"".join(parts)
    headers = [(k, v) for k, v in scope["headers"] if k != b"transfer-encoding"]
    headers.append((b"content-length", str(len(body)).encode()))
    replay = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed():
        return replay.pop() if replay else await receive()

    return {**scope, "headers": headers}, replayed, None


def _method_of_another_route(api: Api, site_path: str, method: str) -> bool:
    """Whether the path is a fixed one (operations.fixed_route_methods) that lacks this
    method: routing would hand it to a path with a parameter that matches it too (GET
    `/background_service/$run` to GET `/background_service/{name}`), where it is a 405."""
    methods = operations.fixed_route_methods(api, site_path)
    return methods is not None and method not in methods and not (
        method == "HEAD" and "GET" in methods)


async def _reply(send, api: Api, problem: Problem, site_path: str | None = None) -> None:
    status = problem.status
    body, media_type, headers = render(api, problem, site_path=site_path)
    headers = {**NO_STORE, **headers}
    raw = [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
