"""Standard API: /facility. Thin: arguments in, one service call, the envelope out."""

from emr_api.handlers.standard import created, listing, ok, site_db, url_for
from emr_api.services import facilities


def search_facilities(_limit=None, _offset=None, _sort=None, **filters):
    with site_db().read() as s:
        page = facilities.search(s, filters, sort=_sort, limit=_limit, offset=_offset,
                                 url=url_for("/facility"))
    return listing(page)


def get_facility(fuuid):
    with site_db().read() as s:
        return ok(facilities.to_api(facilities.find(s, fuuid)))


def create_facility(body):
    with site_db().write() as s:
        f = facilities.create(s, body)
        return created({"id": f.id, "uuid": f.uuid})


def update_facility(fuuid, body):
    with site_db().write() as s:
        return ok(facilities.to_api(facilities.update(s, fuuid, body)))
