"""What a Standard API refusal must look like, for every resource's tests."""

from __future__ import annotations


def invalid(r, field: str) -> None:
    """A 400 in the envelope, naming `field` in validationErrors."""
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["data"] == [] and field in body["validationErrors"], body


def not_found(r, field: str) -> None:
    """A 404 in the envelope whose message names `field`."""
    assert r.status_code == 404, r.text
    body = r.json()
    assert body["data"] == [] and f"{field} " in body["internalErrors"][0], body
