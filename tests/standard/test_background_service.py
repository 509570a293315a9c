"""/background_service: the list and one service in OpenEMR's fields plus the last run;
a run answering OpenEMR's statuses (200 executed, 409 not due, skipped or already running,
500 error, each with its outcome in `data`); running what is due; paging and sort; the
path that is its own (`$run`); scopes, the admin/super ACL and the audit row."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from emr_api.auth.passwords import hash_password
from emr_api.codegen import operations
from emr_api.db.models import AuditLog, BackgroundService, User, utcnow
from tests.conftest import bearer, password_token, register_client
from tests.standard.answers import invalid, not_found

API = "/apis/default/api"
BASE = f"{API}/background_service"
NAMES = ["oauth_token_cleanup", "export_file_expiry", "audit_check"]
FIELDS = {"name", "title", "active", "running", "execute_interval", "next_run", "function",
          "sort_order", "last_run_start", "last_run_end", "last_status", "last_message"}
WHEN = "%Y-%m-%d %H:%M:%S"


@pytest.fixture()
def services(app):
    """Set a service's row directly (`set(name, **values)`); every row is as it was after."""
    site = app.registry.get("default")
    with site.db.read() as s:
        saved = {row.name: {c.key: getattr(row, c.key) for c in BackgroundService.__table__.c}
                 for row in s.execute(select(BackgroundService)).scalars()}

    def set_(name, /, **values):
        with site.db.write() as s:
            s.execute(update(BackgroundService).where(BackgroundService.name == name)
                      .values(**values))

    yield set_
    for name, values in saved.items():
        set_(name, **values)


def run(client, headers, name, **body):
    return client.post(f"{BASE}/{name}/run", json=body, headers=headers)


