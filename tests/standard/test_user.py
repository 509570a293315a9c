"""GET /user and /user/{uuid}: the site's accounts, for administrators (admin/users), and
never a password hash."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import bearer, password_token

API = "/apis/default/api"


def users(client, headers, **params) -> list[dict]:
    r = client.get(f"{API}/user", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_administrators_list_the_accounts_without_any_password_data(client, admin):
    r = client.get(f"{API}/user", headers=admin)
    assert r.status_code == 200, r.text
    found = {u["username"]: u for u in r.json()["data"]}
    assert {"admin", "physician", "receptionist"} <= set(found)
    assert found["receptionist"]["acl_group"] == "front" and found["admin"]["active"] == 1
    assert "$argon2" not in r.text  # no hash
    assert not any(key.startswith("password") for u in found.values() for key in u)


def test_search_by_username_prefix_and_sort(client, admin):
    assert [u["username"] for u in users(client, admin, username="rec")] == ["receptionist"]
    assert [u["username"] for u in users(client, admin, username="RECEP")] == ["receptionist"]
    names = [u["username"] for u in users(client, admin, _sort="-username")]
    assert names == sorted(names, reverse=True)
    assert users(client, admin, active=0) == [] or all(
        u["active"] == 0 for u in users(client, admin, active=0))


def test_one_user_by_uuid_and_an_unknown_one_is_404(client, admin):
    one = users(client, admin, username="physician")[0]
    r = client.get(f"{API}/user/{one['uuid']}", headers=admin)
    assert r.status_code == 200 and r.json()["data"]["fname"] == "Jamie"
    r = client.get(f"{API}/user/{uuid.uuid4()}", headers=admin)
    assert r.status_code == 404, r.text


def test_a_user_without_admin_users_is_refused(client, front_office):
    r = client.get(f"{API}/user", headers=front_office)
    assert r.status_code == 403, r.text


def test_a_token_without_the_user_scope_is_refused(client, app_client):
    token = password_token(client, app_client, scope="openid api:oemr user/patient.read")
    assert client.get(f"{API}/user", headers=bearer(token)).status_code == 403


@pytest.mark.parametrize("sort", ["password_hash", "acl_group", "email"])
def test_sorting_outside_the_whitelist_is_400(client, admin, sort):
    r = client.get(f"{API}/user", params={"_sort": sort}, headers=admin)
    assert r.status_code == 400, r.text
