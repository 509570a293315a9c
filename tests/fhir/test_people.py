"""FHIR Person, PractitionerRole, Group and RelatedPerson: the practice's users, the roles
of its practitioners, their patient panels, and patients' guardians."""

from __future__ import annotations

import pytest
from datetime import timedelta

from sqlalchemy import func, select, update

from emr_api.db.models import Facility, Patient, Practitioner, User

from tests.conftest import bearer, password_token, register_client
from tests.fhir.helpers import ids, search

FHIR = "/apis/default/fhir"
STANDARD = "/apis/default/api"
NUCC = "http://nucc.org/provider-taxonomy"


def included(body: dict) -> list[tuple[str, str]]:
    return sorted((e["resource"]["resourceType"], e["resource"]["id"])
                  for e in body.get("entry", []) if e["search"]["mode"] == "include")


def made(r) -> str:
    assert r.status_code == 201, r.text
    return r.json()["data"]["uuid"]


@pytest.fixture(scope="module")
def people(client, admin, app) -> dict:
    """Two users (one of them a practitioner with contact details), a second practitioner
    without an account, a facility both work at."""
    facility = made(client.post(f"{STANDARD}/facility", headers=admin, json={
        "name": "Peopleton Family Clinic", "phone": "802-555-0140", "city": "Peopleton",
        "state": "VT", "postal_code": "05499", "street": "1 Commons Rd",
        "facility_npi": "1558369016"}))
    with app.registry.get("default").db.write() as s:
        s.add_all([User(username="quill", password_hash="x", acl_group="doc", fname="Quinn",
                        lname="Pplquill", email="Quinn.Quill@Example.org"),
                   User(username="former", password_hash="x", acl_group="front",
                        fname="Frances", lname="Pplformer", email="former@example.org",
                        active=False)])
    with app.registry.get("default").db.read() as s:

        facility_id = s.execute(select(Facility.id).where(Facility.uuid == facility)).scalar()
        users = dict(s.execute(select(User.username, User.uuid).where(
            User.username.in_(["quill", "former"]))).all())
    quill = made(client.post(f"{STANDARD}/practitioner", headers=admin, json={
        "fname": "Quinn", "lname": "Pplquill", "npi": "1366520404", "title": "Dr.",
        "username": "quill", "email": "quill@clinic.example", "phone": "802-555-0141",
        "phonecell": "802-555-0142", "fax": "802-555-0143", "street": "1 Commons Rd",
        "city": "Peopleton", "state": "VT", "zip": "05499", "facility_id": facility_id,
        "facility": "Peopleton Family Clinic", "specialty": "Pediatrics",
        "physician_code": "SNOMED-CT:405279007", "physician_title": "Attending physician"}))
    other = made(client.post(f"{STANDARD}/practitioner", headers=admin, json={
        "fname": "Otto", "lname": "Pplother", "npi": "1952308765", "title": "Dr.",
        "facility_id": facility_id, "facility": "Peopleton Family Clinic",
        "specialty": "Cardiology", "phone": "802-555-0150"}))
    return {"facility": facility, "quill": quill, "other": other,
            "quill_user": users["quill"], "former_user": users["former"]}


@pytest.fixture(scope="module")
def staff(client, app_client) -> dict:
    return bearer(password_token(client, app_client, scope=(
        "openid api:fhir user/Person.rs user/PractitionerRole.rs user/Group.rs "
        "user/RelatedPerson.rs user/Practitioner.rs user/Patient.rs user/Organization.rs "
        "user/Location.rs")))


# Person ---------------------------------------------------------------------------------

