"""FHIR Patient: read and search over HTTP with real tokens. The patients are made through
the Standard API, so a record written there is the one FHIR answers."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

import pytest

from emr_api.handlers.fhir import patient as fhir_patient
from tests.conftest import bearer, password_token, register_client

FHIR = "/apis/default/fhir"
STANDARD = "/apis/default/api"


def outcome(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    body = r.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"]
    return body


def bundle(client, headers, **params) -> dict:
    r = client.get(f"{FHIR}/Patient", params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    body = r.json()
    assert body["resourceType"] == "Bundle" and body["type"] == "searchset"
    return body


def ids(body: dict) -> list[str]:
    return [e["resource"]["id"] for e in body.get("entry", []) if e["search"]["mode"] == "match"]


@pytest.fixture(scope="module")
def family(client, admin) -> dict:
    return make_family(client, admin)


def make_family(client, admin) -> dict:
    """Five patients of one family name of their own; {given name: uuid}."""
    name = "Fhirtest" + secrets.token_hex(3)
    people = [("Anna", "Female", "1950-03-15", "married", "white"),
              ("Bert", "Male", "1960-07-01", "single", "Asian"),
              ("Carla", "Female", "1960-07-30", "divorced", "declne_to_specfy"),
              ("Dmitri", "Male", "1985-12-31", "", ""),
              ("Émile", "Male", "2001-01-01", "widowed", "black_or_afri_amer")]
    made = {"_family": name}
    for given, sex, dob, status, race in people:
        body = {"fname": given, "lname": name, "sex": sex, "DOB": dob, "status": status,
                "race": race, "ethnicity": "not_hisp_or_latin", "language": "Spanish",
                "city": "Portland", "state": "OR", "postal_code": "97201",
                "street": "1 Main St", "phone_home": "503-555-0101",
                "email": f"{given.lower()}@fhir.example"}
        r = client.post(f"{STANDARD}/patient", json=body, headers=admin)
        assert r.status_code == 201, r.text
        made[given] = r.json()["data"]["uuid"]
    return made


@pytest.fixture(scope="module")
def staff(client, app_client) -> dict:
    return bearer(password_token(client, app_client, scope="openid api:fhir user/Patient.rs"))


def test_read_is_a_us_core_patient(client, staff, family):
    r = client.get(f"{FHIR}/Patient/{family['Anna']}", headers=staff)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    p = r.json()
    assert p["resourceType"] == "Patient" and p["id"] == family["Anna"]
    assert p["meta"]["profile"] == [fhir_patient.US_CORE_PATIENT]
    assert p["meta"]["lastUpdated"].endswith("Z")
    assert p["name"] == [{"use": "official", "family": family["_family"], "given": ["Anna"]}]
    assert p["gender"] == "female" and p["birthDate"] == "1950-03-15"
    assert p["identifier"][0]["system"].endswith("/fhir/sid/mrn")
    assert p["identifier"][0]["value"]
    assert p["maritalStatus"]["coding"][0]["code"] == "M"
    assert p["communication"][0]["language"]["coding"][0] == {
        "system": "urn:ietf:bcp:47", "code": "es", "display": "Spanish"}
    assert p["address"][0]["city"] == "Portland"
    assert {"system": "email", "value": "anna@fhir.example", "use": "home"} in p["telecom"]
    race = next(e for e in p["extension"] if e["url"].endswith("us-core-race"))
    assert race["extension"][0]["valueCoding"]["code"] == "2106-3"
    assert race["extension"][1] == {"url": "text", "valueString": "White"}


def test_a_declined_race_is_the_null_flavour_asku(client, staff, family):
    p = client.get(f"{FHIR}/Patient/{family['Carla']}", headers=staff).json()
    race = next(e for e in p["extension"] if e["url"].endswith("us-core-race"))
    assert race["extension"][0]["valueCoding"]["code"] == "ASKU"
    dmitri = client.get(f"{FHIR}/Patient/{family['Dmitri']}", headers=staff).json()
    assert not any(e["url"].endswith("us-core-race") for e in dmitri.get("extension", []))
    assert "maritalStatus" not in dmitri


def test_an_unknown_id_is_a_404_operation_outcome(client, staff):
    body = outcome(client.get(f"{FHIR}/Patient/no-such-id", headers=staff), 404)
    assert body["issue"][0]["code"] == "not-found"


def test_search_by_family_prefix_ignores_case(client, staff, family):
    found = bundle(client, staff, family=family["_family"][:-2].upper())
    assert set(ids(found)) >= {family[g] for g in ("Anna", "Bert", "Carla", "Dmitri", "Émile")}
    assert found["total"] == len(ids(found))


@pytest.mark.parametrize("params, expected", [
    ({"given": "an"}, {"Anna"}),
    ({"given": "émi"}, {"Émile"}),
    ({"given:exact": "Anna"}, {"Anna"}),
    ({"given:exact": "anna"}, set()),
    ({"name:contains": "arl"}, {"Carla"}),
    ({"birthdate": "1960"}, {"Bert", "Carla"}),
    ({"birthdate": "1960-07"}, {"Bert", "Carla"}),
    ({"birthdate": "1960-07-30"}, {"Carla"}),
    ({"birthdate": "ge1985-12-31"}, {"Dmitri", "Émile"}),
    ({"birthdate": "gt1985-12-31"}, {"Émile"}),
    ({"birthdate": "lt1960"}, {"Anna"}),
    ({"birthdate": "le1960-07"}, {"Anna", "Bert", "Carla"}),
    ({"birthdate": "sa1960"}, {"Dmitri", "Émile"}),
    ({"birthdate": "eb1960-07-30"}, {"Anna", "Bert"}),
    ({"birthdate": "ne1960"}, {"Anna", "Dmitri", "Émile"}),
    ({"gender": "female"}, {"Anna", "Carla"}),
    ({"gender": "http://hl7.org/fhir/administrative-gender|male"}, {"Bert", "Dmitri", "Émile"}),
    ({"gender": "http://other.example/gender|male"}, set()),
    ({"gender": "female,male"}, {"Anna", "Bert", "Carla", "Dmitri", "Émile"}),
    ({"email": "bert@fhir.example"}, {"Bert"}),
    ({"telecom": "carla@fhir.example"}, {"Carla"}),
    ({"address-city": "portl", "given": "d"}, {"Dmitri"}),
])
def test_search_parameters(client, staff, family, params, expected):
    found = bundle(client, staff, family=family["_family"], **params)
    assert set(ids(found)) == {family[g] for g in expected}, params


def test_a_repeated_parameter_is_and(client, staff, family):
    query = [("family", family["_family"]), ("birthdate", "ge1955"), ("birthdate", "lt1990")]
    r = client.get(f"{FHIR}/Patient", params=query, headers=staff)
    assert set(ids(r.json())) == {family["Bert"], family["Carla"], family["Dmitri"]}


def test_search_by_id_and_identifier(client, staff, family):
    found = bundle(client, staff, _id=f"{family['Anna']},{family['Bert']}")
    assert set(ids(found)) == {family["Anna"], family["Bert"]}
    anna = client.get(f"{FHIR}/Patient/{family['Anna']}", headers=staff).json()
    mrn = anna["identifier"][0]
    assert ids(bundle(client, staff, identifier=f"{mrn['system']}|{mrn['value']}")) == [
        family["Anna"]]
    assert ids(bundle(client, staff, identifier=f"urn:other|{mrn['value']}")) == []


def test_last_updated(client, staff, family):
    assert set(ids(bundle(client, staff, family=family["_family"], _lastUpdated="ge2000"))) \
        == {family[g] for g in ("Anna", "Bert", "Carla", "Dmitri", "Émile")}
    assert ids(bundle(client, staff, family=family["_family"], _lastUpdated="lt2000")) == []


def test_paging_walks_every_match_once_by_keyset(client, staff, admin):
    family = make_family(client, admin)
    first = bundle(client, staff, family=family["_family"], _count=2, _sort="birthdate")
    assert first["total"] == 5 and len(ids(first)) == 2
    seen = ids(first)
    page = first
    # A patient added while paging (born first of all) does not shift the pages.
    r = client.post(f"{STANDARD}/patient", headers=admin, json={
        "fname": "Zoe", "lname": family["_family"], "sex": "Female", "DOB": "1900-01-01"})
    assert r.status_code == 201
    while next_link := {l["relation"]: l["url"] for l in page["link"]}.get("next"):
        page = client.get(urlsplit(next_link).path + "?" + urlsplit(next_link).query,
                          headers=staff).json()
        assert page["total"] == 5  # counted once, on the first page
        seen += ids(page)
    assert seen == [family[g] for g in ("Anna", "Bert", "Carla", "Dmitri", "Émile")]
    back = {l["relation"]: l["url"] for l in page["link"]}["previous"]
    previous = client.get(back, headers=staff).json()
    assert ids(previous) == [family["Carla"], family["Dmitri"]]


def test_sort_descending_and_a_bad_sort(client, staff, family):
    found = bundle(client, staff, family=family["_family"], _sort="-birthdate", _count=3)
    assert ids(found) == [family["Émile"], family["Dmitri"], family["Carla"]]
    body = outcome(client.get(f"{FHIR}/Patient", params={"_sort": "shoe_size"},
                              headers=staff), 400)
    assert "shoe_size" in str(body)


def test_count_is_clamped_not_refused(client, staff):
    found = bundle(client, staff, _count=100000)
    assert "_count=200" in found["link"][0]["url"]


def test_summary_count_and_elements(client, staff, family):
    counted = bundle(client, staff, family=family["_family"], _summary="count")
    assert counted["total"] == 5 and "entry" not in counted
    slim = bundle(client, staff, family=family["_family"], _elements="name,gender")
    resource = slim["entry"][0]["resource"]
    assert set(resource) == {"resourceType", "id", "meta", "name", "gender"}
    assert resource["meta"]["tag"][0]["code"] == "SUBSETTED"


def test_unknown_parameters_lenient_by_default_strict_when_asked(client, staff, family):
    found = bundle(client, staff, family=family["_family"], shoe_size="9")
    assert len(ids(found)) == 5
    assert "shoe_size" not in found["link"][0]["url"]
    warning = [e for e in found["entry"] if e["search"]["mode"] == "outcome"]
    assert warning[0]["resource"]["issue"][0]["expression"] == ["shoe_size"]
    r = client.get(f"{FHIR}/Patient", params={"shoe_size": "9"},
                   headers={**staff, "Prefer": "handling=strict"})
    assert "shoe_size" in str(outcome(r, 400))


@pytest.mark.parametrize("params", [
    {"birthdate": "yesterday"}, {"birthdate": "xx2020"}, {"birthdate": "2020-02-30"},
    {"_page": "not-a-cursor"}, {"_count": "many"}, {"given:missing": "perhaps"},
    {"birthdate:exact": "2020"}, {"family": "a\x00b"}, {"x\x00y": "1"},
])
def test_bad_search_values_are_400_operation_outcomes(client, staff, params):
    outcome(client.get(f"{FHIR}/Patient", params=params, headers=staff), 400)


def test_missing_modifier(client, staff, family):
    found = bundle(client, staff, family=family["_family"], **{"address-postalcode:missing": "true"})
    assert ids(found) == []


def test_post_search_takes_a_form(client, staff, family):
    r = client.post(f"{FHIR}/Patient/_search", data={"family": family["_family"], "gender": "female"},
                    headers=staff)
    assert r.status_code == 200, r.text
    assert set(ids(r.json())) == {family["Anna"], family["Carla"]}


@pytest.mark.parametrize("headers, params", [
    ({"Accept": "application/fhir+xml"}, {}),
    ({}, {"_format": "xml"}),
])
def test_xml_is_not_acceptable(client, staff, family, headers, params):
    r = client.get(f"{FHIR}/Patient/{family['Anna']}", params=params, headers={**staff, **headers})
    outcome(r, 406)


def test_json_accept_headers_are_served(client, staff, family):
    for accept in ("application/json", "application/fhir+json", "*/*",
                   "application/fhir+json;q=0.9, application/fhir+xml;q=1"):
        r = client.get(f"{FHIR}/Patient/{family['Anna']}", headers={**staff, "Accept": accept})
        assert r.status_code == 200, accept


def test_no_token_is_401_and_a_missing_scope_403_naming_it(client, app_client, family):
    outcome(client.get(f"{FHIR}/Patient/{family['Anna']}"), 401)
    token = password_token(client, app_client, scope="openid api:fhir user/Observation.rs")
    body = outcome(client.get(f"{FHIR}/Patient", headers=bearer(token)), 403)
    assert "user/Patient.s" in body["issue"][0]["diagnostics"]
    token = password_token(client, app_client, scope="openid api:oemr user/Patient.rs")
    outcome(client.get(f"{FHIR}/Patient", headers=bearer(token)), 403)  # no api:fhir


def test_front_office_reads_demographics(client, app_client, family):
    token = password_token(client, app_client, username="receptionist",
                           password="receptionist", scope="openid api:fhir user/Patient.rs")
    r = client.get(f"{FHIR}/Patient/{family['Anna']}", headers=bearer(token))
    assert r.status_code == 200, r.text


def test_a_patient_sees_only_their_own_record(client, family):
    app = register_client(client, scope="openid api:fhir api:port patient/Patient.rs")
    token = password_token(client, app, role="patient", username="phil", password="phil",
                           email="phil@example.com", scope="openid api:fhir patient/Patient.rs")
    mine = bundle(client, bearer(token))
    assert len(ids(mine)) == 1 and mine["total"] == 1
    own = ids(mine)[0]
    assert client.get(f"{FHIR}/Patient/{own}", headers=bearer(token)).status_code == 200
    outcome(client.get(f"{FHIR}/Patient/{family['Anna']}", headers=bearer(token)), 404)
    assert ids(bundle(client, bearer(token), _id=family["Anna"])) == []
    # a user/ scope on a patient's token is not the patient/ one it needs
    body = outcome(client.get(f"{FHIR}/Patient", headers=bearer(password_token(
        client, app, role="patient", username="phil", password="phil",
        email="phil@example.com", scope="openid api:fhir"))), 403)
    assert "patient/Patient.s" in body["issue"][0]["diagnostics"]
