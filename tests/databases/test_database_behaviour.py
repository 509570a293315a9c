"""The same answers on every database kind, through the API: what SQLite, PostgreSQL and
MariaDB do differently (case folding, LIKE wildcards and escapes, 4-byte UTF-8, datetime
precision, booleans, full-length strings) must not show.

Each test names its records with a fresh random tag and searches by it, so the rows
other tests write into the shared app do not matter."""

from __future__ import annotations

import secrets
import string

import pytest

API = "/apis/default/api"


def tag() -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))


def create_patient(client, admin, lname: str, **fields) -> dict:
    body = {"fname": "Test", "lname": lname, "sex": "Female", "DOB": "1990-01-02", **fields}
    r = client.post(f"{API}/patient", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def search(client, admin, **params) -> list[dict]:
    r = client.get(f"{API}/patient", params={"_limit": 200, **params}, headers=admin)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def lnames(rows) -> set[str]:
    return {row["lname"] for row in rows}


def test_text_search_is_a_case_insensitive_prefix_match(client, admin):
    t = tag()
    create_patient(client, admin, f"Qx{t}Smith")
    assert lnames(search(client, admin, lname=f"QX{t.upper()}")) == {f"Qx{t}Smith"}
    assert lnames(search(client, admin, lname=f"qx{t}smith")) == {f"Qx{t}Smith"}
    assert search(client, admin, lname=f"x{t}") == []  # a prefix, not a substring


def test_case_folding_covers_letters_beyond_ascii(client, admin):
    t = tag()
    create_patient(client, admin, f"Ÿ{t}Émile Øre")
    assert lnames(search(client, admin, lname=f"ÿ{t}émile ø")) == {f"Ÿ{t}Émile Øre"}
    assert lnames(search(client, admin, lname=f"Ÿ{t.upper()}ÉMILE ØRE")) == {f"Ÿ{t}Émile Øre"}


@pytest.mark.parametrize("special", ["%", "_", "/", "\\", "'", '"', "[", "]", "^"])
def test_like_wildcards_and_escape_characters_match_literally(client, admin, special):
    t = tag()
    literal = f"Zz{t}{special}end"
    create_patient(client, admin, literal)
    create_patient(client, admin, f"Zz{t}xend")  # what an unescaped wildcard would match
    create_patient(client, admin, f"Zz{t}")
    assert lnames(search(client, admin, lname=f"Zz{t}{special}")) == {literal}
    assert lnames(search(client, admin, lname=f"Zz{t}{special}e")) == {literal}
    assert len(search(client, admin, lname=f"Zz{t}")) == 3


def test_four_byte_utf8_round_trips(client, admin):
    t = tag()
    lname = f"Li{t} 李 😀 𝔘"
    created = create_patient(client, admin, lname, fname="Zoë 🧪", city="Zürich 🏔")
    r = client.get(f"{API}/patient/{created['uuid']}", headers=admin)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["lname"], data["fname"], data["city"]) == (lname, "Zoë 🧪", "Zürich 🏔")
    assert lnames(search(client, admin, lname=f"li{t} 李 😀")) == {lname}


def test_full_length_strings_round_trip(client, admin):
    t = tag()
    lname = (f"Long{t}" + "é" * 255)[:255]
    created = create_patient(client, admin, lname, street="s" * 255)
    data = client.get(f"{API}/patient/{created['uuid']}", headers=admin).json()["data"]
    assert data["lname"] == lname and data["street"] == "s" * 255


def test_dates_round_trip_exactly(client, admin):
    t = tag()
    created = create_patient(client, admin, f"Dob{t}", DOB="1900-02-28")
    data = client.get(f"{API}/patient/{created['uuid']}", headers=admin).json()["data"]
    assert data["DOB"] == "1900-02-28"
    assert lnames(search(client, admin, DOB="1900-02-28", lname=f"Dob{t}")) == {f"Dob{t}"}


def test_encounter_datetime_keeps_its_seconds(client, admin):
    t = tag()
    patient = create_patient(client, admin, f"Enc{t}")
    base = f"{API}/patient/{patient['uuid']}/encounter"
    r = client.post(base, json={"date": "2024-05-06 07:08:09", "pc_catid": 5,
                                "class_code": "AMB", "reason": f"check {t}"}, headers=admin)
    assert r.status_code == 201, r.text
    euuid = r.json()["data"]["euuid"]
    r = client.get(f"{base}/{euuid}", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["date"] == "2024-05-06 07:08:09"
    r = client.put(f"{base}/{euuid}", json={"date": "2024-12-31 23:59:59"}, headers=admin)
    assert r.status_code == 200, r.text
    assert client.get(f"{base}/{euuid}", headers=admin).json()["data"]["date"] == \
        "2024-12-31 23:59:59"


def test_facility_flags_round_trip_as_zero_and_one(client, admin):
    t = tag()
    body = {"name": f"Clinic {t}", "facility_npi": "1234567890", "service_location": True,
            "billing_location": False, "accepts_assignment": "1",
            "primary_business_entity": 0}
    r = client.post(f"{API}/facility", json=body, headers=admin)
    assert r.status_code == 201, r.text
    fuuid = r.json()["data"]["uuid"]
    data = client.get(f"{API}/facility/{fuuid}", headers=admin).json()["data"]
    assert (data["service_location"], data["billing_location"], data["accepts_assignment"],
            data["primary_business_entity"]) == (1, 0, 1, 0)
    r = client.put(f"{API}/facility/{fuuid}", json={"service_location": "0",
                                                    "billing_location": 1}, headers=admin)
    assert r.status_code == 200, r.text
    data = client.get(f"{API}/facility/{fuuid}", headers=admin).json()["data"]
    assert (data["service_location"], data["billing_location"]) == (0, 1)


def test_exact_filters_and_sorting_are_the_same_on_every_database(client, admin):
    t = tag()
    for last in ["b", "A", "C", "a", "Z"]:
        create_patient(client, admin, f"Srt{t}{last}", sex="Male" if last == "A" else "Female")
    rows = search(client, admin, lname=f"Srt{t}", _sort="lname")
    assert [row["lname"][-1] for row in rows] == ["A", "C", "Z", "a", "b"]  # byte order
    assert lnames(search(client, admin, lname=f"Srt{t}", sex="Male")) == {f"Srt{t}A"}
    assert search(client, admin, lname=f"Srt{t}", sex="MALE") == []


def test_a_username_differing_only_in_case_does_not_sign_in(client, app_client):
    form = {"grant_type": "password", "user_role": "users", "username": "ADMIN",
            "password": "pass", "scope": "openid api:oemr", "client_id": app_client["client_id"],
            "client_secret": app_client["client_secret"]}
    r = client.post("/oauth2/default/token", data=form)
    assert r.status_code == 400, r.text
    assert "access_token" not in r.json()
