"""Headers every answer carries, whatever produced it."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/apis/default/api/patient", "/apis/default/api/version",
                                  "/apis/default/api/patient/00000000-0000-4000-8000-000000000000",
                                  "/oauth2/default/.well-known/openid-configuration"])
def test_no_answer_is_kept_by_a_cache(client, admin, path):
    """Answers may carry patient data: every one says no-store, errors included."""
    r = client.get(path, headers=admin)
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["pragma"] == "no-cache"


@pytest.mark.parametrize("path", ["/apis/nosuchsite/api/patient", "/apis/default/nosuchapi/x",
                                  "/apis/default/fhir/NoSuchType"])
def test_answers_from_the_edge_are_not_cached_either(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["cache-control"] == "no-store"
