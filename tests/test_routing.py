"""The first-segment route index (server/routing.py) finds the route Starlette's own scan
finds, for literal, parameter-first and mounted routes, and leaves 405/404 to the scan."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from emr_api.server import routing


def answer(name):
    async def endpoint(request):
        return PlainTextResponse(name)
    return endpoint


ROUTES = [
    Route("/patient/{puuid}", answer("patient item"), methods=["GET"]),
    Route("/patient/$export", answer("export"), methods=["POST"]),
    Route("/{anything}/report", answer("any report"), methods=["GET"]),
    Route("/version", answer("version"), methods=["GET"]),
    Mount("/api", routes=[Route("/ping", answer("api ping"), methods=["GET"])]),
    Route("/", answer("root"), methods=["GET"]),
]


@pytest.fixture(scope="module")
def client():
    routing.install()
    return TestClient(Starlette(routes=ROUTES))


@pytest.mark.parametrize("method, path, status, body", [
    ("GET", "/patient/123", 200, "patient item"),
    ("GET", "/patient/report", 200, "patient item"),  # the earlier route wins, as in a scan
    ("GET", "/other/report", 200, "any report"),
    ("GET", "/version", 200, "version"),
    ("GET", "/api/ping", 200, "api ping"),
    ("GET", "/", 200, "root"),
    ("POST", "/patient/$export", 200, "export"),
    ("GET", "/patient/$export", 200, "patient item"),
    ("POST", "/version", 405, None),  # a partial match: the scan answers it
    ("GET", "/nothing/here", 404, None),
])
def test_the_index_routes_as_a_scan_would(client, method, path, status, body):
    r = client.request(method, path)
    assert r.status_code == status, r.text
    if body is not None:
        assert r.text == body


def test_a_request_only_tries_routes_that_can_match():
    tried = routing._Index(ROUTES).candidates("/version")
    # its own literal route, and those starting with a parameter or nothing, in order
    assert tried == [ROUTES[2], ROUTES[3], ROUTES[5]]
