"""/drug (OpenEMR's formulary drugs): the list and one drug, with the row OpenEMR's drug
service answers; the filters (name from the start, codes and options exactly, active),
sort and paging; unknown and malformed uuids; scopes and the patients/med ACL."""

from __future__ import annotations

import uuid

import pytest

from emr_api.db.models import Drug
from tests.conftest import bearer, password_token, register_client
from tests.standard.answers import invalid, not_found

API = "/apis/default/api"
# Names no other test's drugs share, so the filters below see only these.
TAG = f"Zz{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def formulary(app) -> dict:
    """Three drugs of this module: {short name: uuid}."""
    rows = {
        "lisinopril": Drug(name=f"{TAG} Lisinopril 10 mg tablet", drug_code="314076",
                           ndc_number=f"{TAG[:4]}-0001", form="2", size="10", unit="1",
                           route="1", related_code="RXCUI:314076"),
        "albuterol": Drug(name=f"{TAG} Albuterol inhaler", drug_code="745679", form="8",
                          size="0.09", unit="1", route="inhale"),
        "retired": Drug(name=f"{TAG} Retired tablet", drug_code="1", form="2", active=False),
    }
    with app.registry.get("default").db.write() as s:
        s.add_all(rows.values())
        s.flush()
        return {name: row.uuid for name, row in rows.items()}


@pytest.fixture(scope="module")
def physician(client, app_client) -> dict:
    return bearer(password_token(client, app_client, username="physician",
                                 password="physician"))


def listed(client, headers, **params) -> list[dict]:
    r = client.get(f"{API}/drug", params={"name": TAG, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_one_drug_answers_openemrs_row(client, admin, formulary):
    r = client.get(f"{API}/drug/{formulary['lisinopril']}", headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["validationErrors"] == [] and body["internalErrors"] == []
    data = body["data"]
    assert set(data) == {"drug_id", "uuid", "name", "ndc_number", "form", "size", "unit",
                         "route", "related_code", "active", "drug_code", "rxnorm_drugcode",
                         "drug_date_created", "drug_last_updated"}
    assert isinstance(data["drug_id"], int) and data["uuid"] == formulary["lisinopril"]
    assert data["name"] == f"{TAG} Lisinopril 10 mg tablet"
    assert (data["drug_code"], data["rxnorm_drugcode"]) == ("314076", "314076")
    assert (data["form"], data["size"], data["unit"], data["route"]) == ("2", "10", "1", "1")
    assert data["ndc_number"] == f"{TAG[:4]}-0001" and data["related_code"] == "RXCUI:314076"
    assert data["active"] == 1 and len(data["drug_date_created"]) == 19


def test_the_list_holds_every_drug_in_id_order(client, admin, formulary):
    data = listed(client, admin)
    assert [d["uuid"] for d in data] == [formulary[k] for k in ("lisinopril", "albuterol",
                                                               "retired")]
    assert [d["active"] for d in data] == [1, 1, 0]
    one = client.get(f"{API}/drug/{formulary['albuterol']}", headers=admin).json()["data"]
    assert data[1] == one


def test_filters(client, admin, formulary):
    assert [d["uuid"] for d in listed(client, admin, name=f"{TAG.lower()} alb")] == [
        formulary["albuterol"]]
    assert [d["uuid"] for d in listed(client, admin, drug_code="314076")] == [
        formulary["lisinopril"]]
    assert listed(client, admin, drug_code="31407") == []  # codes match whole
    assert [d["uuid"] for d in listed(client, admin, ndc_number=f"{TAG[:4]}-0001")] == [
        formulary["lisinopril"]]
    assert [d["uuid"] for d in listed(client, admin, form="2")] == [
        formulary["lisinopril"], formulary["retired"]]
    assert [d["uuid"] for d in listed(client, admin, route="inhale")] == [formulary["albuterol"]]
    assert [d["uuid"] for d in listed(client, admin, active=0)] == [formulary["retired"]]
    assert len(listed(client, admin, active=1)) == 2
    # Wildcards mean nothing in a name.
    assert listed(client, admin, name=f"{TAG}%") == []


def test_sort_and_paging(client, admin, formulary):
    by_name = [d["uuid"] for d in listed(client, admin, _sort="-name")]
    assert by_name == [formulary["retired"], formulary["lisinopril"], formulary["albuterol"]]
    r = client.get(f"{API}/drug", params={"name": TAG, "_limit": 2}, headers=admin).json()
    assert len(r["data"]) == 2 and r["links"]["previous"] is None
    nxt = client.get(r["links"]["next"], headers=admin).json()
    assert [d["uuid"] for d in nxt["data"]] == [formulary["retired"]]
    assert nxt["links"]["next"] is None


@pytest.mark.parametrize("params, field", [
    ({"_sort": "size"}, "_sort"),
    ({"active": 2}, "active"),
    ({"_limit": 201}, "_limit"),
    ({"name": "x" * 256}, "name"),
    ({"drug.name": "x"}, "drug.name"),
])
def test_bad_list_parameters_are_400(client, admin, params, field):
    invalid(client.get(f"{API}/drug", params=params, headers=admin), field)


def test_unknown_and_malformed_uuids(client, admin):
    not_found(client.get(f"{API}/drug/{uuid.uuid4()}", headers=admin), "uuid")
    invalid(client.get(f"{API}/drug/not-a-uuid", headers=admin), "uuid")


def test_the_formulary_is_read_only(client, admin, formulary):
    r = client.post(f"{API}/drug", json={"name": "New drug"}, headers=admin)
    assert r.status_code == 405, r.text
    r = client.delete(f"{API}/drug/{formulary['lisinopril']}", headers=admin)
    assert r.status_code == 405, r.text


def test_each_operation_needs_its_scope(client, app_client, formulary):
    one = f"{API}/drug/{formulary['lisinopril']}"
    assert client.get(f"{API}/drug").status_code == 401
    other = bearer(password_token(client, app_client, scope="api:oemr user/prescription.read"))
    assert [client.get(url, headers=other).status_code for url in (f"{API}/drug", one)] == [403] * 2
    v2 = register_client(client, scope="api:oemr user/drug.s")
    searcher = bearer(password_token(client, v2, scope="api:oemr user/drug.s"))
    assert client.get(f"{API}/drug", headers=searcher).status_code == 200
    assert client.get(one, headers=searcher).status_code == 403
    reader = bearer(password_token(client, app_client, scope="api:oemr user/drug.read"))
    assert [client.get(url, headers=reader).status_code
            for url in (f"{API}/drug", one)] == [200] * 2


def test_patients_med_acl(client, front_office, physician, formulary):
    one = f"{API}/drug/{formulary['lisinopril']}"
    for url in (f"{API}/drug", one):
        r = client.get(url, headers=front_office)
        assert r.status_code == 403 and "patients/med" in r.json()["internalErrors"][0]
        assert client.get(url, headers=physician).status_code == 200
