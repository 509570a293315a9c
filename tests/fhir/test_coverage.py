"""FHIR Coverage over OpenEMR's insurance_data, with the insurance company as its payor
Organization (Organization now serves the practice's facilities and its payers); a patient
sees only their own policies."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from emr_api.db.models import InsuranceCompany, InsurancePolicy, InsuranceType, Patient
from tests.conftest import bearer, password_token, register_client
from tests.standard.read_only import write
from tests.fhir.helpers import ids, included

FHIR = "/apis/default/fhir"
RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"


def policy(pid: int, payer: InsuranceCompany, **fields) -> InsurancePolicy:
    values = dict(pid=pid, type="primary", provider=payer.id, policy_number="M-100",
                  subscriber_lname="Coverage", subscriber_fname="Cora",
                  subscriber_relationship="self", date=date(2023, 1, 1))
    values.update(fields)
    return InsurancePolicy(**values)


@pytest.fixture(scope="module")
def insured(app) -> dict:
    with app.registry.get("default").db.read() as s:
        kind = s.execute(select(InsuranceType).order_by(InsuranceType.id)).scalars().first()
    payer, other = write(
        app, InsuranceCompany(name="Fhir Mutual Health", cms_id="FMH01", ins_type_code=kind.id,
                              line1="1 Payer Way", city="Hartford", state="CT", zip="06103"),
        InsuranceCompany(name="Fhir Second Assurance"))
    patient = write(app, Patient(fname="Cora", lname="Fhircoverage", sex="Female",
                                 DOB=date(1981, 3, 3)))[0]
    primary, secondary = write(
        app, policy(patient.pid, payer, plan_name="Gold PPO", group_number="G-77",
                    date_end=date(2030, 12, 31)),
        policy(patient.pid, other, type="secondary", policy_number="S-9",
               subscriber_relationship="spouse", subscriber_fname="Carl"))
    return {"puuid": patient.uuid, "payer": payer.uuid, "other": other.uuid,
            "kind": kind.type, "primary": primary.uuid, "secondary": secondary.uuid}


@pytest.fixture(scope="module")
def staff(client, app_client) -> dict:
    return bearer(password_token(client, app_client, scope=(
        "openid api:fhir user/Coverage.rs user/Organization.rs user/Patient.rs")))


def search(client, headers, type_="Coverage", **params) -> dict:
    r = client.get(f"{FHIR}/{type_}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def read(client, headers, id_: str, type_="Coverage") -> dict:
    r = client.get(f"{FHIR}/{type_}/{id_}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_policy_is_a_us_core_coverage(client, staff, insured):
    c = read(client, staff, insured["primary"])
    assert c["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-coverage"]
    assert c["status"] == "active"
    assert c["beneficiary"] == {"reference": f"Patient/{insured['puuid']}"}
    assert c["subscriber"] == {"reference": f"Patient/{insured['puuid']}"}
    assert c["relationship"] == {"coding": [{"system": RELATIONSHIP, "code": "self",
                                             "display": "Self"}]}
    assert c["payor"] == [{"reference": f"Organization/{insured['payer']}",
                           "display": "Fhir Mutual Health"}]
    assert c["identifier"][0]["type"]["coding"][0]["code"] == "MB"
    assert c["identifier"][0]["value"] == "M-100" and c["subscriberId"] == "M-100"
    assert c["period"] == {"start": "2023-01-01", "end": "2030-12-31"}
    assert c["class"] == [
        {"type": {"coding": [{"system": CLASS, "code": "group", "display": "Group"}]},
         "value": "G-77"},
        {"type": {"coding": [{"system": CLASS, "code": "plan", "display": "Plan"}]},
         "value": "Gold PPO"}]
    assert c["type"] == {"text": insured["kind"]} and c["order"] == 1
    spouse = read(client, staff, insured["secondary"])
    assert spouse["relationship"]["coding"][0]["code"] == "spouse"
    assert "subscriber" not in spouse and "class" not in spouse and spouse["order"] == 2
    assert spouse["period"] == {"start": "2023-01-01"}


def test_the_payer_is_an_organization(client, staff, insured):
    o = read(client, staff, insured["payer"], "Organization")
    assert o["name"] == "Fhir Mutual Health" and o["active"] is True
    assert o["type"][0]["coding"][0]["code"] == "pay"
    assert o["identifier"] == [{"type": {"text": "Payer ID"}, "value": "FMH01"}]
    assert o["address"] == [{"use": "work", "line": ["1 Payer Way"], "city": "Hartford",
                             "state": "CT", "postalCode": "06103"}]
    assert ids(search(client, staff, "Organization", name="fhir mutual")) == {insured["payer"]}
    assert insured["payer"] in ids(search(client, staff, "Organization",
                                          **{"address-city": "Hartford"}))
    # The NPI names facilities only.
    assert insured["payer"] not in ids(search(client, staff, "Organization",
                                              identifier="FMH01"))


@pytest.mark.parametrize("form", ["{puuid}", "Patient/{puuid}",
                                  "https://x.org/fhir/Patient/{puuid}"])
def test_searches_by_patient(client, staff, insured, form):
    value = form.format(puuid=insured["puuid"])
    both = {insured["primary"], insured["secondary"]}
    assert ids(search(client, staff, patient=value)) == both
    assert ids(search(client, staff, beneficiary=value)) == both


def test_searches_by_payor_and_id(client, staff, insured):
    assert ids(search(client, staff, patient=insured["puuid"],
                      payor=f"Organization/{insured['other']}")) == {insured["secondary"]}
    assert ids(search(client, staff, payor=f"Patient/{insured['other']}")) == set()
    assert ids(search(client, staff, _id=insured["primary"])) == {insured["primary"]}
    newest = search(client, staff, patient=insured["puuid"], _sort="-period,_id")
    assert len(newest["entry"]) == 2


def test_includes_and_revincludes(client, staff, insured):
    found = search(client, staff, _id=insured["primary"],
                   _include=["Coverage:payor", "Coverage:patient"])
    assert included(found) == {("Organization", insured["payer"]),
                               ("Patient", insured["puuid"])}
    found = search(client, staff, "Organization", _id=insured["other"],
                   _revinclude="Coverage:payor")
    assert included(found) == {("Coverage", insured["secondary"])}
    found = search(client, staff, "Patient", _id=insured["puuid"],
                   _revinclude="Coverage:patient")
    assert included(found) == {("Coverage", insured["primary"]),
                               ("Coverage", insured["secondary"])}


def test_a_policy_keeps_no_change_time(client, staff, insured):
    r = client.get(f"{FHIR}/Coverage", params={"_sort": "_lastUpdated"}, headers=staff)
    assert r.status_code == 400


def test_a_patient_sees_only_their_own(client, app, insured):
    with app.registry.get("default").db.read() as s:
        phil = s.execute(select(Patient.pid, Patient.uuid).where(
            Patient.fname == "Phil", Patient.lname == "Belford")).one()
        payer = s.execute(select(InsuranceCompany).where(
            InsuranceCompany.uuid == insured["payer"])).scalar_one()
    own = write(app, policy(phil.pid, payer, type="tertiary", policy_number="P-1"))[0]
    token_app = register_client(client, scope="openid api:fhir api:port patient/Coverage.rs")
    token = bearer(password_token(client, token_app, role="patient", username="phil",
                                  password="phil", email="phil@example.com",
                                  scope="openid api:fhir patient/Coverage.rs"))
    mine = ids(search(client, token))
    assert own.uuid in mine and insured["primary"] not in mine
    assert ids(search(client, token, patient=insured["puuid"])) == set()
    assert client.get(f"{FHIR}/Coverage/{insured['primary']}", headers=token).status_code == 404
    assert read(client, token, own.uuid)["beneficiary"] == {"reference": f"Patient/{phil.uuid}"}


def test_a_token_without_the_coverage_scope_is_refused(client, app_client, insured):
    token = bearer(password_token(client, app_client, scope="openid api:fhir user/Patient.rs"))
    assert client.get(f"{FHIR}/Coverage", headers=token).status_code == 403
    assert client.get(f"{FHIR}/Coverage/{insured['primary']}", headers=token).status_code == 403


def test_the_demo_data_gives_coverages_with_their_payers(tmp_path):
    """`emr-api demo`'s policies (cli/demo.py) each become a Coverage whose payor is one of
    the Organizations served."""
    from types import SimpleNamespace

    from emr_api.cli import demo
    from emr_api.db.engine import Database
    from emr_api.db.migrate import upgrade
    from emr_api.handlers.fhir import coverage, organization
    from emr_api.services import search as engine

    db = Database(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    try:
        upgrade(db.engine)
        demo.generate(SimpleNamespace(db=db), 20, seed=5)
        with db.read() as s:
            def every(provider):
                rows = engine.run(s, engine.Query(
                    model=provider.model, where=[], order=[engine.SortKey(provider.id_column)],
                    limit=10000)).rows
                return provider.represent(s, rows)
            coverages = every(coverage.PROVIDER)
            organizations = every(organization.PROVIDER)
    finally:
        db.dispose()
    assert coverages
    payers = {o["id"] for o in organizations if o["type"][0]["coding"][0]["code"] == "pay"}
    assert {c["payor"][0]["reference"].removeprefix("Organization/") for c in coverages} <= payers
    assert all(c["relationship"].get("coding") for c in coverages)