def listed(client, headers, **params) -> list[dict]:
    r = client.get(BASE, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def one(client, headers, name) -> dict:
    r = client.get(f"{BASE}/{name}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


# --- reading --------------------------------------------------------------------------------

def test_the_list_holds_the_three_services_in_sort_order(client, admin):
    items = listed(client, admin)
    assert [item["name"] for item in items] == NAMES
    for item in items:
        assert set(item) == FIELDS
        assert item["active"] is True and isinstance(item["running"], bool)
        datetime.strptime(item["next_run"], WHEN)
    cleanup = items[0]
    assert (cleanup["title"], cleanup["execute_interval"], cleanup["function"],
            cleanup["sort_order"]) == ("Remove expired OAuth tokens and authorization codes",
                                       60, "clean_oauth_tokens", 10)


def test_the_list_pages_and_sorts(client, admin):
    r = client.get(BASE, params={"_limit": 2, "_sort": "-name"}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [item["name"] for item in body["data"]] == ["oauth_token_cleanup",
                                                       "export_file_expiry"]
    assert body["links"]["next"].endswith("_sort=-name&_limit=2&_offset=2")
    rest = client.get(body["links"]["next"], headers=admin).json()
    assert [item["name"] for item in rest["data"]] == ["audit_check"]
    assert rest["links"]["next"] is None
    assert [i["name"] for i in listed(client, admin, _sort="title")] == [
        "audit_check", "export_file_expiry", "oauth_token_cleanup"]


@pytest.mark.parametrize("params, field", [({"_sort": "function"}, "_sort"),
                                           ({"_limit": 500}, "_limit"),
                                           ({"name": "audit_check"}, "name")])
def test_bad_list_parameters_are_400(client, admin, params, field):
    invalid(client.get(BASE, params=params, headers=admin), field)


def test_one_service_is_as_listed(client, admin):
    assert one(client, admin, "audit_check") == listed(client, admin)[2]


def test_an_unknown_or_malformed_name(client, admin):
    not_found(client.get(f"{BASE}/no_such_service", headers=admin), "name")
    not_found(run(client, admin, "no_such_service", force=True), "name")
    invalid(client.get(f"{BASE}/bad name!", headers=admin), "name")
    invalid(run(client, admin, "x" * 32), "name")


# --- running one ----------------------------------------------------------------------------

def test_a_forced_run_answers_the_outcome_and_the_service_shows_it(client, admin, services):
    services("oauth_token_cleanup", next_run=utcnow() + timedelta(hours=1))
    before = utcnow().replace(microsecond=0)
    r = run(client, admin, "oauth_token_cleanup", force=True)
    assert r.status_code == 200, r.text
    assert r.json() == {"validationErrors": [], "internalErrors": [], "data": {
        "service": "oauth_token_cleanup", "status": "executed",
        "message": r.json()["data"]["message"]}}
    assert r.json()["data"]["message"].startswith(("removed ", "nothing had expired"))
    shown = one(client, admin, "oauth_token_cleanup")
    assert (shown["running"], shown["last_status"]) == (False, "ok")
    assert shown["last_message"] == r.json()["data"]["message"]
    start = datetime.strptime(shown["last_run_start"], WHEN)
    assert before <= start <= datetime.strptime(shown["last_run_end"], WHEN)
    assert datetime.strptime(shown["next_run"], WHEN) >= before + timedelta(minutes=60)


def test_a_service_not_due_runs_only_when_forced(client, admin, services):
    services("audit_check", next_run=utcnow() + timedelta(hours=1))
    for body in ({}, {"force": False}):
        r = run(client, admin, "audit_check", **body)
        assert r.status_code == 409, r.text
        data = r.json()["data"]
        assert (data["service"], data["status"]) == ("audit_check", "not_due")
        assert r.json()["internalErrors"] == [data["message"]]
        assert data["message"].startswith("next run at ")
    r = client.post(f"{BASE}/audit_check/run", headers=admin)  # no body at all
    assert r.status_code == 409 and r.json()["data"]["status"] == "not_due"
    assert run(client, admin, "audit_check", force=True).status_code == 200


def test_a_due_service_runs_without_force(client, admin, services):
    services("audit_check", next_run=utcnow() - timedelta(minutes=1))
    r = client.post(f"{BASE}/audit_check/run", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "executed"


def test_a_service_another_worker_runs_is_409_and_stays_theirs(client, admin, services):
    services("audit_check", running=True, lock_owner="another-worker",
             lock_expires_at=utcnow() + timedelta(minutes=5))
    assert one(client, admin, "audit_check")["running"] is True
    r = run(client, admin, "audit_check", force=True)
    assert r.status_code == 409, r.text
    assert r.json()["data"]["status"] == "already_running"
    assert one(client, admin, "audit_check")["running"] is True


def test_a_claim_left_by_a_dead_worker_lapses(client, admin, services):
    services("audit_check", running=True, lock_owner="dead-worker",
             lock_expires_at=utcnow() - timedelta(minutes=1))
    assert one(client, admin, "audit_check")["running"] is False
    r = run(client, admin, "audit_check", force=True)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "executed"


def test_inactive_and_on_demand_services_are_skipped(client, admin, services):
    services("audit_check", execute_interval=0, next_run=utcnow() - timedelta(minutes=1))
    r = run(client, admin, "audit_check")
    assert r.status_code == 409 and r.json()["data"] == {
        "service": "audit_check", "status": "skipped", "message": "runs only when forced"}
    assert run(client, admin, "audit_check", force=True).status_code == 200
    services("audit_check", active=False)
    r = run(client, admin, "audit_check", force=True)
    assert r.status_code == 409 and r.json()["data"]["message"] == "inactive"


def test_a_failed_run_is_500_with_its_outcome(client, admin, app, services, tmp_path):
    """The export folder replaced by a symbolic link: the job refuses to follow it."""
    folder = app.registry.get("default").export_dir
    folder.parent.mkdir(parents=True, exist_ok=True)
    saved = tmp_path / "saved"
    if folder.exists():
        folder.rename(saved)
    folder.symlink_to(tmp_path)
    try:
        r = run(client, admin, "export_file_expiry", force=True)
    finally:
        folder.unlink()
        if saved.exists():
            saved.rename(folder)
    assert r.status_code == 500, r.text
    data = r.json()["data"]
    assert (data["service"], data["status"]) == ("export_file_expiry", "error")
    assert "not a plain folder" in data["message"]
    assert r.json()["internalErrors"] == [data["message"]]
    shown = one(client, admin, "export_file_expiry")
    assert (shown["last_status"], shown["last_message"]) == ("error", data["message"])


def test_a_non_boolean_force_is_400(client, admin):
    for value in ("yes", 1, None):
        invalid(run(client, admin, "audit_check", force=value), "force")


# --- running what is due --------------------------------------------------------------------

def test_run_due_answers_each_services_outcome(client, admin, services):
    services("oauth_token_cleanup", next_run=utcnow() - timedelta(minutes=1))
    services("export_file_expiry", next_run=utcnow() + timedelta(hours=1))
    services("audit_check", active=False)
    r = client.post(f"{BASE}/$run", headers=admin)
    assert r.status_code == 200, r.text
    results = r.json()["data"]["results"]
    assert [(x["name"], x["status"]) for x in results] == [
        ("oauth_token_cleanup", "executed"), ("export_file_expiry", "not_due"),
        ("audit_check", "skipped")]
    assert all(set(x) == {"name", "status", "message"} for x in results)
    assert results[2]["message"] == "inactive"
    again = client.post(f"{BASE}/$run", headers=admin).json()["data"]["results"]
    assert again[0]["status"] == "not_due"


def test_run_due_takes_no_force_and_is_post_only(client, admin):
    r = client.get(f"{BASE}/$run", headers=admin)  # not `GET /background_service/{name}`
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert client.delete(f"{BASE}/$run", headers=admin).headers["allow"] == "POST"
    assert client.put(f"{BASE}/audit_check", headers=admin).headers["allow"] == "GET"


# --- scopes, ACL, audit ---------------------------------------------------------------------

def test_no_token_is_401(client):
    assert client.get(BASE).status_code == 401
    assert client.get(f"{BASE}/audit_check").status_code == 401
    assert client.post(f"{BASE}/audit_check/run", json={"force": True}).status_code == 401
    assert client.post(f"{BASE}/$run").status_code == 401


def statuses(client, headers) -> dict:
    return {"s": client.get(BASE, headers=headers).status_code,
            "r": client.get(f"{BASE}/audit_check", headers=headers).status_code,
            "c": run(client, headers, "audit_check", force=True).status_code,
            "c$": client.post(f"{BASE}/$run", headers=headers).status_code}


def test_each_operation_needs_its_scope(client, app_client, services):
    def token(scope, app=app_client):
        return bearer(password_token(client, app, scope=f"api:oemr {scope}"))

    assert statuses(client, token("user/patient.read")) == dict.fromkeys(["s", "r", "c", "c$"], 403)
    assert statuses(client, token("user/background_service.read")) == {
        "s": 200, "r": 200, "c": 403, "c$": 403}
    v2 = register_client(client, scope="api:oemr user/background_service.s "
                                       "user/background_service.c")
    assert statuses(client, token("user/background_service.s", v2)) == {
        "s": 200, "r": 403, "c": 403, "c$": 403}
    assert statuses(client, token("user/background_service.c", v2)) == {
        "s": 403, "r": 403, "c": 200, "c$": 200}


def test_every_operation_needs_admin_super():
    ours = [op for op in operations.of_api("standard")
            if op.operation_id.startswith("emr_api.handlers.standard.background_service.")]
    assert len(ours) == 4
    assert {tuple(op.acl) for op in ours} == {("admin", "super")}


def test_only_administrators_see_or_run_background_services(client, app, app_client,
                                                            front_office, services):
    site = app.registry.get("default")
    services("audit_check", next_run=utcnow() - timedelta(minutes=1))
    physician = f"doc{utcnow():%H%M%S%f}"
    with site.db.write() as s:
        s.add(User(username=physician, password_hash=hash_password("pw"), acl_group="doc"))
    doc = bearer(password_token(client, app_client, username=physician, password="pw"))
    before = one(client, bearer(password_token(client, app_client)), "audit_check")
    for headers in (front_office, doc):
        assert statuses(client, headers) == dict.fromkeys(["s", "r", "c", "c$"], 403)
    r = client.get(BASE, headers=front_office)
    assert "admin/super" in r.json()["internalErrors"][0]
    after = one(client, bearer(password_token(client, app_client)), "audit_check")
    assert after == before  # the refused runs ran nothing


def test_a_run_is_audited(client, app, admin, services):
    r = run(client, admin, "audit_check", force=True)
    assert r.status_code == 200
    with app.registry.get("default").db.read() as s:
        row = s.execute(select(AuditLog).where(
            AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
    assert (row.method, row.route, row.status, row.patient_uuid) == (
        "POST", f"{BASE}/audit_check/run", 200, None)
