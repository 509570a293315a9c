"""/immunization and /immunization/{uuid} (OpenEMR's `immunizations`, read only): the row
as OpenEMR answers it with what it joins (CVX name, site and refusal-reason options, the
practitioner who gave it, `primarySource`), ISO 8601 dates; every documented filter, exact;
bad filters are 400 naming the parameter; paging and sort; unknown and malformed uuids;
scopes, the patients/med ACL and the audit row. The API cannot write immunizations, so the
tests write their rows through the site's database."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from emr_api.db.models import Immunization, Patient, Practitioner
from tests.standard import read_only
from tests.standard.read_only import write
from tests.standard.answers import invalid, not_found

API = "/apis/default/api"


@pytest.fixture(scope="module")
def nurse(app) -> Practitioner:
    (found,) = write(app, Practitioner(fname="Nia", lname="Okoro", npi="1555666777",
                                       username="nokoro"))
    return found


def make_patient(app, lname: str) -> Patient:
    (found,) = write(app, Patient(fname="Vera", lname=lname, sex="Female", DOB=date(1961, 5, 6)))
    return found


@pytest.fixture()
def mine(app) -> Patient:
    return make_patient(app, "Vaccinated")


@pytest.fixture()
def theirs(app) -> Patient:
    return make_patient(app, "Other")


def given(patient: Patient, nurse: Practitioner | None = None, **overrides) -> Immunization:
    """A COVID-19 vaccine given here by `nurse`, as a practice records it."""
    fields = dict(
        patient_id=patient.pid, administered_date=datetime(2021, 4, 7, 14, 30),
        cvx_code="208", manufacturer="Pfizer, Inc", lot_number="EW0182",
        administered_by_id=nurse.id if nurse else None, education_date=date(2021, 4, 7),
        vis_date=date(2020, 12, 11), note="Second dose",
        create_date=datetime(2021, 4, 7, 14, 35), update_date=datetime(2021, 4, 8, 9, 0),
        created_by=1, amount_administered=0.3, amount_administered_unit="mL",
        expiration_date=date(2021, 9, 30), route="intramuscular",
        administration_site="left_deltoid", completion_status="Completed",
        information_source="new_immunization_record",
        ordering_provider=nurse.id if nurse else None,
        encounter_id=41)
    fields.update(overrides)
    return Immunization(**fields)


def read(client, headers, iuuid: str) -> dict:
    r = client.get(f"{API}/immunization/{iuuid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def listed(client, headers, **params) -> list[dict]:
    r = client.get(f"{API}/immunization", params={"_limit": 200, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


# --- one immunization -----------------------------------------------------------------

def test_one_immunization_answers_openemrs_row(client, app, admin, mine, nurse):
    (row,) = write(app, given(mine, nurse))
    assert read(client, admin, row.uuid) == {
        "id": row.id, "uuid": row.uuid, "puuid": mine.uuid, "pid": mine.pid,
        "administered_date": "2021-04-07T14:30:00+00:00", "cvx_code": "208",
        "cvx_code_text": "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, "
                         "preservative free, 30 mcg/0.3mL dose",
        "manufacturer": "Pfizer, Inc", "lot_number": "EW0182", "added_erroneously": 0,
        "administered_by_id": nurse.id, "administered_by": None,
        "education_date": "2021-04-07T00:00:00+00:00", "note": "Second dose",
        "create_date": "2021-04-07T14:35:00+00:00", "amount_administered": 0.3,
        "amount_administered_unit": "mL", "expiration_date": "2021-09-30T00:00:00+00:00",
        "route": "intramuscular", "administration_site": "left_deltoid",
        "site_display": "Left Deltoid", "site_code": "LD", "completion_status": "Completed",
        "reason_code": None, "refusal_reason": None, "refusal_reason_codes": None,
        "refusal_reason_cdc_nip_code": None, "refusal_reason_description": None,
        "provider_uuid": nurse.uuid, "provider_npi": "1555666777", "provider_username": "nokoro",
        "primarySource": True, "immunization_id": None,
        "vis_date": "2020-12-11T00:00:00+00:00", "update_date": "2021-04-08T09:00:00+00:00",
        "created_by": 1, "updated_by": None, "external_id": None,
        "information_source": "new_immunization_record", "ordering_provider": nurse.id,
        "reason_description": None, "encounter_id": 41,
    }


def test_a_refusal_names_its_reason_from_the_list(client, app, admin, mine, nurse):
    (row,) = write(app, given(mine, None, completion_status="Refused", lot_number=None,
                              refusal_reason="patient_decision", administration_site=None,
                              amount_administered=None))
    data = read(client, admin, row.uuid)
    assert (data["refusal_reason"], data["refusal_reason_description"],
            data["refusal_reason_cdc_nip_code"], data["refusal_reason_codes"]) == (
        "patient_decision", "Patient decision", "03", "")
    assert data["site_display"] is None and data["amount_administered"] is None
    assert data["provider_uuid"] is None and data["primarySource"] is False


@pytest.mark.parametrize("source, by, primary", [
    ("new_immunization_record", "Dr. Visiting", True),
    ("new_immunization_record", None, False),
    ("other_provider", None, True),
    ("birth_certificate", None, True),
    ("school_record", None, True),
    ("public_agency", None, True),
    ("hist_inf_src_unspecified", "CVS Pharmacy", False),
    (None, None, False),
])
def test_primary_source_as_openemr_derives_it(client, app, admin, mine, source, by, primary):
    (row,) = write(app, given(mine, None, information_source=source, administered_by=by))
    assert read(client, admin, row.uuid)["primarySource"] is primary


def test_unknown_codes_and_options_join_to_nothing(client, app, admin, mine):
    (row,) = write(app, given(mine, None, cvx_code="999", administration_site="elbow",
                              refusal_reason="bored", added_erroneously=True))
    data = read(client, admin, row.uuid)
    assert (data["cvx_code"], data["cvx_code_text"]) == ("999", None)
    assert (data["site_display"], data["site_code"], data["refusal_reason_description"]) == (
        None, None, None)
    assert data["added_erroneously"] == 1


def test_unknown_and_malformed_uuids(client, admin):
    missing = str(uuid.uuid4())
    r = client.get(f"{API}/immunization/{missing}", headers=admin)
    not_found(r, "uuid")
    assert missing in r.json()["internalErrors"][0]
    invalid(client.get(f"{API}/immunization/nope", headers=admin), "uuid")


def test_a_uuid_in_capitals_finds_the_row(client, app, admin, mine):
    (row,) = write(app, given(mine))
    assert read(client, admin, row.uuid.upper())["uuid"] == row.uuid


# --- the list -------------------------------------------------------------------------

def test_the_list_holds_every_patients_rows_in_id_order(client, app, admin, mine, theirs):
    first, second = write(app, given(mine), given(mine, cvx_code="150"))
    (other,) = write(app, given(theirs))
    rows = listed(client, admin, patient_id=mine.pid)
    assert [r["uuid"] for r in rows] == [first.uuid, second.uuid]
    assert {r["puuid"] for r in rows} == {mine.uuid}
    everyone = [r["uuid"] for r in listed(client, admin)]
    assert {first.uuid, second.uuid, other.uuid} <= set(everyone)
    assert everyone.index(first.uuid) < everyone.index(other.uuid)


def test_the_list_pages_with_links_that_keep_the_filters(client, app, admin, mine):
    made = [row.uuid for row in write(app, *[given(mine, lot_number=f"LOT{i}")
                                             for i in range(3)])]
    r = client.get(f"{API}/immunization", params={"patient_id": mine.pid, "_limit": 2,
                                                  "_sort": "-id"}, headers=admin)
    body = r.json()
    assert [x["uuid"] for x in body["data"]] == made[::-1][:2]
    nxt = parse_qs(urlsplit(body["links"]["next"]).query)
    assert nxt == {"patient_id": [str(mine.pid)], "_sort": ["-id"], "_limit": ["2"],
                   "_offset": ["2"]}
    again = client.get(f"{API}/immunization", params={k: v[0] for k, v in nxt.items()},
                       headers=admin).json()
    assert [x["uuid"] for x in again["data"]] == [made[0]]
    assert again["links"]["next"] is None and again["links"]["previous"] is not None


def test_sort_by_administered_date(client, app, admin, mine):
    late, early = write(app, given(mine, administered_date=datetime(2023, 10, 2, 9)),
                        given(mine, administered_date=datetime(2019, 10, 2, 9)))
    rows = listed(client, admin, patient_id=mine.pid, _sort="administered_date")
    assert [r["uuid"] for r in rows] == [early.uuid, late.uuid]
    rows = listed(client, admin, patient_id=mine.pid, _sort="-administered_date")
    assert [r["uuid"] for r in rows] == [late.uuid, early.uuid]


@pytest.mark.parametrize("field, stored, searched", [
    ("cvx_code", "115", "115"),
    ("manufacturer", "Sanofi Pasteur", "Sanofi Pasteur"),
    ("lot_number", "U7013AA", "U7013AA"),
    ("administered_by", "CVS Pharmacy", "CVS Pharmacy"),
    ("note", "Left arm sore", "Left arm sore"),
    ("amount_administered", 0.7, "0.7"),
    ("amount_administered_unit", "uL", "uL"),
    ("route", "subcutaneous", "subcutaneous"),
    ("administration_site", "right_arm", "right_arm"),
    ("external_id", "REG-1", "REG-1"),
    ("completion_status", "Partially Administered", "Partially Administered"),
    ("information_source", "school_record", "school_record"),
    ("refusal_reason", "religious_exemption", "religious_exemption"),
    ("immunization_id", 7, "7"),
    ("created_by", 5, "5"),
    ("updated_by", 6, "6"),
    ("added_erroneously", True, "1"),
    ("administered_date", datetime(2022, 3, 4, 23, 59), "2022-03-04"),
    ("education_date", date(2022, 3, 5), "2022-03-05"),
    ("vis_date", date(2019, 8, 15), "2019-08-15"),
    ("create_date", datetime(2022, 3, 6, 0, 0), "2022-03-06"),
    ("update_date", datetime(2022, 3, 7, 12, 0), "2022-03-07"),
    ("expiration_date", date(2023, 1, 31), "2023-01-31"),
])
def test_each_filter_matches_exactly(client, app, admin, mine, field, stored, searched):
    hit, miss = write(app, given(mine, **{field: stored}), given(mine))
    rows = listed(client, admin, patient_id=mine.pid, **{field: searched})
    assert [r["uuid"] for r in rows] == [hit.uuid]
    assert miss.uuid in {r["uuid"] for r in listed(client, admin, patient_id=mine.pid)}


def test_the_id_filters(client, app, admin, mine, theirs, nurse):
    mine_row, their_row = write(app, given(mine, nurse), given(theirs))
    assert [r["uuid"] for r in listed(client, admin, id=mine_row.id)] == [mine_row.uuid]
    assert [r["uuid"] for r in listed(client, admin, uuid=their_row.uuid.upper())] == [
        their_row.uuid]
    assert [r["uuid"] for r in listed(client, admin, patient_id=mine.pid,
                                      administered_by_id=nurse.id,
                                      ordering_provider=nurse.id)] == [mine_row.uuid]
    assert listed(client, admin, patient_id=2147483647) == []


@pytest.mark.parametrize("params, field", [
    ({"patient_id": "abc"}, "patient_id"),
    ({"patient_id": "0"}, "patient_id"),
    ({"patient_id": "9999999999"}, "patient_id"),
    ({"id": "-1"}, "id"),
    ({"administered_by_id": "1.5"}, "administered_by_id"),
    ({"uuid": "nope"}, "uuid"),
    ({"administered_date": "2021-02-30"}, "administered_date"),
    ({"expiration_date": "2021-13-01"}, "expiration_date"),
    ({"create_date": "yesterday"}, "create_date"),
    ({"amount_administered": "NaN"}, "amount_administered"),
    ({"amount_administered": "1e3"}, "amount_administered"),
    ({"amount_administered": "-0.5"}, "amount_administered"),
    ({"added_erroneously": "2"}, "added_erroneously"),
    ({"cvx_code": "x" * 65}, "cvx_code"),
    ({"lot_number": "bad\x00lot"}, "lot_number"),
    ({"_sort": "note"}, "_sort"),
    ({"_limit": 201}, "_limit"),
    ({"puuid": str(uuid.uuid4())}, "puuid"),
])
def test_bad_filters_are_400_naming_the_parameter(client, admin, params, field):
    invalid(client.get(f"{API}/immunization", params=params, headers=admin), field)


# --- scopes, ACL, audit ---------------------------------------------------------------

@pytest.fixture()
def urls(app, mine) -> tuple[str, str]:
    """The list, and one of `mine`'s immunizations."""
    (row,) = write(app, given(mine))
    return f"{API}/immunization", f"{API}/immunization/{row.uuid}"


def test_no_token_is_401(client, urls):
    read_only.needs_a_token(client, *urls)


def test_each_operation_needs_its_scope(client, app_client, urls):
    read_only.needs_its_scope(client, app_client, "immunization", *urls)


def test_front_office_lacks_patients_med(client, front_office, urls):
    read_only.needs_patients_med(client, front_office, *urls)


def test_the_audit_row_names_the_patient_read(client, app, admin, mine, urls):
    read_only.audit_names_the_patient(client, app, admin, urls[1], mine.uuid)