def test_a_user_is_a_person_linked_to_its_practitioner(client, staff, people):
    r = client.get(f"{FHIR}/Person/{people['quill_user']}", headers=staff)
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["resourceType"] == "Person" and p["active"] is True
    assert p["name"] == [{"use": "official", "family": "Pplquill", "given": ["Quinn"],
                          "prefix": ["Dr."]}]
    assert p["link"] == [{"target": {"reference": f"Practitioner/{people['quill']}"}}]
    assert {"system": "phone", "value": "802-555-0141", "use": "work"} in p["telecom"]
    assert {"system": "phone", "value": "802-555-0142", "use": "mobile"} in p["telecom"]
    assert {"system": "fax", "value": "802-555-0143", "use": "work"} in p["telecom"]
    assert {"system": "email", "value": "Quinn.Quill@Example.org", "use": "work"} in p["telecom"]
    assert {"system": "email", "value": "quill@clinic.example", "use": "work"} in p["telecom"]
    assert p["address"] == [{"use": "work", "line": ["1 Commons Rd"], "city": "Peopleton",
                             "state": "VT", "postalCode": "05499"}]
    assert "lastUpdated" not in p["meta"] and "gender" not in p


def test_a_user_who_is_no_practitioner_has_no_link(client, staff, people):
    p = client.get(f"{FHIR}/Person/{people['former_user']}", headers=staff).json()
    assert p["active"] is False and "link" not in p and "address" not in p
    assert p["telecom"] == [{"system": "email", "value": "former@example.org", "use": "work"}]


@pytest.mark.parametrize("params, expected", [
    ({"name": "pplq"}, {"quill_user"}),
    ({"name": "ppl"}, {"quill_user", "former_user"}),
    ({"family": "Pplformer"}, {"former_user"}),
    ({"given": "quin", "family": "ppl"}, {"quill_user"}),
    ({"name:exact": "Pplquill"}, {"quill_user"}),
    ({"name:contains": "lform"}, {"former_user"}),
    ({"email": "quinn.quill@example.org"}, {"quill_user"}),
    ({"email": "QUILL@clinic.example"}, {"quill_user"}),
    ({"phone": "802-555-0142"}, {"quill_user"}),
    ({"telecom": "802-555-0143"}, {"quill_user"}),
    ({"telecom": "fax|802-555-0143"}, {"quill_user"}),
    ({"telecom": "phone|802-555-0143"}, set()),
    ({"telecom": "email|former@example.org"}, {"former_user"}),
    ({"address": "peopleto", "family": "ppl"}, {"quill_user"}),
    ({"address-city": "peoplet"}, {"quill_user"}),
    ({"address-state": "VT", "family": "ppl"}, {"quill_user"}),
    ({"address-postalcode": "05499"}, {"quill_user"}),
    ({"active": "false", "family": "ppl"}, {"former_user"}),
    ({"active": "true", "family": "ppl"}, {"quill_user"}),
])
def test_person_searches(client, staff, people, params, expected):
    assert ids(search(client, staff, "Person", **params)) == {people[k] for k in expected}


def test_person_by_id_and_paging_to_the_end(client, staff, people):
    assert ids(search(client, staff, "Person", _id=people["quill_user"])) == {
        people["quill_user"]}
    seen, url = [], f"{FHIR}/Person?_count=2&_sort=family"
    while url:
        page = client.get(url, headers=staff).json()
        seen += [e["resource"]["id"] for e in page.get("entry", [])]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
    assert len(seen) == len(set(seen)) == page["total"] >= 5  # three demo users and ours
    assert {people["quill_user"], people["former_user"]} <= set(seen)


def test_a_token_without_the_person_scope_or_the_acl_is_refused(client, app_client, people):
    token = bearer(password_token(client, app_client, scope="openid api:fhir user/Practitioner.rs"))
    assert client.get(f"{FHIR}/Person", headers=token).status_code == 403
    r = client.get(f"{FHIR}/Person/{people['quill_user']}", headers=token)
    assert r.status_code == 403 and r.json()["resourceType"] == "OperationOutcome"
    front = bearer(password_token(client, app_client, username="receptionist",
                                  password="receptionist", scope="openid api:fhir user/Person.rs"))
    assert client.get(f"{FHIR}/Person", headers=front).status_code == 403


# PractitionerRole -----------------------------------------------------------------------

