"""Standard API: /list/{list_name}, the options of one of OpenEMR's selectable lists."""

from emr_api.handlers.standard import access, fields_of, listing, reading
from emr_api.services import list_options

# What this operation searches (checked against the YAML by a test).
RESOURCE = list_options.SPEC
SHOWN = ("list_id", "option_id", "title", "seq", "option_value", "mapping", "notes", "codes")


def to_api(option) -> dict:
    return {**fields_of(option, SHOWN), "is_default": 1 if option.is_default else 0,
            "activity": 1 if option.activity else 0}


def get_list(list_name, _limit=None, _offset=None, _sort=None):
    with reading() as s:
        page = list_options.options(s, access(), list_name, sort=_sort, limit=_limit,
                                    offset=_offset)
        items = [to_api(o) for o in page.items]
    return listing(page, items, f"/list/{list_name}", {"_sort": _sort})
