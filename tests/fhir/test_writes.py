"""FHIR writes and versions (Patient): create, update with If-Match, delete, vread,
history, conditional create; a write through FHIR is what the Standard API reads, and a
Standard API write is a new FHIR version."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import bearer, password_token, register_client
from tests.contract.test_fhir_json_schema import assert_valid
from tests.fhir.helpers import outcome

FHIR = "/apis/default/fhir"
STANDARD = "/apis/default/api"
MRN = "https://localhost:9300/apis/default/fhir/sid/mrn"


def patient(family: str = "Writes", given: str = "Wanda", **more) -> dict:
    return {"resourceType": "Patient",
            "name": [{"use": "official", "family": family, "given": [given, "Q"]}],
            "gender": "female", "birthDate": "1980-04-05",
            "telecom": [{"system": "phone", "value": "555-0101", "use": "home"},
                        {"system": "email", "value": "wanda@example.com"}],
            "address": [{"use": "home", "line": ["1 Main St"], "city": "Springfield",
                         "state": "IL", "postalCode": "62701"}], **more}


def create(client, headers, body: dict, **extra) -> dict:
    r = client.post(f"{FHIR}/Patient", json=body, headers={**headers, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_created_patient_is_version_one_and_the_standard_api_reads_it(client, admin):
    r = client.post(f"{FHIR}/Patient", json=patient(id="ignored-id"),
                    headers={**admin, "Content-Type": "application/fhir+json"})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["id"] != "ignored-id" and made["meta"]["versionId"] == "1"
    assert r.headers["etag"] == 'W/"1"'
    assert r.headers["location"].endswith(f"/fhir/Patient/{made['id']}/_history/1")
    assert r.headers["content-type"].startswith("application/fhir+json")
    assert made["name"][0]["family"] == "Writes" and made["name"][0]["given"] == ["Wanda", "Q"]
    standard = client.get(f"{STANDARD}/patient/{made['id']}", headers=admin).json()["data"]
    assert (standard["fname"], standard["mname"], standard["lname"]) == ("Wanda", "Q", "Writes")
    assert (standard["sex"], standard["DOB"], standard["city"]) == ("Female", "1980-04-05",
                                                                    "Springfield")
    assert standard["phone_home"] == "555-0101" and standard["email"] == "wanda@example.com"
    read = client.get(f"{FHIR}/Patient/{made['id']}", headers=admin)
    assert read.headers["etag"] == 'W/"1"' and read.json() == made
    assert_valid(made)


def test_an_update_is_a_new_version_and_if_match_guards_it(client, admin):
    made = create(client, admin, patient("Versions"))
    url = f"{FHIR}/Patient/{made['id']}"
    changed = {**made, "name": [{"use": "official", "family": "Versioned", "given": ["Vera"]}]}
    r = client.put(url, json=changed, headers={**admin, "If-Match": 'W/"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["meta"]["versionId"] == "2" and r.headers["etag"] == 'W/"2"'
    # the same If-Match again is stale: 412, and nothing changes
    stale = {**changed, "name": [{"family": "Lost", "given": ["Update"]}]}
    body = outcome(client.put(url, json=stale, headers={**admin, "If-Match": 'W/"1"'}), 412)
    assert "version 2" in body["issue"][0]["diagnostics"]
    assert client.get(url, headers=admin).json()["name"][0]["family"] == "Versioned"
    # the Standard API sees the FHIR write, and its own write is the next FHIR version
    standard = f"{STANDARD}/patient/{made['id']}"
    assert client.get(standard, headers=admin).json()["data"]["lname"] == "Versioned"
    assert client.put(standard, json={"lname": "Standardized"}, headers=admin).status_code == 200
    now = client.get(url, headers=admin)
    assert now.json()["meta"]["versionId"] == "3" and now.json()["name"][0]["family"] == \
        "Standardized"
    # versions 1 and 2 were written through FHIR and are kept; 3 is the row itself
    v1 = client.get(f"{url}/_history/1", headers=admin)
    assert v1.status_code == 200 and v1.json()["name"][0]["family"] == "Versions"
    assert client.get(f"{url}/_history/2", headers=admin).json()["name"][0]["family"] == \
        "Versioned"
    assert client.get(f"{url}/_history/3", headers=admin).json()["name"][0]["family"] == \
        "Standardized"
    outcome(client.get(f"{url}/_history/9", headers=admin), 404)
    # an update without If-Match is taken; replacing version 3 leaves it unkept
    again = {**now.json(), "gender": "male"}
    assert client.put(url, json=again, headers=admin).json()["meta"]["versionId"] == "4"
    outcome(client.get(f"{url}/_history/3", headers=admin), 404)
    history = client.get(f"{url}/_history", headers=admin).json()
    assert history["type"] == "history"
    assert_valid(history)
    assert [e["response"]["etag"] for e in history["entry"]] == ['W/"4"', 'W/"2"', 'W/"1"']
    assert [e["request"]["method"] for e in history["entry"]] == ["PUT", "PUT", "POST"]
    assert history["entry"][0]["resource"]["gender"] == "male"


def test_an_identical_update_makes_no_version(client, admin):
    made = create(client, admin, patient("Sameness"))
    r = client.put(f"{FHIR}/Patient/{made['id']}", json=made, headers=admin)
    assert r.status_code == 200 and r.json()["meta"]["versionId"] == "1"


def test_a_put_must_name_the_resource_of_its_url(client, admin):
    made = create(client, admin, patient("Mismatch"))
    url = f"{FHIR}/Patient/{made['id']}"
    body = outcome(client.put(url, json={**made, "id": "someone-else"}, headers=admin), 400)
    assert "id" in body["issue"][0]["diagnostics"]
    outcome(client.put(url, json={k: v for k, v in made.items() if k != "id"},
                       headers=admin), 400)
    outcome(client.put(url, json={**made, "resourceType": "Practitioner"}, headers=admin), 400)
    outcome(client.put(f"{FHIR}/Patient/no-such-patient",
                       json={**made, "id": "no-such-patient"}, headers=admin), 404)
    assert client.get(url, headers=admin).json()["meta"]["versionId"] == "1"


@pytest.mark.parametrize("broken, element", [
    ({"gender": None}, "gender"),
    ({"gender": "other"}, "gender"),
    ({"gender": "unknown"}, "gender"),
    ({"name": [{"family": "X", "given": ["Short"]}]}, "name.family"),
    ({"birthDate": None}, "birthDate"),
    ({"birthDate": "05/04/1980"}, "birthDate"),
    ({"name": []}, "name"),
    ({"name": [{"family": "OnlyFamily"}]}, "name"),
    ({"extension": [{"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
                     "extension": [{"url": "ombCategory", "valueCoding": {
                         "system": "urn:oid:2.16.840.1.113883.6.238", "code": "9999-9"}},
                                   {"url": "text", "valueString": "Nonexistent"}]}]},
     "us-core-race"),
])
def test_a_patient_the_rules_refuse_is_a_400_naming_the_element(client, admin, broken, element):
    before = client.get(f"{FHIR}/Patient", params={"family": "Refused", "_summary": "count"},
                        headers=admin).json()["total"]
    body = {k: v for k, v in {**patient("Refused"), **broken}.items() if v is not None}
    found = outcome(client.post(f"{FHIR}/Patient", json=body, headers=admin), 400)
    assert any(element in (i.get("expression") or [""])[0] or element in i["diagnostics"]
               for i in found["issue"]), found
    after = client.get(f"{FHIR}/Patient", params={"family": "Refused", "_summary": "count"},
                       headers=admin).json()["total"]
    assert after == before


def test_race_ethnicity_language_and_marital_status_are_written_back(client, admin):
    race = {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
            "extension": [{"url": "ombCategory", "valueCoding": {
                "system": "urn:oid:2.16.840.1.113883.6.238", "code": "2028-9"}},
                {"url": "text", "valueString": "Asian"}]}
    made = create(client, admin, patient(
        "Coded", extension=[race],
        communication=[{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]}}],
        maritalStatus={"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "code": "M"}]}))
    read = client.get(f"{FHIR}/Patient/{made['id']}", headers=admin).json()
    races = [e for e in read["extension"] if e["url"].endswith("us-core-race")]
    assert races[0]["extension"][0]["valueCoding"]["code"] == "2028-9"
    assert read["communication"][0]["language"]["coding"][0]["code"] == "es"
    assert read["maritalStatus"]["coding"][0]["code"] == "M"
    # what a read answers, written back unchanged, changes nothing
    r = client.put(f"{FHIR}/Patient/{made['id']}", json=read, headers=admin)
    assert r.status_code == 200 and r.json() == read


def test_a_deleted_patient_is_gone(client, admin):
    made = create(client, admin, patient("Deleted"))
    url = f"{FHIR}/Patient/{made['id']}"
    outcome(client.delete(url, headers={**admin, "If-Match": 'W/"7"'}), 412)
    r = client.delete(url, headers=admin)
    assert r.status_code == 204 and not r.content
    outcome(client.get(url, headers=admin), 410)
    assert client.get(f"{STANDARD}/patient/{made['id']}", headers=admin).status_code == 404
    assert client.delete(url, headers=admin).status_code == 204  # deleting again: no change
    outcome(client.put(url, json=made, headers=admin), 410)
    # its kept version is still there for staff, and the history ends with the delete
    assert client.get(f"{url}/_history/1", headers=admin).json()["name"][0]["family"] == "Deleted"
    outcome(client.get(f"{url}/_history/2", headers=admin), 410)
    history = client.get(f"{url}/_history", headers=admin).json()
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "POST"]
    assert_valid(history)
    assert "resource" not in history["entry"][0]


def test_a_patient_with_records_is_not_deleted(client, admin):
    made = create(client, admin, patient("Recorded"))
    r = client.post(f"{STANDARD}/patient/{made['id']}/allergy", headers=admin,
                    json={"title": "Peanuts"})
    assert r.status_code == 201, r.text
    body = outcome(client.delete(f"{FHIR}/Patient/{made['id']}", headers=admin), 409)
    assert "lists" in body["issue"][0]["diagnostics"]
    assert client.get(f"{FHIR}/Patient/{made['id']}", headers=admin).status_code == 200


def test_conditional_create_finds_instead_of_duplicating(client, admin):
    body = patient("Conditional", identifier=[{"system": MRN, "value": "COND-1"}])
    condition = {"If-None-Exist": f"identifier={MRN}|COND-1"}
    first = client.post(f"{FHIR}/Patient", json=body, headers={**admin, **condition})
    assert first.status_code == 201, first.text
    second = client.post(f"{FHIR}/Patient", json=body, headers={**admin, **condition})
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    create(client, admin, {**body, "identifier": [{"system": MRN, "value": "COND-1"}]})
    outcome(client.post(f"{FHIR}/Patient", json=body, headers={**admin, **condition}), 412)
    outcome(client.post(f"{FHIR}/Patient", json=body,
                        headers={**admin, "If-None-Exist": "nonsense=1"}), 400)


def test_concurrent_conditional_creates_make_one_patient(client, admin):
    body = patient("Racing", identifier=[{"system": MRN, "value": "RACE-1"}])
    headers = {**admin, "If-None-Exist": "identifier=RACE-1"}
    statuses: list[int] = []

    def post():
        statuses.append(client.post(f"{FHIR}/Patient", json=body, headers=headers).status_code)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 5 + [201], statuses
    found = client.get(f"{FHIR}/Patient", params={"identifier": "RACE-1"}, headers=admin).json()
    assert found["total"] == 1


def test_a_standard_api_patient_is_at_version_one_until_it_changes(client, admin, new_patient):
    url = f"{FHIR}/Patient/{new_patient['uuid']}"
    assert client.get(url, headers=admin).json()["meta"]["versionId"] == "1"
    history = client.get(f"{url}/_history", headers=admin).json()
    assert [e["response"]["etag"] for e in history["entry"]] == ['W/"1"']


def test_the_type_history_pages_newest_first(client, admin):
    made = [create(client, admin, patient(f"Paged{i}"))["id"] for i in range(3)]
    first = client.get(f"{FHIR}/Patient/_history", params={"_count": 2}, headers=admin).json()
    assert [e["resource"]["id"] for e in first["entry"]] == made[::-1][:2]
    after = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = client.get(after.replace("https://localhost:9300", ""), headers=admin).json()
    assert second["entry"][0]["resource"]["id"] == made[0]


def test_writes_need_their_scopes(client, app_client, admin):
    reader = bearer(password_token(client, app_client,
                                   scope="openid api:fhir user/Patient.rs"))
    made = create(client, admin, patient("Scoped"))
    outcome(client.post(f"{FHIR}/Patient", json=patient("Scoped"), headers=reader), 403)
    outcome(client.put(f"{FHIR}/Patient/{made['id']}", json=made, headers=reader), 403)
    outcome(client.delete(f"{FHIR}/Patient/{made['id']}", headers=reader), 403)
    assert client.get(f"{FHIR}/Patient/{made['id']}/_history/1", headers=reader).status_code \
        == 200
    writer = bearer(password_token(client, app_client,
                                   scope="openid api:fhir user/Patient.c"))
    assert client.post(f"{FHIR}/Patient", json=patient("Scoped"), headers=writer).status_code \
        == 201


def test_a_patient_sees_only_their_own_versions(client, admin):
    app = register_client(client, scope="openid api:fhir api:port patient/Patient.rs")
    token = bearer(password_token(client, app, role="patient", username="phil",
                                  password="phil", email="phil@example.com",
                                  scope="openid api:fhir patient/Patient.rs"))
    own = client.get(f"{FHIR}/Patient", headers=token).json()["entry"][0]["resource"]["id"]
    other = create(client, admin, patient("Private"))
    assert client.get(f"{FHIR}/Patient/{own}/_history", headers=token).status_code == 200
    outcome(client.get(f"{FHIR}/Patient/{other['id']}/_history", headers=token), 404)
    outcome(client.get(f"{FHIR}/Patient/{other['id']}/_history/1", headers=token), 404)
    listed = client.get(f"{FHIR}/Patient/_history", headers=token).json()
    assert {e["resource"]["id"] for e in listed.get("entry", [])} <= {own}


# AllergyIntolerance: OpenEMR's allergy rows

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"


def allergy(puuid: str, **more) -> dict:
    return {"resourceType": "AllergyIntolerance", "patient": {"reference": f"Patient/{puuid}"},
            "code": {"coding": [{"system": RXNORM, "code": "7980", "display": "Penicillin G"}],
                     "text": "Penicillin G"},
            "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]},
            "onsetDateTime": "2010-06-01",
            "reaction": [{"manifestation": [{"text": "Hives"}], "severity": "mild"}],
            "note": [{"text": "Since childhood"}], **more}


def test_an_allergy_written_through_fhir_is_the_standard_apis(client, admin, new_patient):
    puuid = new_patient["uuid"]
    r = client.post(f"{FHIR}/AllergyIntolerance", json=allergy(puuid), headers=admin)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["code"]["coding"][0] == {"system": RXNORM, "code": "7980",
                                         "display": "Penicillin G"}
    assert made["reaction"] == [{"manifestation": [{"text": "Hives"}], "severity": "mild"}]
    assert made["onsetDateTime"] == "2010-06-01" and made["note"] == [{"text": "Since childhood"}]
    standard = client.get(f"{STANDARD}/patient/{puuid}/allergy/{made['id']}",
                          headers=admin).json()["data"]
    assert (standard["title"], standard["diagnosis"], standard["begdate"][:10]) == (
        "Penicillin G", "RXNORM:7980", "2010-06-01")
    url = f"{FHIR}/AllergyIntolerance/{made['id']}"
    inactive = {**made, "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL,
                                                       "code": "inactive"}]}}
    r = client.put(url, json=inactive, headers={**admin, "If-Match": 'W/"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["clinicalStatus"]["coding"][0]["code"] == "inactive"
    assert r.json()["meta"]["versionId"] == "2"  # one version, however many flushes
    resolved = {**made, "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL,
                                                       "code": "resolved"}]}}
    assert client.put(url, json=resolved, headers=admin).json()["clinicalStatus"][
        "coding"][0]["code"] == "resolved"
    # the Standard API's delete is a FHIR delete too
    assert client.delete(f"{STANDARD}/patient/{puuid}/allergy/{made['id']}",
                         headers=admin).status_code == 200
    outcome(client.get(url, headers=admin), 410)
    history = client.get(f"{url}/_history", headers=admin).json()
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "PUT", "PUT", "POST"]


def test_an_allergy_stays_with_its_patient_and_needs_a_title(client, admin, new_patient):
    made = client.post(f"{FHIR}/AllergyIntolerance", json=allergy(new_patient["uuid"]),
                       headers=admin).json()
    other = create(client, admin, patient("Elsewhere"))
    moved = {**made, "patient": {"reference": f"Patient/{other['id']}"}}
    outcome(client.put(f"{FHIR}/AllergyIntolerance/{made['id']}", json=moved, headers=admin),
            400)
    untitled = allergy(new_patient["uuid"], code={"coding": [{"system": RXNORM,
                                                              "code": "1191"}]})
    body = outcome(client.post(f"{FHIR}/AllergyIntolerance", json=untitled, headers=admin), 400)
    assert "code" in body["issue"][1]["expression"][0]
    outcome(client.post(f"{FHIR}/AllergyIntolerance", json=allergy("no-such-patient"),
                        headers=admin), 404)
    wrong = allergy(new_patient["uuid"], patient={"reference": f"Practitioner/{other['id']}"})
    outcome(client.post(f"{FHIR}/AllergyIntolerance", json=wrong, headers=admin), 400)


def test_a_patient_writes_allergies_to_their_own_record_only(client, admin):
    scope = "openid api:fhir patient/Patient.rs patient/AllergyIntolerance.cruds"
    app = register_client(client, scope=f"{scope} api:port")
    token = bearer(password_token(client, app, role="patient", username="phil",
                                  password="phil", email="phil@example.com", scope=scope))
    own = client.get(f"{FHIR}/Patient", headers=token).json()["entry"][0]["resource"]["id"]
    r = client.post(f"{FHIR}/AllergyIntolerance", json=allergy(own), headers=token)
    assert r.status_code == 201, r.text
    other = create(client, admin, patient("Not Phil"))
    outcome(client.post(f"{FHIR}/AllergyIntolerance", json=allergy(other["id"]), headers=token),
            404)
    theirs = client.post(f"{FHIR}/AllergyIntolerance", json=allergy(other["id"]),
                         headers=admin).json()
    outcome(client.put(f"{FHIR}/AllergyIntolerance/{theirs['id']}", json=theirs,
                       headers=token), 404)
    outcome(client.delete(f"{FHIR}/AllergyIntolerance/{theirs['id']}", headers=token), 404)
    assert client.delete(f"{FHIR}/AllergyIntolerance/{r.json()['id']}",
                         headers=token).status_code == 204


# Practitioner

NPI = "http://hl7.org/fhir/sid/us-npi"


def practitioner(npi: str = "1881692234", **more) -> dict:
    return {"resourceType": "Practitioner", "identifier": [{"system": NPI, "value": npi}],
            "name": [{"use": "official", "family": "Quill", "given": ["Penn"],
                      "prefix": ["Dr."]}],
            "telecom": [{"system": "phone", "value": "555-0150", "use": "work"},
                        {"system": "email", "value": "quill@example.com"}],
            "address": [{"use": "work", "line": ["9 Clinic Rd", "Suite 2"], "city": "Salem",
                         "state": "OR", "postalCode": "97301"}], **more}


def test_a_practitioner_is_created_updated_and_deleted(client, admin):
    r = client.post(f"{FHIR}/Practitioner", json=practitioner(), headers=admin)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["identifier"] == [{"system": NPI, "value": "1881692234"}]
    assert made["address"][0]["line"] == ["9 Clinic Rd", "Suite 2"]
    standard = client.get(f"{STANDARD}/practitioner/{made['id']}", headers=admin).json()["data"]
    assert (standard["fname"], standard["lname"], standard["npi"], standard["title"]) == (
        "Penn", "Quill", "1881692234", "Dr.")
    url = f"{FHIR}/Practitioner/{made['id']}"
    r = client.put(url, json={**made, "active": False}, headers={**admin, "If-Match": 'W/"1"'})
    assert r.status_code == 200 and r.json()["active"] is False
    outcome(client.put(url, json={**made, "identifier": []}, headers=admin), 400)
    assert client.delete(url, headers=admin).status_code == 204
    outcome(client.get(url, headers=admin), 410)


def test_a_practitioner_with_encounters_is_not_deleted(client, admin, new_patient):
    made = client.post(f"{FHIR}/Practitioner", json=practitioner("1780634983"),
                       headers=admin).json()
    number = client.get(f"{STANDARD}/practitioner/{made['id']}", headers=admin).json()["data"]["id"]
    r = client.post(f"{STANDARD}/patient/{new_patient['uuid']}/encounter", headers=admin, json={
        "date": "2024-01-10 09:30:00", "class_code": "AMB", "pc_catid": 5,
        "reason": "checkup", "provider_id": number})
    assert r.status_code == 201, r.text
    body = outcome(client.delete(f"{FHIR}/Practitioner/{made['id']}", headers=admin), 409)
    assert "form_encounter" in body["issue"][0]["diagnostics"]
    assert client.get(f"{FHIR}/Practitioner/{made['id']}", headers=admin).status_code == 200


def test_a_patient_cannot_write_practitioners(client):
    scope = "openid api:fhir patient/Practitioner.cruds"
    app = register_client(client, scope=f"{scope} api:port")
    token = bearer(password_token(client, app, role="patient", username="phil",
                                  password="phil", email="phil@example.com", scope=scope))
    outcome(client.post(f"{FHIR}/Practitioner", json=practitioner("1932102084"),
                        headers=token), 403)


# Encounter

ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def test_an_encounter_is_created_and_updated_through_fhir(client, admin, new_patient):
    doctor = client.post(f"{FHIR}/Practitioner", json=practitioner("1588667638"),
                         headers=admin).json()
    facility = client.post(f"{STANDARD}/facility", headers=admin, json={
        "name": "Writes Clinic", "city": "Salem", "state": "OR",
        "facility_npi": "1700000022"}).json()["data"]
    body = {"resourceType": "Encounter", "status": "finished",
            "class": {"system": ACT, "code": "AMB"}, "type": [{"text": "Office Visit"}],
            "subject": {"reference": f"Patient/{new_patient['uuid']}"},
            "period": {"start": "2024-03-05T09:30:00-05:00"},
            "participant": [{"individual": {"reference": f"Practitioner/{doctor['id']}"}}],
            "location": [{"location": {"reference": f"Location/{facility['uuid']}"}}],
            "reasonCode": [{"text": "Follow-up"}]}
    r = client.post(f"{FHIR}/Encounter", json=body, headers=admin)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["period"]["start"] == "2024-03-05T14:30:00Z"  # kept in UTC
    assert made["participant"][0]["individual"]["reference"] == f"Practitioner/{doctor['id']}"
    assert made["serviceProvider"] == {"reference": f"Organization/{facility['uuid']}"}
    standard = client.get(f"{STANDARD}/patient/{new_patient['uuid']}/encounter/{made['id']}",
                          headers=admin).json()["data"]
    assert standard["reason"] == "Follow-up" and standard["class_code"] == "AMB"
    assert standard["encounter"] > 0  # numbered as the Standard API numbers visits
    url = f"{FHIR}/Encounter/{made['id']}"
    emergency = {**made, "class": {"system": ACT, "code": "EMER"}}
    r = client.put(url, json=emergency, headers={**admin, "If-Match": 'W/"1"'})
    assert r.status_code == 200 and r.json()["class"]["code"] == "EMER"
    assert r.json()["meta"]["versionId"] == "2"
    # refused: an unknown class, category or practitioner; moving to another patient
    outcome(client.put(url, json={**made, "class": {"code": "XYZ"}}, headers=admin), 400)
    outcome(client.put(url, json={**made, "type": [{"text": "No Such Category"}]},
                       headers=admin), 400)
    outcome(client.put(url, json={**made, "participant": [
        {"individual": {"reference": "Practitioner/nobody"}}]}, headers=admin), 400)
    other = create(client, admin, patient("Visitor"))
    outcome(client.put(url, json={**made, "subject": {"reference": f"Patient/{other['id']}"}},
                       headers=admin), 400)
    assert client.get(url, headers=admin).json()["meta"]["versionId"] == "2"
    # encounters are not deleted
    assert client.delete(url, headers=admin).status_code == 405
