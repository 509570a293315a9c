"""Standard API handlers, one module per resource, one function per operationId.
The helpers here shape answers as OpenEMR's envelope."""

from emr_api.server import context
from emr_api.server.errors import envelope


def site_db():
    return context.site().db


def url_for(path: str) -> str:
    return context.site().api_url("api") + path


def ok(data, status: int = 200):
    return envelope(data), status


def created(data):
    return envelope(data), 201


def listing(page):
    return envelope(page.items, links=page.links), 200
