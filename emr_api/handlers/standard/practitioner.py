"""Standard API: /practitioner. Thin: arguments in, one service call, the envelope out."""

from emr_api.handlers.standard import created, listing, ok, site_db, url_for
from emr_api.services import practitioners


def search_practitioners(_limit=None, _offset=None, _sort=None, **filters):
    with site_db().read() as s:
        page = practitioners.search(s, filters, sort=_sort, limit=_limit, offset=_offset,
                                    url=url_for("/practitioner"))
    return listing(page)


def get_practitioner(pruuid):
    with site_db().read() as s:
        return ok(practitioners.to_api(practitioners.find(s, pruuid)))


def create_practitioner(body):
    with site_db().write() as s:
        p = practitioners.create(s, body)
        return created({"id": p.id, "uuid": p.uuid})


def update_practitioner(pruuid, body):
    with site_db().write() as s:
        return ok(practitioners.to_api(practitioners.update(s, pruuid, body)))