def test_a_practitioner_at_a_facility_has_a_us_core_role(client, staff, people):
    r = client.get(f"{FHIR}/PractitionerRole/{people['quill']}", headers=staff)
    assert r.status_code == 200, r.text
    role = r.json()
    assert role["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitionerrole"]
    assert role["active"] is True
    assert role["practitioner"] == {"reference": f"Practitioner/{people['quill']}",
                                    "display": "Dr. Quinn Pplquill"}
    assert role["organization"] == {"reference": f"Organization/{people['facility']}",
                                    "display": "Peopleton Family Clinic"}
    assert role["location"] == [{"reference": f"Location/{people['facility']}",
                                 "display": "Peopleton Family Clinic"}]
    assert role["code"] == [{"coding": [{"system": "http://snomed.info/sct",
                                         "code": "405279007", "display": "Attending physician"}],
                             "text": "Attending physician"}]
    assert role["specialty"] == [{"coding": [{"system": NUCC, "code": "208000000X"}],
                                  "text": "Pediatrics"}]
    assert {"system": "phone", "value": "802-555-0141", "use": "work"} in role["telecom"]
    other = client.get(f"{FHIR}/PractitionerRole/{people['other']}", headers=staff).json()
    assert other["code"][0]["coding"][0]["code"] == "223366009"
    assert other["specialty"][0]["coding"][0]["code"] == "207RC0000X"


def test_a_practitioner_without_a_facility_has_no_role(client, staff, admin):
    lone = made(client.post(f"{STANDARD}/practitioner", headers=admin, json={
        "fname": "Lone", "lname": "Pplnofacility", "npi": "1740283790"}))
    assert client.get(f"{FHIR}/PractitionerRole/{lone}", headers=staff).status_code == 404
    assert ids(search(client, staff, "PractitionerRole", practitioner=lone)) == set()


@pytest.mark.parametrize("params, expected", [
    ({"practitioner": "{quill}"}, {"quill"}),
    ({"practitioner": "Practitioner/{other}"}, {"other"}),
    ({"practitioner:Practitioner": "{quill},{other}"}, {"quill", "other"}),
    ({"organization": "{facility}"}, {"quill", "other"}),
    ({"location": "Location/{facility}"}, {"quill", "other"}),
    ({"location": "Organization/{facility}"}, set()),
    ({"organization": "{facility}", "specialty": f"{NUCC}|208000000X"}, {"quill"}),
    ({"organization": "{facility}", "specialty": "207RC0000X"}, {"other"}),
    ({"organization": "{facility}", "specialty": "http://snomed.info/sct|207RC0000X"}, set()),
    ({"organization": "{facility}", "role": "http://snomed.info/sct|405279007"}, {"quill"}),
    ({"organization": "{facility}", "role": "223366009"}, {"other"}),
    ({"_id": "{other}"}, {"other"}),
])
def test_practitioner_role_searches(client, staff, people, params, expected):
    params = {k: v.format(**people) for k, v in params.items()}
    assert ids(search(client, staff, "PractitionerRole", **params)) == {
        people[k] for k in expected}


def test_a_role_includes_its_practitioner_organization_and_location(client, staff, people):
    found = search(client, staff, "PractitionerRole", practitioner=people["quill"],
                   _include="PractitionerRole:practitioner,PractitionerRole:organization,"
                            "PractitionerRole:location")
    assert included(found) == sorted([("Practitioner", people["quill"]),
                                      ("Organization", people["facility"]),
                                      ("Location", people["facility"])])
    back = search(client, staff, "Practitioner", _id=people["quill"],
                  _revinclude="PractitionerRole:practitioner")
    assert included(back) == [("PractitionerRole", people["quill"])]
    back = search(client, staff, "Organization", _id=people["facility"],
                  _revinclude="PractitionerRole:organization")
    assert included(back) == sorted([("PractitionerRole", people["quill"]),
                                     ("PractitionerRole", people["other"])])


def test_practitioner_roles_page_to_the_end(client, staff, people):
    seen, url = [], f"{FHIR}/PractitionerRole?_count=1&organization={people['facility']}"
    while url:
        page = client.get(url, headers=staff).json()
        seen += [e["resource"]["id"] for e in page.get("entry", [])]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
    assert sorted(seen) == sorted([people["quill"], people["other"]]) and page["total"] == 2


def test_practitioner_role_needs_its_scope(client, app_client, people):
    token = bearer(password_token(client, app_client, scope="openid api:fhir user/Practitioner.rs"))
    assert client.get(f"{FHIR}/PractitionerRole", headers=token).status_code == 403
    assert client.get(f"{FHIR}/PractitionerRole/{people['quill']}",
                      headers=token).status_code == 403


