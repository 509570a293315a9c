"""The generic search / create / update every resource shares: paging, the sort
whitelist, loud failure for a filter the spec does not handle, and writes that leave
nothing behind when a rule refuses them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from emr_api.db.models import Encounter, Facility
from emr_api.errors import ValidationFailed
from emr_api.identity import Access
from emr_api.services import encounters, facilities, patients, resources

SYSTEM = Access.system()


def test_a_page_says_whether_more_follow(database, two_patients):
    with database.read() as s:
        first = resources.search(s, SYSTEM, patients.SPEC, {"lname": "narrow"}, limit=1,
                                 sort="fname")
        assert (first.has_more, first.offset, first.limit) == (True, 0, 1)
        assert [p.fname for p in first.items] == ["Ann"]
        second = resources.search(s, SYSTEM, patients.SPEC, {"lname": "narrow"}, limit=1,
                                  offset=1, sort="fname")
        assert [p.fname for p in second.items] == ["Bea"] and not second.has_more


def test_the_limit_is_capped(database, two_patients):
    with database.read() as s:
        page = resources.search(s, SYSTEM, patients.SPEC, {}, limit=10_000)
        assert page.limit == resources.MAX_LIMIT


def test_descending_sort_and_the_default_order(database, two_patients):
    _, euuids = two_patients["Ann"]
    puuid = two_patients["Ann"][0]
    with database.read() as s:
        newest_first = encounters.search(s, SYSTEM, puuid)[1].items  # default "-eid"
        assert [e.uuid for e in newest_first] == list(reversed(euuids))
        by_date = encounters.search(s, SYSTEM, puuid, sort="-date")[1].items
        assert [e.uuid for e in by_date] == list(reversed(euuids))


def test_a_sort_field_outside_the_whitelist_is_a_400_naming_sort(database):
    with database.read() as s:
        for sort in ("portal_password_hash", "lname,-nosuch", "-"):
            with pytest.raises(ValidationFailed) as refused:
                resources.search(s, SYSTEM, patients.SPEC, {}, sort=sort)
            assert list(refused.value.fields) == ["_sort"]


def test_a_filter_the_spec_does_not_handle_fails_loudly(database):
    with database.read() as s:
        with pytest.raises(LookupError):
            resources.search(s, SYSTEM, patients.SPEC, {"portal_username": "phil"})


def test_filters_match_by_their_kind(database, two_patients):
    with database.read() as s:
        def names(filters):
            return {p.fname for p in resources.search(s, SYSTEM, patients.SPEC, filters).items}
        assert names({"lname": "NARR", "fname": "a"}) == {"Ann"}  # prefix, any case
        assert names({"lname": "Narrow", "sex": "female"}) == set()  # exact
        assert names({"lname": "Narrow", "DOB": "1990-01-02"}) == {"Ann", "Bea"}
        assert names({"lname": "Narrow", "fname": "%"}) == set()  # wildcards are text
        with pytest.raises(ValidationFailed) as refused:
            names({"DOB": "1990-02-30"})
        assert list(refused.value.fields) == ["DOB"]


def test_a_refused_create_writes_nothing(database, two_patients):
    puuid, _ = two_patients["Bea"]
    with database.read() as s:
        before = s.execute(select(func.count()).select_from(Encounter)).scalar_one()
    with pytest.raises(ValidationFailed) as refused:
        with database.write() as s:
            encounters.create(s, SYSTEM, puuid, {"pc_catid": 5, "class_code": "AMB",
                                                 "facility_id": 999_999, "provider_id": 888_888})
    assert set(refused.value.fields) == {"facility_id", "provider_id"}
    with database.read() as s:
        assert s.execute(select(func.count()).select_from(Encounter)).scalar_one() == before


def test_required_fields_are_named_on_create_and_kept_on_update(database):
    with pytest.raises(ValidationFailed) as missing:
        with database.write() as s:
            resources.create(s, SYSTEM, facilities.SPEC, {"city": "Nowhere"})
    assert set(missing.value.fields) == {"name", "facility_npi"}
    with database.write() as s:
        made = resources.create(s, SYSTEM, facilities.SPEC,
                                {"name": "Spec Clinic", "facility_npi": "1234567890"})
        fuuid = made.uuid
    with pytest.raises(ValidationFailed) as cleared:
        with database.write() as s:
            resources.update(s, SYSTEM, facilities.SPEC, fuuid, {"name": None, "city": "X"})
    assert list(cleared.value.fields) == ["name"]
    with database.read() as s:
        row = s.execute(select(Facility).where(Facility.uuid == fuuid)).scalar_one()
        assert (row.name, row.city) == ("Spec Clinic", None)


def test_name_prefixes_match_case_folded_and_follow_updates(database):
    with database.write() as s:
        puuid = resources.create(s, SYSTEM, patients.SPEC, {
            "fname": "Élise", "lname": "Großmann", "sex": "Female", "DOB": "1960-06-06"}).uuid

    def found(filters) -> bool:
        with database.read() as s:
            page = resources.search(s, SYSTEM, patients.SPEC, filters)
            return puuid in {p.uuid for p in page.items}

    assert found({"lname": "GROSS"}) and found({"lname": "großm"})
    assert found({"fname": "éli", "lname": "gro"}) and not found({"fname": "eli"})
    with database.write() as s:
        resources.update(s, SYSTEM, patients.SPEC, puuid, {"lname": "Klein"})
    assert found({"lname": "kle"}) and not found({"lname": "gro"})
