"""What the FHIR tests share: searching and reading over HTTP, the ids a Bundle matched or
included, OperationOutcome answers, and rows written straight to the database (for data
no API writes)."""

from __future__ import annotations

FHIR = "/apis/default/fhir"


def ids(body: dict) -> set[str]:
    return {e["resource"]["id"] for e in body.get("entry", []) if e["search"]["mode"] == "match"}


def included(body: dict) -> set[tuple[str, str]]:
    return {(e["resource"]["resourceType"], e["resource"]["id"])
            for e in body.get("entry", []) if e["search"]["mode"] == "include"}


def search(client, headers, type_, **params) -> dict:
    r = client.get(f"{FHIR}/{type_}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def read(client, headers, type_, id_) -> dict:
    r = client.get(f"{FHIR}/{type_}/{id_}", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    return r.json()


def outcome(r, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["resourceType"] == "OperationOutcome"
    return body


def write(app, *rows):
    with app.registry.get("default").db.write() as s:
        for row in rows:
            s.add(row)
            s.flush()
        s.expunge_all()
    return rows
