"""Route lookup by the path's first segment, for Starlette's routers (Connexion builds
several per request path: its routing middleware, each API's mount, the app's own).

Starlette tries every route of a router in order, each a regex match on a freshly computed
path: with the Standard API's 98 operations and FHIR's beside them, that scan cost about
0.6 ms of CPU per request, more than the rest of `/version`. A route whose path starts with
a literal segment (`/patient/...`, `/version`, the `/api` mount) can only match a request
whose path starts with that segment, so each router keeps, per first segment, the routes
that could match it, in their original order (routes starting with a parameter, or with no
segment, are in every list). The first full match among those is the one a full scan
finds. When none matches fully (a 405, a 404, a trailing-slash redirect), Starlette's own
scan runs and decides, exactly as before."""

from __future__ import annotations

from starlette.routing import Match, Router, get_route_path

_scan = Router.app  # Starlette's own


def _first_segment(path: str) -> str:
    return path.lstrip("/").split("/", 1)[0]


class _Index:
    def __init__(self, routes: list):
        self.size = len(routes)
        everywhere, by_first = [], {}
        for position, route in enumerate(routes):
            path = getattr(route, "path", None)
            first = _first_segment(path) if isinstance(path, str) else ""
            if not first or "{" in first:
                everywhere.append((position, route))
            else:
                by_first.setdefault(first, []).append((position, route))
        self.everywhere = [route for _, route in everywhere]
        self.by_first = {first: [route for _, route in sorted(own + everywhere,
                                                               key=lambda pair: pair[0])]
                         for first, own in by_first.items()}

    def candidates(self, route_path: str) -> list:
        return self.by_first.get(_first_segment(route_path), self.everywhere)


async def _indexed(self: Router, scope, receive, send) -> None:
    if scope["type"] != "http":
        return await _scan(self, scope, receive, send)
    index = self.__dict__.get("_emr_index")
    if index is None or index.size != len(self.routes):
        index = self.__dict__["_emr_index"] = _Index(self.routes)
    scope.setdefault("router", self)
    for route in index.candidates(get_route_path(scope)):
        match, child_scope = route.matches(scope)
        if match is Match.FULL:
            scope["route"] = route
            scope.update(child_scope)
            await route.handle(scope, receive, send)
            return
    await _scan(self, scope, receive, send)


def install() -> None:
    """Index every Starlette router's routes (idempotent)."""
    Router.app = _indexed
