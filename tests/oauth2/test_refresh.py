"""The refresh-token grant: rotation on every use, and reuse of a retired refresh token
treated as a leak (the whole family and its access tokens die)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import bearer, password_token, register_client

TOKEN = "/oauth2/default/token"
PATIENTS = "/apis/default/api/patient"
SCOPE = "openid offline_access api:oemr user/patient.read"


def refresh(client, app_client, refresh_token, **extra):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": app_client["client_id"], "client_secret": app_client["client_secret"],
            **extra}
    return client.post(TOKEN, data=data)


def api_status(client, token) -> int:
    return client.get(PATIENTS, headers=bearer(token)).status_code


def test_refresh_answers_a_new_access_and_refresh_token(client, app_client):
    first = password_token(client, app_client, scope=SCOPE)
    r = refresh(client, app_client, first["refresh_token"])
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    second = r.json()
    assert second["token_type"] == "Bearer"
    assert second["expires_in"] == 3600
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] and second["refresh_token"] != first["refresh_token"]
    assert set(second["scope"].split()) == set(SCOPE.split())
    assert api_status(client, second) == 200
    # The first access token stays good until it expires: rotation alone is not a leak.
    assert api_status(client, first) == 200


def test_the_rotated_token_keeps_rotating(client, app_client):
    token = password_token(client, app_client, scope=SCOPE)
    seen = {token["refresh_token"]}
    for _ in range(3):
        r = refresh(client, app_client, token["refresh_token"])
        assert r.status_code == 200, r.text
        token = r.json()
        assert token["refresh_token"] not in seen
        seen.add(token["refresh_token"])
    assert api_status(client, token) == 200


def test_reusing_a_retired_refresh_token_kills_the_family(client, app_client):
    first = password_token(client, app_client, scope=SCOPE)
    second = refresh(client, app_client, first["refresh_token"]).json()
    third = refresh(client, app_client, second["refresh_token"]).json()
    assert api_status(client, third) == 200

    reuse = refresh(client, app_client, first["refresh_token"])
    assert reuse.status_code == 400, reuse.text
    assert reuse.json()["error"] == "invalid_grant"

    # Every token derived from that first grant is dead at once.
    for token in (first, second, third):
        assert api_status(client, token) == 401
    latest = refresh(client, app_client, third["refresh_token"])
    assert latest.status_code == 400 and latest.json()["error"] == "invalid_grant"


def test_a_reuse_does_not_touch_another_family_of_the_same_user(client, app_client):
    victim = password_token(client, app_client, scope=SCOPE)
    other = password_token(client, app_client, scope=SCOPE)
    refresh(client, app_client, victim["refresh_token"])
    assert refresh(client, app_client, victim["refresh_token"]).status_code == 400
    assert api_status(client, victim) == 401
    assert api_status(client, other) == 200
    assert refresh(client, app_client, other["refresh_token"]).status_code == 200


def test_an_unknown_refresh_token_is_invalid_grant(client, app_client):
    r = refresh(client, app_client, "not-a-refresh-token")
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_a_missing_refresh_token_is_invalid_request(client, app_client):
    r = client.post(TOKEN, data={"grant_type": "refresh_token",
                                 "client_id": app_client["client_id"],
                                 "client_secret": app_client["client_secret"]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_another_client_cannot_use_the_refresh_token(client, app_client):
    token = password_token(client, app_client, scope=SCOPE)
    thief = register_client(client)
    r = refresh(client, thief, token["refresh_token"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # The rightful client still can.
    assert refresh(client, app_client, token["refresh_token"]).status_code == 200


def test_a_refresh_may_narrow_the_scope_but_not_widen_it(client, app_client):
    token = password_token(client, app_client, scope=SCOPE)
    wider = refresh(client, app_client, token["refresh_token"],
                    scope=SCOPE + " user/patient.write")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    narrower = refresh(client, app_client, token["refresh_token"],
                       scope="offline_access api:oemr")
    assert narrower.status_code == 200, narrower.text
    assert set(narrower.json()["scope"].split()) == {"offline_access", "api:oemr"}
    assert api_status(client, narrower.json()) == 403


def test_a_patient_refresh_keeps_the_patient_context(client, app_client):
    token = password_token(client, app_client, role="patient", username="phil", password="phil",
                           email="phil@example.com", scope="openid offline_access api:oemr")
    r = refresh(client, app_client, token["refresh_token"])
    assert r.status_code == 200, r.text
    info = client.get("/oauth2/default/userinfo", headers=bearer(r.json()))
    assert info.status_code == 200, info.text
    assert info.json()["role"] == "patient"
    assert info.json()["email"] == "phil@example.com"


def test_concurrent_uses_of_one_refresh_token_yield_one_new_token(client, app_client):
    """Rotation holds under a race: of simultaneous uses of one refresh token, exactly one
    succeeds (on every database, not only SQLite's serialized writes)."""
    token = password_token(client, app_client, scope=SCOPE)
    barrier = threading.Barrier(6)

    def use(_):
        barrier.wait()
        return refresh(client, app_client, token["refresh_token"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(use, range(6)))
    winners = [a.json() for a in answers if a.status_code == 200]
    assert len(winners) == 1, [a.text for a in answers]
    assert all(a.json()["error"] == "invalid_grant" for a in answers if a.status_code != 200)
    # The losers were reuses of a retired token: the family, the winner's included, is dead.
    (winner,) = winners
    assert api_status(client, winner) == 401
    assert api_status(client, token) == 401
    assert refresh(client, app_client, winner["refresh_token"]).status_code == 400
