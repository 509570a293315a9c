"""Standard API: /patient/{puuid}/encounter. Thin: arguments in, one service call, the
envelope out."""

from emr_api.handlers.standard import created, listing, ok, site_db, url_for
from emr_api.services import encounters


def search_encounters(puuid, _limit=None, _offset=None, _sort=None):
    with site_db().read() as s:
        page = encounters.search(s, puuid, sort=_sort, limit=_limit, offset=_offset,
                                 url=url_for(f"/patient/{puuid}/encounter"))
    return listing(page)


def get_encounter(puuid, euuid):
    with site_db().read() as s:
        return ok(encounters.get(s, puuid, euuid))


def create_encounter(puuid, body):
    with site_db().write() as s:
        e = encounters.create(s, puuid, body)
        return created({"eid": e.eid, "euuid": e.uuid, "encounter": e.encounter,
                        "uuid": e.uuid})


def update_encounter(puuid, euuid, body):
    with site_db().write() as s:
        return ok(encounters.update(s, puuid, euuid, body))