# Group and RelatedPerson ----------------------------------------------------------------

@pytest.fixture(scope="module")
def panel(client, admin, app, people) -> dict:
    """Quill's panel: two new patients and the demo portal patient (Phil). The child has
    her mother as guardian, the adult a legal guardian, Phil his wife; Otto has no
    patients."""
    def patient(fname, lname, dob, sex) -> str:
        return made(client.post(f"{STANDARD}/patient", headers=admin, json={
            "fname": fname, "lname": lname, "sex": sex, "DOB": dob}))

    rows = {"child": patient("Gina", "Pplkid", "2019-04-01", "Female"),
            "adult": patient("Hal", "Pplpanel", "1950-02-02", "Male")}
    guardians = {
        "child": dict(guardiansname="Maria Pplkid", guardianrelationship="MTH",
                      guardiansex="Female", guardianaddress="12 Elm St", guardiancity="Peopleton",
                      guardianstate="VT", guardianpostalcode="05499", guardiancountry="US",
                      guardianphone="802-555-0160", guardianworkphone="802-555-0161",
                      guardianemail="maria@pplkid.example"),
        "adult": dict(guardiansname="Lee Pplwarden", guardianrelationship="Court appointed",
                      guardiansex="Male"),
        "phil": dict(guardiansname="Pam Belford", guardianrelationship="wife",
                     guardiansex="Female"),
    }
    with app.registry.get("default").db.write() as s:
        quill = s.execute(select(Practitioner.id).where(Practitioner.uuid == people["quill"])
                          ).scalar_one()
        rows["phil"] = s.execute(select(Patient.uuid).where(Patient.portal_username == "phil")
                                 ).scalar_one()
        for key, values in guardians.items():
            s.execute(update(Patient).where(Patient.uuid == rows[key])
                      .values(providerID=quill, **values))
        rows["before"] = s.execute(select(func.min(Patient.last_updated)).where(
            Patient.uuid.in_([rows["child"], rows["adult"]]))).scalar_one()
    return rows


def test_a_practitioners_panel_is_a_group(client, staff, people, panel):
    r = client.get(f"{FHIR}/Group/{people['quill']}", headers=staff)
    assert r.status_code == 200, r.text
    g = r.json()
    assert g["type"] == "person" and g["actual"] is True and g["active"] is True
    assert g["name"] == "Dr. Quinn Pplquill"
    assert g["managingEntity"] == {"reference": f"Practitioner/{people['quill']}",
                                   "display": "Dr. Quinn Pplquill"}
    members = [m["entity"]["reference"] for m in g["member"]]
    assert sorted(members) == sorted(f"Patient/{panel[k]}" for k in ("child", "adult", "phil"))
    assert g["quantity"] == 3
    # Otto has a role but no patients: no panel.
    assert client.get(f"{FHIR}/Group/{people['other']}", headers=staff).status_code == 404


@pytest.mark.parametrize("params, expected", [
    ({"managing-entity": "{quill}"}, {"quill"}),
    ({"managing-entity": "Practitioner/{other}"}, set()),
    ({"member": "{child}"}, {"quill"}),
    ({"member": "Patient/{adult}", "name": "pplqu"}, {"quill"}),
    ({"member": "Group/{adult}"}, set()),
    ({"name": "Quinn", "_id": "{quill}"}, {"quill"}),
    ({"name": "Pplother"}, set()),
])
def test_group_searches(client, staff, people, panel, params, expected):
    params = {k: v.format(**people, **panel) for k, v in params.items()}
    assert ids(search(client, staff, "Group", **params)) == {people[k] for k in expected}


def test_a_group_includes_its_practitioner_and_members(client, staff, people, panel):
    found = search(client, staff, "Group", _id=people["quill"],
                   _include="Group:managing-entity,Group:member")
    assert included(found) == sorted([("Practitioner", people["quill"])] + [
        ("Patient", panel[k]) for k in ("child", "adult", "phil")])
    back = search(client, staff, "Patient", _id=panel["child"], _revinclude="Group:member")
    assert included(back) == [("Group", people["quill"])]
    back = search(client, staff, "Practitioner", _id=people["quill"],
                  _revinclude="Group:managing-entity")
    assert included(back) == [("Group", people["quill"])]


