"""The four operations of a plain resource (search, read, create, update), bound to its
service spec and its representation. A resource module binds them to its operationIds:

    _ops = ResourceOperations(facilities.SPEC, "/facility", represent=to_api)
    search_facilities, get_facility = _ops.search, _ops.get

Connexion passes the parameters by name; the path parameter is the spec's `id_name`. It
also passes the security context (`user`, `token_info`), which the handlers take apart from
the query parameters (the Access is in the request context)."""

from __future__ import annotations

from collections.abc import Callable

from emr_api.handlers.standard import (
    access,
    created,
    listing,
    ok,
    reading,
    touched_patient,
    writing,
)
from emr_api.services import resources
from emr_api.services.resources import ResourceSpec


class ResourceOperations:
    def __init__(self, spec: ResourceSpec, collection: str, *, represent: Callable[[object], dict],
                 created_ids: Callable[[object], dict] | None = None,
                 patient_of: Callable[[object], str | None] = lambda row: None):
        self.spec = spec
        self.collection = collection
        self.represent = represent
        self.created_ids = created_ids or (lambda row: {"id": row.id, "uuid": row.uuid})
        self.patient_of = patient_of

    def search(self, _limit=None, _offset=None, _sort=None, user=None, token_info=None,
               **filters):
        with reading() as s:
            page = resources.search(s, access(), self.spec, filters, sort=_sort, limit=_limit,
                                    offset=_offset)
            items = [self.represent(row) for row in page.items]
        return listing(page, items, self.collection, {**filters, "_sort": _sort})

    def get(self, user=None, token_info=None, **path):
        with reading() as s:
            row = resources.find(s, access(), self.spec, path[self.spec.id_name])
            touched_patient(self.patient_of(row))
            return ok(self.represent(row))

    def create(self, body, user=None, token_info=None):
        with writing() as s:
            row = resources.create(s, access(), self.spec, body)
            touched_patient(self.patient_of(row))
            return created(self.created_ids(row))

    def update(self, body, user=None, token_info=None, **path):
        with writing() as s:
            row = resources.update(s, access(), self.spec, path[self.spec.id_name], body)
            touched_patient(self.patient_of(row))
            return ok(self.represent(row))
