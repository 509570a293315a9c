"""Demo data: OpenEMR's demo credentials and realistic synthetic records.

FOR DEMONSTRATION ONLY: the demo users have well-known passwords."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from emr_api.db.models import Encounter, Facility, Issue, Patient, Practitioner, User
from emr_api.auth.passwords import hash_password
from emr_api.sites import Site

# username, password, ACL group, first name, last name
DEMO_USERS = [
    ("admin", "pass", "admin", "Administrator", "Administrator"),
    ("physician", "physician", "doc", "Jamie", "Moreno"),
    ("receptionist", "receptionist", "front", "Robin", "Okafor"),
]
DEMO_PORTAL_PATIENT = {
    "fname": "Phil", "lname": "Belford", "DOB": date(1972, 2, 9), "sex": "Male",
    "email": "phil@example.com", "portal_username": "phil", "portal_password": "phil",
}

FIRST = {"Male": ["James", "Robert", "Miguel", "Wei", "Ahmed", "Liam", "Noah", "Kwame",
                  "Ivan", "Rahul", "Lucas", "Mateo", "Hiro", "Elijah", "Omar"],
         "Female": ["Mary", "Patricia", "Sofia", "Mei", "Fatima", "Emma", "Olivia", "Amara",
                    "Anya", "Priya", "Isabella", "Chloe", "Yuki", "Grace", "Leila"]}
LAST = ["Smith", "Johnson", "Garcia", "Nguyen", "Khan", "Williams", "Brown", "Okafor",
        "Petrov", "Patel", "Martinez", "Lee", "Tanaka", "Davis", "Haddad", "Müller", "O'Brien"]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Elm St", "Pine Rd", "Lake View Blvd"]
CITIES = [("Springfield", "IL", "62701"), ("Portland", "OR", "97201"),
          ("Austin", "TX", "73301"), ("Madison", "WI", "53703"), ("Burlington", "VT", "05401")]
REASONS = ["Annual physical", "Follow-up: hypertension", "Cough and fever", "Back pain",
           "Diabetes management", "Medication review", "Sore throat", "Well child visit",
           "Headache", "Skin rash"]
SPECIALTIES = ["Family Medicine", "Internal Medicine", "Pediatrics", "Cardiology"]
# A patient's issues (OpenEMR's `lists`), by type: (title, diagnosis).
ISSUES = {
    "allergy": [("Penicillin", "RXNORM:7980"), ("Peanuts", None), ("Latex", None),
                ("Sulfonamides", "RXNORM:10180"), ("Shellfish", None), ("Iodine", None),
                ("Tree pollen", None)],
    "medical_problem": [("Essential hypertension", "ICD10:I10"),
                        ("Type 2 diabetes mellitus", "ICD10:E11.9"), ("Asthma", "ICD10:J45.909"),
                        ("Hyperlipidemia", "ICD10:E78.5"), ("Migraine", "ICD10:G43.909"),
                        ("Osteoarthritis of knee", "ICD10:M17.9"), ("GERD", "ICD10:K21.9")],
    "medication": [("Lisinopril 10 mg tablet", "ICD10:I10"), ("Metformin 500 mg tablet", "ICD10:E11.9"),
                   ("Atorvastatin 20 mg tablet", "ICD10:E78.5"), ("Albuterol inhaler", "ICD10:J45.909"),
                   ("Omeprazole 20 mg capsule", "ICD10:K21.9"), ("Levothyroxine 50 mcg tablet", None)],
    "surgery": [("Appendectomy", "ICD10:K35.80"), ("Cholecystectomy", "ICD10:K80.20"),
                ("Tonsillectomy", "ICD10:J35.01"), ("Knee arthroscopy", "ICD10:M23.91"),
                ("Inguinal hernia repair", "ICD10:K40.90"), ("Cataract extraction", "ICD10:H26.9")],
    "dental": [("Dental caries", "ICD10:K02.9"), ("Gingivitis", "ICD10:K05.10"),
               ("Impacted wisdom tooth", "ICD10:K01.1"), ("Cracked tooth", "ICD10:K03.81"),
               ("Periodontitis", "ICD10:K05.30")],
}
SEVERITIES = ["mild", "moderate", "severe"]
REACTIONS = ["hives", "rash", "nausea", "shortness_of_breath", "swelling"]


def seed_users(site: Site) -> None:
    """The demo users and the demo portal patient, if they are not there yet."""
    with site.db.write() as s:
        for username, password, group, fname, lname in DEMO_USERS:
            if s.execute(select(User.id).where(User.username == username)).first() is None:
                s.add(User(username=username, password_hash=hash_password(password),
                           acl_group=group, fname=fname, lname=lname,
                           email=f"{username}@example.com"))
        p = DEMO_PORTAL_PATIENT
        if s.execute(select(Patient.pid).where(Patient.portal_username == p["portal_username"])).first() is None:
            phil = Patient(fname=p["fname"], lname=p["lname"], DOB=p["DOB"], sex=p["sex"],
                           email=p["email"], portal_username=p["portal_username"],
                           portal_password_hash=hash_password(p["portal_password"]),
                           street="400 West Broadway", city="Springfield", state="IL",
                           postal_code="62701", country_code="US", phone_home="217-555-0100")
            s.add(phil)
            s.flush()
            s.add_all(Issue(pid=phil.pid, **row)
                      for row in issues(random.Random("phil"), phil.DOB, date.today()))


def issues(rng: random.Random, dob: date, today: date) -> list[dict]:
    """One or two rows of every type of issue for a patient born on `dob`, each begun
    between birth and today. Surgeries end the day they begin, allergies never; about a
    third of the rest have ended. Every row has the same keys (one bulk insert)."""
    rows = []
    for type_, catalogue in ISSUES.items():
        for title, diagnosis in rng.sample(catalogue, rng.randint(1, 2)):
            begdate = dob + timedelta(days=rng.randint(0, max((today - dob).days, 0)))
            enddate = None
            if type_ == "surgery":
                enddate = begdate
            elif type_ != "allergy" and rng.random() < 0.3:
                enddate = begdate + timedelta(days=rng.randint(0, (today - begdate).days))
            allergy = type_ == "allergy"
            rows.append({"type": type_, "title": title, "diagnosis": diagnosis,
                         "begdate": begdate, "enddate": enddate,
                         "severity_al": rng.choice(SEVERITIES) if allergy else None,
                         "reaction": rng.choice(REACTIONS) if allergy else None})
    return rows


def _npi(rng: random.Random) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(10))


def _phone(rng: random.Random) -> str:
    return f"{rng.randint(200, 989)}-555-{rng.randint(0, 9999):04d}"


def generate(site: Site, patients: int, *, seed: int = 7, progress=None,
             batch: int = 200) -> dict:
    """Facilities, practitioners, and `patients` patients with 0-4 encounters and one or
    two issues of every type (allergy, medical problem, medication, surgery, dental) each."""
    rng = random.Random(seed)
    # Issues draw from their own stream, so the patients and encounters of a seed stay
    # what they were before issues were added.
    issue_rng = random.Random(f"{seed}-issues")
    with site.db.write() as s:
        facilities = s.execute(select(Facility)).scalars().all()
        if not facilities:
            for i, (city, state, zip_) in enumerate(CITIES[:3]):
                s.add(Facility(name=f"{city} Community Clinic", city=city, state=state,
                               postal_code=zip_, street=f"{100 + i} {rng.choice(STREETS)}",
                               phone=_phone(rng), facility_npi=_npi(rng), country_code="US",
                               service_location=True, billing_location=i == 0,
                               primary_business_entity=i == 0, pos_code="11"))
            s.flush()
            facilities = s.execute(select(Facility)).scalars().all()
        practitioners = s.execute(select(Practitioner)).scalars().all()
        if not practitioners:
            for i in range(6):
                sex = rng.choice(["Male", "Female"])
                fac = facilities[i % len(facilities)]
                s.add(Practitioner(fname=rng.choice(FIRST[sex]), lname=rng.choice(LAST),
                                   title="Dr.", npi=_npi(rng), specialty=rng.choice(SPECIALTIES),
                                   facility_id=fac.id, facility=fac.name, active=True,
                                   email=f"dr{i}@example.com", phone=_phone(rng)))
            s.flush()
            practitioners = s.execute(select(Practitioner)).scalars().all()
        facility_refs = [(f.id, f.name) for f in facilities]
        provider_ids = [p.id for p in practitioners]
        next_encounter = (s.execute(select(func.max(Encounter.encounter))).scalar() or 0) + 1

    made = {"patients": 0, "encounters": 0, "issues": 0}
    today = date.today()
    remaining = patients
    while remaining > 0:
        n = min(batch, remaining)
        with site.db.write() as s:
            batch_rows = []  # (patient, its encounters, its date of birth), drawn in order
            for _ in range(n):
                sex = rng.choice(["Male", "Female"])
                city, state, zip_ = rng.choice(CITIES)
                fname, lname = rng.choice(FIRST[sex]), rng.choice(LAST)
                dob = today - timedelta(days=rng.randint(0, 95 * 365))
                patient = Patient(
                    fname=fname, lname=lname, sex=sex, DOB=dob, title="",
                    street=f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", city=city,
                    state=state, postal_code=zip_, country_code="US", phone_home=_phone(rng),
                    phone_cell=_phone(rng),
                    email=f"{fname}.{lname}{rng.randint(1, 999)}@example.com".lower().replace("'", ""),
                    ss=f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
                    race=rng.choice(["white", "black_or_afri_amer", "Asian", "amer_ind_or_alaska_native"]),
                    ethnicity=rng.choice(["hisp_or_latin", "not_hisp_or_latin"]),
                    language="english", status=rng.choice(["married", "single", "divorced"]),
                )
                visits = []
                for _ in range(rng.randint(0, 4)):
                    fac_id, fac_name = rng.choice(facility_refs)
                    when = datetime.combine(today - timedelta(days=rng.randint(0, 3 * 365)),
                                            datetime.min.time()) + timedelta(hours=rng.randint(8, 17))
                    visits.append({"encounter": next_encounter, "date": when,
                                   "reason": rng.choice(REASONS), "facility": fac_name,
                                   "facility_id": fac_id, "billing_facility": fac_id,
                                   "pc_catid": rng.choice([5, 9, 10]), "class_code": "AMB",
                                   "sensitivity": "normal", "pos_code": "11",
                                   "provider_id": rng.choice(provider_ids)})
                    next_encounter += 1
                batch_rows.append((patient, visits, dob))
            # One flush numbers the whole batch; the rest goes in by Core's executemany,
            # which costs half of the ORM's bulk insert.
            s.add_all(patient for patient, _, _ in batch_rows)
            s.flush()
            encounter_rows = [{**visit, "pid": patient.pid}
                              for patient, visits, _ in batch_rows for visit in visits]
            issue_rows = [{**row, "pid": patient.pid} for patient, _, dob in batch_rows
                          for row in issues(issue_rng, dob, today)]
            if encounter_rows:
                s.connection().execute(Encounter.__table__.insert(), encounter_rows)
            s.connection().execute(Issue.__table__.insert(), issue_rows)
            made["patients"] += n
            made["encounters"] += len(encounter_rows)
            made["issues"] += len(issue_rows)
        remaining -= n
        if progress is not None:
            progress(n)
    made["appointments"] = demo_appointments(site, seed=seed)
    made.update(demo_encounter_forms(site, seed=seed))
    analyze(site)
    return made


def analyze(site: Site) -> None:
    """Refresh the planner's statistics after a bulk load, so searches use their indexes
    at once instead of after the database's own next pass."""
    tables = ("patient_data", "form_encounter", "lists", "openemr_postcalendar_events",
              "forms", "form_vitals", "form_soap")
    with site.db.engine.connect() as conn:
        if site.db.dialect in ("mysql", "mariadb"):
            conn.exec_driver_sql(f"ANALYZE TABLE {', '.join(tables)}").all()
        else:
            for table in tables:
                conn.exec_driver_sql(f"ANALYZE {table}")
        conn.commit()


