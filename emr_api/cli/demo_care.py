"""Demo data of the care family: care-plan forms of visits (goals, plans of care, tests
and orders: form_care_plan, linked by `forms`), care teams with their members, and
implantable devices with their UDIs (`lists` rows of type medical_device).

Deterministic for a seed, proportional to the patients and visits there are: each kind
goes to the patients or visits its id picks (so a later run picks the same ones), and only
to those that have none yet; bulk inserts in batches."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select

from emr_api.db.models import (
    CarePlanItem,
    CareTeam,
    CareTeamMember,
    Encounter,
    EncounterForm,
    Issue,
    Patient,
    Practitioner,
    new_uuid,
)
from emr_api.sites import Site

# One in PLAN_EVERY visits (by id: a later run picks the same) has a care-plan form.
PLAN_EVERY = 3
# Goals: (code, its name, the goal in words); a goal without a code is words only.
GOALS = [
    ("LOINC:4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "Bring HbA1c below 7%"),
    ("LOINC:8480-6", "Systolic blood pressure", "Keep systolic blood pressure under 130 mm Hg"),
    ("LOINC:29463-7", "Body weight", "Lose 5 kg over six months"),
    ("LOINC:2089-1", "Cholesterol in LDL [Mass/volume] in Serum or Plasma",
     "Bring LDL cholesterol under 100 mg/dL"),
    ("SNOMED-CT:226234005", "Healthy diet", "Eat five portions of vegetables a day"),
    (None, None, "Walk 30 minutes on five days a week"),
]
# Other lines of a care plan: (type, code, its name, the line in words).
PLAN_LINES = [
    ("plan_of_care", "SNOMED-CT:386463000", "Prescribed activity/exercise education",
     "Discussed a graded walking programme"),
    ("plan_of_care", "SNOMED-CT:698360004", "Diabetes self management plan",
     "Reviewed home glucose monitoring and foot care"),
    ("test_or_order", "LOINC:4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood",
     "HbA1c in three months"),
    ("test_or_order", "LOINC:24331-1", "Lipid panel with direct LDL - Serum or Plasma",
     "Fasting lipid panel before the next visit"),
    ("plan_of_care", None, None, "Return visit in four weeks to review progress"),
]


def _plan(rng: random.Random, visit) -> list[dict]:
    """The lines of one visit's care-plan form: one or two goals and up to two other
    lines; due 1-12 months after the visit (so some have passed), now and then switched
    off."""
    picked = [("goal", code, name, words) for code, name, words in
              rng.sample(GOALS, rng.randint(1, 2))]
    picked += rng.sample(PLAN_LINES, rng.randint(0, 2))
    lines = []
    for kind, code, name, words in picked:
        due = visit.date + timedelta(days=rng.randint(30, 365))
        lines.append({"uuid": new_uuid(), "date": visit.date, "pid": visit.pid,
                      "encounter": visit.encounter, "user": "admin", "groupname": "Default",
                      "authorized": True, "activity": rng.random() > 0.05, "code": code,
                      "codetext": name, "description": words, "external_id": None,
                      "care_plan_type": kind, "note_related_to": None,
                      "date_end": due if kind != "plan_of_care" or rng.random() < 0.5
                      else None,
                      "reason_code": None, "reason_description": None,
                      "reason_date_low": None, "reason_date_high": None,
                      "reason_status": None, "last_updated": visit.date})
    return lines


def demo_care_plans(site: Site, *, seed: int = 7, batch: int = 5000) -> dict:
    """A care-plan form (linked by `forms`, formdir care_plan) for every numbered visit
    whose id is 1 modulo PLAN_EVERY and that has none yet. Returns how many forms and lines
    were added."""
    rng = random.Random(f"{seed}-care-plans")
    made = {"care_plans": 0, "care_plan_lines": 0}
    planned = select(CarePlanItem.id).where(CarePlanItem.pid == Encounter.pid,
                                            CarePlanItem.encounter == Encounter.encounter)
    after = 0
    while True:
        with site.db.write() as s:
            visits = s.execute(
                select(Encounter.eid, Encounter.pid, Encounter.encounter, Encounter.date)
                .where(Encounter.eid > after, Encounter.encounter.is_not(None),
                       Encounter.eid % PLAN_EVERY == 1, ~planned.exists())
                .order_by(Encounter.eid).limit(batch)).all()
            if not visits:
                return made
            after = visits[-1].eid
            forms = [(visit, _plan(rng, visit)) for visit in visits]
            conn = s.connection()
            lines = [line for _, made_lines in forms for line in made_lines]
            conn.execute(CarePlanItem.__table__.insert(), lines)
            first = {line["uuid"] for _, made_lines in forms for line in made_lines[:1]}
            ids = dict(conn.execute(select(CarePlanItem.uuid, CarePlanItem.id).where(
                CarePlanItem.uuid.in_(first))).all())
            conn.execute(EncounterForm.__table__.insert(), [
                {"date": visit.date, "encounter": visit.encounter, "form_name": "Care Plan",
                 "form_id": ids[made_lines[0]["uuid"]], "pid": visit.pid, "user": "admin",
                 "groupname": "Default", "authorized": True, "deleted": False,
                 "formdir": "care_plan"} for visit, made_lines in forms])
            made["care_plans"] += len(forms)
            made["care_plan_lines"] += len(lines)


# One in TEAM_EVERY patients (by pid) has a care team; its status, mostly active.
TEAM_EVERY = 3
TEAM_STATUSES = ["active"] * 8 + ["inactive", "proposed"]
# The roles of the clinicians of a team beside its primary care physician (OpenEMR's
# care_team_roles options).
OTHER_ROLES = ["nurse", "nurse", "pharmacist", "social_worker", "cardiology",
               "family_medicine"]


def _team(rng: random.Random, pid: int, lname: str, clinicians: list, today: date):
    """A care team of a patient: the primary care physician, one or two other
    clinicians, and the patient; returns (team row, member rows without the team id)."""
    made = today - timedelta(days=rng.randint(0, 3 * 365))
    when = datetime.combine(made, datetime.min.time()) + timedelta(hours=rng.randint(8, 17))
    team = {"uuid": new_uuid(), "pid": pid, "status": rng.choice(TEAM_STATUSES),
            "team_name": f"{lname} care team", "note": None, "date_created": when,
            "date_updated": when, "created_by": None, "updated_by": None}
    chosen = rng.sample(clinicians, min(len(clinicians), rng.randint(2, 3)))
    roles = ["primary_care_provider"] + rng.sample(OTHER_ROLES, len(chosen) - 1)
    members = [{"user_id": practitioner, "role": role_, "facility_id": facility,
                "provider_since": made - timedelta(days=rng.randint(0, 2000)),
                "status": "active", "note": None}
               for (practitioner, facility), role_ in zip(chosen, roles)]
    members.append({"user_id": None, "role": "patient", "facility_id": None,
                    "provider_since": None, "status": "active", "note": None})
    return team, members


def demo_care_teams(site: Site, *, seed: int = 7, batch: int = 5000) -> dict:
    """A care team for every patient whose pid is a multiple of TEAM_EVERY (and every
    portal patient) without one, once practitioners exist. Returns how many teams and
    members were added."""
    rng = random.Random(f"{seed}-care-teams")
    today = date.today()
    made = {"care_teams": 0, "care_team_members": 0}
    with site.db.read() as s:
        clinicians = [tuple(row) for row in s.execute(
            select(Practitioner.id, Practitioner.facility_id).where(
                Practitioner.active.is_(True)).order_by(Practitioner.id))]
        teamed = select(CareTeam.id).where(CareTeam.pid == Patient.pid).exists()
        chosen = or_(Patient.pid % TEAM_EVERY == 0, Patient.portal_username.is_not(None))
        patients = s.execute(select(Patient.pid, Patient.lname)
                             .where(chosen, ~teamed).order_by(Patient.pid)).all()
    if len(clinicians) < 2:
        return made
    for start in range(0, len(patients), batch):
        teams = [_team(rng, p.pid, p.lname, clinicians, today)
                 for p in patients[start:start + batch]]
        with site.db.write() as s:
            conn = s.connection()
            conn.execute(CareTeam.__table__.insert(), [team for team, _ in teams])
            ids = dict(conn.execute(select(CareTeam.uuid, CareTeam.id).where(
                CareTeam.uuid.in_([team["uuid"] for team, _ in teams]))).all())
            members = [{**member, "care_team_id": ids[team["uuid"]]}
                       for team, team_members in teams for member in team_members]
            conn.execute(CareTeamMember.__table__.insert(), members)
        made["care_teams"] += len(teams)
        made["care_team_members"] += len(members)
    return made


# One in DEVICE_EVERY patients (by pid) has an implanted device: (SNOMED CT code, title,
# brand, model). The brands and their maker are made up.
DEVICE_EVERY = 10
DEVICES = [
    ("14106009", "Cardiac pacemaker", "Demo Pulse DR", "PDR-200"),
    ("72506001", "Implantable defibrillator", "Demo Guard ICD", "GICD-3"),
    ("304120007", "Total hip replacement prosthesis", "Demo Stride Hip", "SH-54"),
    ("705643001", "Coronary artery stent", "Demo Flow Stent", "FS-3.0x18"),
    ("43252007", "Cochlear prosthesis", "Demo Hear Implant", "HI-7"),
]
DEVICE_MAKER = "Example Medical Devices Inc."


def _gtin(rng: random.Random) -> str:
    """A 14-digit GS1 device identifier with its check digit."""
    body = "0" + "".join(str(rng.randint(0, 9)) for _ in range(12))
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def device_row(rng: random.Random, pid: int, dob: date, today: date) -> dict:
    """A `lists` row of an implanted device, its UDI printed the GS1 way and parsed as
    the GUDID parses it."""
    code, title, brand, model = rng.choice(DEVICES)
    implanted = dob + timedelta(days=rng.randint(max((today - dob).days - 3650, 0),
                                                 max((today - dob).days, 0)))
    made = implanted - timedelta(days=rng.randint(30, 400))
    expires = made + timedelta(days=rng.randint(720, 1800))
    di, lot = _gtin(rng), f"L{rng.randint(10000, 99999)}"
    serial = f"S{rng.randint(10 ** 7, 10 ** 8 - 1)}"
    udi = f"(01){di}(11){made:%y%m%d}(17){expires:%y%m%d}(10){lot}(21){serial}"
    data = {"standard_elements": {"udi": udi, "issuingAgency": "GS1", "di": di,
                                  "manufacturingDate": made.isoformat(),
                                  "expirationDate": expires.isoformat(),
                                  "lotNumber": lot, "serialNumber": serial},
            "device": {"brandName": brand, "versionModelNumber": model,
                       "companyName": DEVICE_MAKER, "deviceDescription": title}}
    ended = rng.random() < 0.1
    when = datetime.combine(implanted, datetime.min.time()) + timedelta(hours=12)
    return {"pid": pid, "type": "medical_device", "title": title,
            "diagnosis": f"SNOMED-CT:{code}", "begdate": implanted,
            "enddate": implanted + timedelta(days=rng.randint(0, (today - implanted).days))
            if ended else None, "activity": True, "udi": udi,
            "udi_data": json.dumps(data, separators=(",", ":")), "date": when,
            "modifydate": when}


def demo_devices(site: Site, *, seed: int = 7, batch: int = 5000) -> int:
    """An implanted device for every patient whose pid is 5 modulo DEVICE_EVERY (and every
    portal patient) without one. Returns how many were added."""
    rng = random.Random(f"{seed}-devices")
    today = date.today()
    with site.db.read() as s:
        implanted = select(Issue.id).where(Issue.pid == Patient.pid,
                                           Issue.type == "medical_device").exists()
        chosen = or_(Patient.pid % DEVICE_EVERY == 5, Patient.portal_username.is_not(None))
        patients = s.execute(select(Patient.pid, Patient.DOB)
                             .where(chosen, ~implanted).order_by(Patient.pid)).all()
    added = 0
    for start in range(0, len(patients), batch):
        rows = [device_row(rng, p.pid, p.DOB, today) for p in patients[start:start + batch]]
        with site.db.write() as s:
            s.connection().execute(Issue.__table__.insert(), rows)
        added += len(rows)
    return added


def demo_care(site: Site, *, seed: int = 7) -> dict:
    """Every kind of the care family's demo data; returns how many of each were added."""
    made = {}
    made.update(demo_care_plans(site, seed=seed))
    made.update(demo_care_teams(site, seed=seed))
    made["devices"] = demo_devices(site, seed=seed)
    return made
