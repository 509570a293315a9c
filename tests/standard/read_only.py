"""What a read-only Standard resource (a list and a read by uuid, OpenEMR's ACL
patients/med) must do about tokens, scopes, the ACL and the audit row. Each resource's tests
call these with their own URLs and a row of their own, written by `write`: the API cannot."""

from __future__ import annotations

from sqlalchemy import select

from emr_api.db.models import AuditLog
from tests.conftest import bearer, password_token, register_client


def write(app, *rows):
    """Add rows through the site's database, in order (each flushed, so the next may name
    its ids); answer them, ids and uuids filled."""
    with app.registry.get("default").db.write() as s:
        for row in rows:
            s.add(row)
            s.flush()
        s.expunge_all()
    return rows


def needs_a_token(client, *urls) -> None:
    assert [client.get(url).status_code for url in urls] == [401] * len(urls)


def needs_its_scope(client, app_client, resource: str, many: str, one: str) -> None:
    """`user/<resource>.read` reads both, another resource's scope neither; in the v2
    grammar `.s` only searches and `.r` only reads."""
    other = "procedure" if resource != "procedure" else "immunization"
    for scope, allowed in ((f"user/{other}.read", False), (f"user/{resource}.read", True)):
        headers = bearer(password_token(client, app_client, scope=f"api:oemr {scope}"))
        for url in (many, one):
            assert (client.get(url, headers=headers).status_code == 200) is allowed, (scope, url)
    for scope, allowed in ((f"user/{resource}.s", many), (f"user/{resource}.r", one)):
        v2 = register_client(client, scope=f"api:oemr {scope}")
        headers = bearer(password_token(client, v2, scope=f"api:oemr {scope}"))
        assert {url: client.get(url, headers=headers).status_code for url in (many, one)} == {
            url: 200 if url == allowed else 403 for url in (many, one)}


def needs_patients_med(client, front_office, *urls) -> None:
    """The front office (no patients/med) is refused, and told which ACL it lacks."""
    responses = [client.get(url, headers=front_office) for url in urls]
    assert [r.status_code for r in responses] == [403] * len(urls)
    assert all("patients/med" in r.json()["internalErrors"][0] for r in responses)


def audit_names_the_patient(client, app, admin, url: str, puuid: str) -> None:
    r = client.get(url, headers=admin)
    assert r.status_code == 200, r.text
    with app.registry.get("default").db.read() as s:
        audit = s.execute(select(AuditLog).where(
            AuditLog.request_id == r.headers["x-request-id"])).scalar_one()
    assert audit.patient_uuid == puuid