# Appointments (OpenEMR's calendar events of patients): the categories they are booked in,
# and the statuses (OpenEMR's `apptstat` list) of those already past and still to come.
APPOINTMENT_CATEGORIES = (5, 9, 10)  # Office Visit, Established Patient, New Patient
PAST_STATUSES = [">", ">", ">", "@", "?", "x", "%"]
COMING_STATUSES = ["-", "-", "*", "+", "^"]


def demo_appointments(site: Site, *, seed: int = 7, batch: int = 5000) -> int:
    """One or two appointments (within the last year or the next two months) for every
    patient who has none yet, the demo portal patient included; once facilities exist.
    Returns how many were added."""
    from datetime import time

    from emr_api.db.models import Appointment, CalendarCategory, new_uuid
    from emr_api.services.appointments import end_time

    rng = random.Random(f"{seed}-appointments")
    today = date.today()
    with site.db.read() as s:
        facilities = s.execute(select(Facility.id, Facility.billing_location)
                               .order_by(Facility.id)).all()
        providers = s.execute(select(Practitioner.id).order_by(Practitioner.id)).scalars().all()
        categories = {c.pc_catid: (c.pc_catname, c.pc_duration) for c in s.execute(
            select(CalendarCategory).where(
                CalendarCategory.pc_catid.in_(APPOINTMENT_CATEGORIES))).scalars()}
        booked = select(Appointment.pc_pid).where(Appointment.pc_pid == Patient.pid).exists()
        pids = s.execute(select(Patient.pid).where(~booked).order_by(Patient.pid)).scalars().all()
    if not facilities or not categories:
        return 0
    billing = [f.id for f in facilities if f.billing_location] or [facilities[0].id]
    added = 0
    for start in range(0, len(pids), batch):
        rows = []
        for pid in pids[start:start + batch]:
            for _ in range(rng.randint(1, 2)):
                catid = rng.choice(sorted(categories))
                title, duration = categories[catid]
                day = today + timedelta(days=rng.randint(-365, 60))
                begins = time(rng.randint(8, 16), rng.choice((0, 15, 30, 45)))
                rows.append({
                    "uuid": new_uuid(), "pc_pid": pid, "pc_catid": catid,
                    "pc_title": title, "pc_hometext": rng.choice(REASONS),
                    "pc_eventDate": day, "pc_startTime": begins,
                    "pc_duration": duration, "pc_endTime": end_time(begins, duration),
                    "pc_apptstatus": rng.choice(PAST_STATUSES if day < today else COMING_STATUSES),
                    "pc_facility": rng.choice(facilities).id,
                    "pc_billing_location": rng.choice(billing),
                    "pc_aid": rng.choice(providers) if providers else None,
                    "pc_time": datetime.combine(min(day, today) - timedelta(days=rng.randint(1, 30)),
                                                time(9)),
                    "pc_informant": None, "pc_eventstatus": 1, "pc_sharing": 1, "pc_room": "",
                    "pc_endDate": None,
                })
        with site.db.write() as s:
            s.connection().execute(Appointment.__table__.insert(), rows)
        added += len(rows)
    return added