def test_groups_page_to_the_end(client, staff, people, panel):
    seen, url, total = [], f"{FHIR}/Group?_count=1&_sort=name", None
    while url:
        page = client.get(url, headers=staff).json()
        total = page["total"] if total is None else total
        seen += [e["resource"]["id"] for e in page.get("entry", [])]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
    assert len(seen) == len(set(seen)) == total and people["quill"] in seen


def test_a_guardian_is_a_related_person(client, staff, panel):
    r = client.get(f"{FHIR}/RelatedPerson/{panel['child']}", headers=staff)
    assert r.status_code == 200, r.text
    rp = r.json()
    assert rp["patient"] == {"reference": f"Patient/{panel['child']}"} and rp["active"] is True
    assert rp["relationship"] == [{"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "MTH",
        "display": "mother"}], "text": "MTH"}]
    assert rp["name"] == [{"text": "Maria Pplkid"}] and rp["gender"] == "female"
    assert rp["telecom"] == [
        {"system": "phone", "value": "802-555-0160", "use": "home"},
        {"system": "phone", "value": "802-555-0161", "use": "work"},
        {"system": "email", "value": "maria@pplkid.example"}]
    assert rp["address"] == [{"line": ["12 Elm St"], "city": "Peopleton", "state": "VT",
                              "postalCode": "05499", "country": "US"}]
    assert rp["meta"]["lastUpdated"].endswith("Z")
    other = client.get(f"{FHIR}/RelatedPerson/{panel['adult']}", headers=staff).json()
    assert other["relationship"] == [{"text": "Court appointed"}] and other["gender"] == "male"
    assert "telecom" not in other and "address" not in other
    wife = client.get(f"{FHIR}/RelatedPerson/{panel['phil']}", headers=staff).json()
    assert wife["relationship"][0]["coding"][0]["code"] == "WIFE"


def test_a_patient_without_a_guardian_has_no_related_person(client, staff, admin):
    r = client.post(f"{STANDARD}/patient", headers=admin, json={
        "fname": "Noguard", "lname": "Pplalone", "sex": "Male", "DOB": "1980-01-01"})
    alone = made(r)
    assert client.get(f"{FHIR}/RelatedPerson/{alone}", headers=staff).status_code == 404
    assert ids(search(client, staff, "RelatedPerson", patient=alone)) == set()


@pytest.mark.parametrize("params, expected", [
    ({"patient": "{child}"}, {"child"}),
    ({"patient": "Patient/{adult},{phil}"}, {"adult", "phil"}),
    ({"name": "maria ppl"}, {"child"}),
    ({"name:contains": "warden"}, {"adult"}),
    ({"name": "Maria", "relationship": "MTH"}, {"child"}),
    ({"patient": "{phil}", "relationship": "http://terminology.hl7.org/CodeSystem/v3-RoleCode|WIFE"},
     {"phil"}),
    ({"patient": "{child}", "relationship": "http://snomed.info/sct|MTH"}, set()),
    ({"patient": "{child},{adult}",
      "relationship": "http://terminology.hl7.org/CodeSystem/v3-RoleCode|"},
     {"child"}),
    ({"_id": "{adult}"}, {"adult"}),
    ({"patient": "{child},{adult}", "_lastUpdated": "ge{since}"}, {"child", "adult"}),
    ({"patient": "{child},{adult}", "_lastUpdated": "lt2001-01-01"}, set()),
    ({"patient": "{child},{adult}", "_lastUpdated": "gt2001-01-01T00:00:00Z"}, {"child", "adult"}),
])
def test_related_person_searches(client, staff, panel, params, expected):
    since = (panel["before"] - timedelta(days=1)).date().isoformat()
    params = {k: v.format(**panel, since=since) for k, v in params.items()}
    assert ids(search(client, staff, "RelatedPerson", **params)) == {
        panel[k] for k in expected}


