"""Standard API: /patient. Thin: arguments in, one service call, the envelope out."""

from emr_api.handlers.standard import created, listing, ok, site_db, url_for
from emr_api.services import patients


def search_patients(_limit=None, _offset=None, _sort=None, **filters):
    with site_db().read() as s:
        page = patients.search(s, filters, sort=_sort, limit=_limit, offset=_offset,
                               url=url_for("/patient"))
    return listing(page)


def get_patient(puuid):
    with site_db().read() as s:
        return ok(patients.to_api(patients.find(s, puuid)))


def create_patient(body):
    with site_db().write() as s:
        p = patients.create(s, body)
        return created({"pid": p.pid, "uuid": p.uuid})


def update_patient(puuid, body):
    with site_db().write() as s:
        return ok(patients.to_api(patients.update(s, puuid, body)))