# Encounter forms of the demo encounters: a vitals form and a SOAP note each, linked by
# `forms` (OpenEMR's formdir `vitals` and `soap`). Measurements in OpenEMR's units.
SOAP_NOTES = [
    ("Reports feeling well; here for a routine check.", "Alert, in no distress. Heart and lungs clear.",
     "Healthy adult.", "Continue current habits; return in one year."),
    ("Dry cough and low fever for three days.", "Mild pharyngeal redness; lungs clear.",
     "Viral upper respiratory infection.", "Fluids, rest, paracetamol as needed; return if worse."),
    ("Home blood pressure readings around 150/95.", "Blood pressure elevated on two readings.",
     "Essential hypertension, not at goal.", "Increase lisinopril; recheck in four weeks."),
    ("Low back pain after lifting, no numbness.", "Paraspinal tenderness; straight-leg raise negative.",
     "Mechanical low back pain.", "Heat, stretching, ibuprofen; physiotherapy if not better."),
    ("Sugars mostly under 150 fasting.", "Feet normal on monofilament test.",
     "Type 2 diabetes, fair control.", "Continue metformin; HbA1c in three months."),
    ("Itchy rash on both forearms for a week.", "Red papules on the forearms; no blisters.",
     "Contact dermatitis.", "Topical hydrocortisone; avoid the new detergent."),
]
TEMP_METHODS = ["Oral", "Oral", "Tympanic", "Temporal artery", "Axillary"]


