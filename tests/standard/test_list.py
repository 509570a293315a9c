"""GET /list/{list_name}: OpenEMR's selectable lists, for any user with lists/default."""

from __future__ import annotations

import pytest

from tests.conftest import bearer, password_token

API = "/apis/default/api"


def options(client, headers, name, **params) -> dict:
    r = client.get(f"{API}/list/{name}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_sex_list_in_display_order(client, admin):
    rows = options(client, admin, "sex")["data"]
    assert [o["option_id"] for o in rows] == ["Female", "Male", "UNK"]
    assert rows[0]["title"] == "Female" and rows[0]["list_id"] == "sex"
    assert rows[0]["activity"] == 1 and rows[0]["codes"] == "HL7:F"


@pytest.mark.parametrize("name", ["race", "ethnicity", "language", "marital", "titles", "yesno"])
def test_the_lists_a_patient_form_needs_are_there(client, admin, name):
    assert options(client, admin, name)["data"]


def test_what_patient_fields_store_is_an_option_id(client, admin):
    ethnicity = {o["option_id"] for o in options(client, admin, "ethnicity")["data"]}
    assert "hisp_or_latin" in ethnicity


def test_lists_page_and_sort(client, admin):
    first = options(client, admin, "language", _limit=2)
    assert len(first["data"]) == 2 and first["links"]["next"]
    titles = [o["title"] for o in options(client, admin, "language", _sort="-title")["data"]]
    assert titles == sorted(titles, reverse=True)


def test_an_unknown_list_is_404_naming_it(client, admin):
    r = client.get(f"{API}/list/no_such_list", headers=admin)
    assert r.status_code == 404, r.text
    assert "no_such_list" in r.json()["internalErrors"][0]


@pytest.mark.parametrize("name", ["../etc", "a b", "x" * 101])
def test_a_malformed_list_name_is_400_or_not_routed(client, admin, name):
    assert client.get(f"{API}/list/{name}", headers=admin).status_code in (400, 404)


def test_front_office_reads_lists_too(client, front_office):
    assert client.get(f"{API}/list/sex", headers=front_office).status_code == 200


def test_a_token_without_the_list_scope_is_refused(client, app_client):
    token = password_token(client, app_client, scope="openid api:oemr user/patient.read")
    assert client.get(f"{API}/list/sex", headers=bearer(token)).status_code == 403