def test_related_persons_include_and_revinclude_their_patient(client, staff, panel):
    found = search(client, staff, "RelatedPerson", patient=panel["child"],
                   _include="RelatedPerson:patient")
    assert included(found) == [("Patient", panel["child"])]
    back = search(client, staff, "Patient", _id=panel["adult"],
                  _revinclude="RelatedPerson:patient")
    assert included(back) == [("RelatedPerson", panel["adult"])]


def test_related_persons_page_to_the_end(client, staff, panel):
    seen, url = [], (f"{FHIR}/RelatedPerson?_count=1&_sort=-_lastUpdated"
                 f"&patient={panel['child']},{panel['adult']}")
    while url:
        page = client.get(url, headers=staff).json()
        seen += [e["resource"]["id"] for e in page.get("entry", [])]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
    assert sorted(seen) == sorted([panel["child"], panel["adult"]]) and page["total"] == 2


@pytest.fixture(scope="module")
def phil(client) -> dict:
    scope = ("openid api:fhir patient/RelatedPerson.rs patient/Group.rs patient/Patient.rs "
             "patient/Person.rs")
    app = register_client(client, scope=scope)
    return bearer(password_token(client, app, role="patient", username="phil", password="phil",
                                 email="phil@example.com", scope=scope))


def test_a_patient_sees_only_their_own_guardian(client, phil, panel):
    found = search(client, phil, "RelatedPerson")
    assert ids(found) == {panel["phil"]}
    assert ids(search(client, phil, "RelatedPerson", patient=panel["child"])) == set()
    assert client.get(f"{FHIR}/RelatedPerson/{panel['child']}", headers=phil).status_code == 404
    r = client.get(f"{FHIR}/RelatedPerson/{panel['phil']}", headers=phil)
    assert r.status_code == 200 and r.json()["name"] == [{"text": "Pam Belford"}]
    back = search(client, phil, "Patient", _revinclude="RelatedPerson:patient")
    assert included(back) == [("RelatedPerson", panel["phil"])]


def test_a_patient_sees_no_panel_not_even_their_own(client, phil, people, panel):
    assert search(client, phil, "Group").get("entry") is None
    assert search(client, phil, "Group", member=panel["phil"]).get("entry") is None
    assert client.get(f"{FHIR}/Group/{people['quill']}", headers=phil).status_code == 404
    back = search(client, phil, "Patient", _revinclude="Group:member")
    assert included(back) == []


def test_group_and_related_person_need_their_scopes(client, app_client, people, panel):
    token = bearer(password_token(client, app_client, scope="openid api:fhir user/Patient.rs"))
    for path in ("Group", f"Group/{people['quill']}", "RelatedPerson",
                 f"RelatedPerson/{panel['child']}"):
        r = client.get(f"{FHIR}/{path}", headers=token)
        assert r.status_code == 403 and r.json()["resourceType"] == "OperationOutcome", path
    back = search(client, token, "Patient", _id=panel["child"],
                  _revinclude="RelatedPerson:patient,Group:member")
    assert included(back) == []
    assert any(e["search"]["mode"] == "outcome" for e in back["entry"])


def test_a_patient_finds_no_user_accounts(client, phil, people):
    assert search(client, phil, "Person").get("entry") is None
    assert client.get(f"{FHIR}/Person/{people['quill_user']}", headers=phil).status_code == 404


def test_a_user_without_names_still_pages_by_family(client, staff, app):
    with app.registry.get("default").db.write() as s:
        s.add(User(username="nameless-ppl", password_hash="x", acl_group="front",
                   email="nameless@ppl.example"))
    seen, url = [], f"{FHIR}/Person?_count=1&_sort=-family,given"
    while url:
        r = client.get(url, headers=staff)
        assert r.status_code == 200, r.text
        page = r.json()
        seen += [e["resource"] for e in page.get("entry", [])]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
    assert len(seen) == page["total"] and len({p["id"] for p in seen}) == len(seen)
    nameless = next(p for p in seen  # other tests' users may have no telecom at all
                    if [t["value"] for t in p.get("telecom", [])] == ["nameless@ppl.example"])
    assert "name" not in nameless and seen[-1] is nameless  # an empty family sorts last, descending