def _bmi_status(bmi: float) -> str:
    if bmi < 18.5:
        return "Underweight"
    if bmi < 25:
        return "Normal"
    return "Overweight" if bmi < 30 else "Obese"


def demo_encounter_forms(site: Site, *, seed: int = 7, batch: int = 5000) -> dict:
    """A vitals form and a SOAP note, each linked to its encounter by a `forms` row, for
    every numbered encounter that has no forms yet: every encounter's vital and soap_note
    lists hold a row. Returns how many of each were added."""
    from emr_api.db.models import EncounterForm, SoapNote, Vital, new_uuid

    rng = random.Random(f"{seed}-forms")
    made = {"vitals": 0, "soap_notes": 0}
    linked = select(EncounterForm.id).where(EncounterForm.pid == Encounter.pid,
                                            EncounterForm.encounter == Encounter.encounter)
    after = 0
    while True:
        with site.db.write() as s:
            visits = s.execute(
                select(Encounter.eid, Encounter.pid, Encounter.encounter, Encounter.date)
                .where(Encounter.eid > after, Encounter.encounter.is_not(None), ~linked.exists())
                .order_by(Encounter.eid).limit(batch)).all()
            if not visits:
                return made
            after = visits[-1].eid
            vitals, notes = [], []
            for visit in visits:
                weight, height = round(rng.uniform(110, 260), 1), round(rng.uniform(60, 76), 1)
                bmi = round(703 * weight / height ** 2, 1)
                common = {"uuid": new_uuid(), "pid": visit.pid, "date": visit.date,
                          "user": "admin", "groupname": "Default", "authorized": True,
                          "activity": True}
                vitals.append({
                    **common, "bps": str(rng.randint(100, 150)), "bpd": str(rng.randint(60, 95)),
                    "weight": weight, "height": height, "BMI": bmi, "BMI_status": _bmi_status(bmi),
                    "temperature": round(rng.uniform(97.0, 99.5), 1),
                    "temp_method": rng.choice(TEMP_METHODS), "pulse": rng.randint(55, 100),
                    "respiration": rng.randint(12, 20), "oxygen_saturation": rng.randint(94, 100),
                    "waist_circ": round(rng.uniform(26, 48), 1), "head_circ": None, "note": None,
                    "last_updated": visit.date})
                subjective, objective, assessment, plan = rng.choice(SOAP_NOTES)
                notes.append({**common, "uuid": new_uuid(), "subjective": subjective,
                              "objective": objective, "assessment": assessment, "plan": plan})
            conn = s.connection()
            forms = []
            for model, rows, formdir, name in ((Vital, vitals, "vitals", "Vitals"),
                                               (SoapNote, notes, "soap", "SOAP")):
                conn.execute(model.__table__.insert(), rows)
                ids = dict(conn.execute(select(model.uuid, model.id).where(
                    model.uuid.in_([row["uuid"] for row in rows]))).all())
                forms += [{"date": row["date"], "encounter": visit.encounter,
                           "form_name": name, "form_id": ids[row["uuid"]], "pid": visit.pid,
                           "user": "admin", "groupname": "Default", "authorized": True,
                           "deleted": False, "formdir": formdir}
                          for visit, row in zip(visits, rows)]
            conn.execute(EncounterForm.__table__.insert(), forms)
            made["vitals"] += len(vitals)
            made["soap_notes"] += len(notes)
