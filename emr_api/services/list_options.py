"""OpenEMR's selectable lists (list_options): the options of one list, in display order.
Not patient data: every caller with the ACL sees the same lists."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr_api.db.models import ListOption
from emr_api.errors import NotFound
from emr_api.identity import Access
from emr_api.services import resources
from emr_api.services.resources import Page, ResourceSpec

SPEC = ResourceSpec(
    name="list option",
    model=ListOption,
    id_name="list_name",
    writable=(),
    sort=("seq", "option_id", "title"),
    default_order="seq",
)


def options(session: Session, access: Access, list_name: str, *, sort: str | None = None,
            limit: int | None = None, offset: int | None = None) -> Page:
    """One page of a list's options; a list that does not exist is NotFound."""
    page = resources.search(session, access, SPEC, {}, where=(ListOption.list_id == list_name,),
                            sort=sort, limit=limit, offset=offset)
    if not page.items and not session.execute(
            select(ListOption.option_id).where(ListOption.list_id == list_name).limit(1)).first():
        raise NotFound(f"No list named {list_name!r}", fields={"list_name": ["not found"]})
    return page


def titles_and_codes(session: Session, list_ids) -> dict[tuple[str, str], tuple[str, str]]:
    """{(list_id, folded option_id): (title, codes)} of these lists, for mapping stored
    option ids to their words and standard codes. Option ids match whatever their case, as
    OpenEMR's lookups do."""
    rows = session.execute(select(ListOption.list_id, ListOption.option_id, ListOption.title,
                                  ListOption.codes).where(ListOption.list_id.in_(list_ids)))
    return {(list_id, option_id.casefold()): (title, codes)
            for list_id, option_id, title, codes in rows}


def option_for(session: Session, list_id: str, *, code: str | None = None,
               title: str | None = None) -> str | None:
    """The option id of a list's option holding a standard code (`CDCREC:2106-3`) among its
    codes, else of the one with this title (any case); None when neither is there."""
    rows = session.execute(select(ListOption.option_id, ListOption.title, ListOption.codes)
                           .where(ListOption.list_id == list_id)).all()
    if code:
        for option_id, _, codes in rows:
            if code in [c.strip() for c in (codes or "").split(";")]:
                return option_id
    if title:
        for option_id, option_title, _ in rows:
            if (option_title or "").casefold() == title.casefold():
                return option_id
    return None
