"""Demo data: OpenEMR's demo credentials and realistic synthetic records.

FOR DEMONSTRATION ONLY: the demo users have well-known passwords."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from emr_api.db.models import Encounter, Facility, Issue, Patient, Practitioner, User
from emr_api.auth.passwords import hash_password
from emr_api.cli.demo_documents_fhir import demo_documents_fhir
from emr_api.cli.demo_people import demo_people
from emr_api.cli.demo_meds import demo_meds
from emr_api.cli.demo_care import demo_care
from emr_api.cli.demo_categories import demo_categories
from emr_api.sites import Site
from emr_api.cli import demo_orders

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
    made.update(demo_immunizations_procedures(site, seed=seed))
    made.update(demo_orders.demo_orders(site, seed=seed))
    made.update(demo_drugs_prescriptions(site, seed=seed))
    made.update(demo_background_services(site, seed=seed))
    made.update(demo_documents(site, seed=seed))
    made.update(demo_documents_fhir(site, seed=seed))
    made.update(demo_insurance(site, seed=seed))
    made.update(demo_messages_transactions(site, seed=seed))
    made.update(demo_people(site, seed=seed))
    made.update(demo_meds(site, seed=seed))
    made.update(demo_care(site, seed=seed))
    made.update(demo_categories(site, seed=seed))
    analyze(site)
    return made


def analyze(site: Site) -> None:
    """Refresh the planner's statistics after a bulk load, so searches use their indexes
    at once instead of after the database's own next pass."""
    tables = ("patient_data", "form_encounter", "lists", "openemr_postcalendar_events",
              "forms", "form_vitals", "form_soap", "drug_sales", "questionnaire_response",
              "form_care_plan", "care_teams", "care_team_member", "procedure_specimen",
              "history_data", "issue_encounter")
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


# Messages between the demo users about a patient (OpenEMR's pnotes), as (note type,
# status, text), and referrals (transactions of layout LBTref), as (reason, diagnosis),
# for one patient in MESSAGE_EVERY.
MESSAGE_EVERY = 5
DEMO_MESSAGES = [
    ("Lab Results", "New", "Lipid panel is back, LDL 162. Please call the patient to discuss."),
    ("Pharmacy", "Read", "The pharmacy asks for a 90-day supply of the current prescription."),
    ("Insurance", "Done", "Prior authorization approved through the end of the year."),
    ("Test Scheduling", "New", "Please book an echocardiogram within two weeks."),
    ("Chart Note", "Forwarded", "The patient called about dizziness since the dose change."),
    ("Patient Reminders", "New", "The annual wellness visit is due next month."),
]
REFERRALS = [("Chest pain on exertion", "ICD10:I20.9"),
             ("Persistent knee pain", "ICD10:M25.561"),
             ("Poorly controlled diabetes", "ICD10:E11.65"),
             ("Suspicious skin lesion", "ICD10:D48.5"),
             ("Recurrent migraines", "ICD10:G43.909")]
# The practitioners the referral example of the API's documentation names: the demo
# physician who refers, and an outside cardiologist. (fname, lname, npi, specialty)
REFERRAL_PRACTITIONERS = [("Jamie", "Moreno", "1234567893", "Family Medicine"),
                          ("Dana", "Whitfield", "1987654325", "Cardiology")]


def demo_messages_transactions(site: Site, *, seed: int = 7, batch: int = 5000) -> dict:
    """One or two messages between the demo users and a referral to another practitioner,
    for every fifth patient (by pid) who has no message yet; and the two practitioners the
    documented referral example names, if missing. Returns how many of each were added."""
    from datetime import time

    from emr_api.db.models import PatientMessage, Transaction, new_uuid

    rng = random.Random(f"{seed}-messages")
    today = date.today()
    with site.db.write() as s:
        known = set(s.execute(select(Practitioner.npi)).scalars())
        s.add_all(Practitioner(fname=fname, lname=lname, npi=npi, specialty=specialty,
                               title="Dr.", active=True)
                  for fname, lname, npi, specialty in REFERRAL_PRACTITIONERS if npi not in known)
        s.flush()
        providers = s.execute(select(Practitioner.id).order_by(Practitioner.id)).scalars().all()
        users = s.execute(select(User.username).where(
            User.username.in_([user[0] for user in DEMO_USERS])).order_by(User.id)).scalars().all()
        messaged = select(PatientMessage.id).where(PatientMessage.pid == Patient.pid).exists()
        pids = s.execute(select(Patient.pid).where(Patient.pid % MESSAGE_EVERY == 0, ~messaged)
                         .order_by(Patient.pid)).scalars().all()
    made = {"messages": 0, "transactions": 0}
    if len(users) < 2 or len(providers) < 2:
        return made
    for start in range(0, len(pids), batch):
        messages, referrals = [], []
        for pid in pids[start:start + batch]:
            for _ in range(rng.randint(1, 2)):
                title, status, text = rng.choice(DEMO_MESSAGES)
                sender, recipient = rng.sample(users, 2)
                sent = datetime.combine(today - timedelta(days=rng.randint(0, 365)),
                                        time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))))
                messages.append({
                    "uuid": new_uuid(), "pid": pid, "date": sent, "update_date": sent,
                    "body": f"\n{sent:%Y-%m-%d %H:%M} ({sender} to {recipient}) {text}",
                    "user": sender, "assigned_to": recipient, "groupname": "Default",
                    "title": title, "message_status": status, "activity": True,
                    "authorized": True, "deleted": False})
            reason, diagnosis = rng.choice(REFERRALS)
            referred = today - timedelta(days=rng.randint(0, 365))
            by, to = rng.sample(providers, 2)
            referrals.append({
                "uuid": new_uuid(), "pid": pid, "title": "LBTref", "groupname": "Default",
                "date": datetime.combine(referred, time(12)), "authorized": True,
                "body": reason, "refer_date": referred, "refer_diag": diagnosis,
                "refer_from": by, "refer_to": to,
                "refer_risk_level": rng.choice(("low", "medium", "high")),
                "refer_vitals": rng.random() < 0.5, "refer_authorization": None,
                "refer_visits": rng.randint(1, 6), "refer_validFrom": referred,
                "refer_validThrough": referred + timedelta(days=180)})
        with site.db.write() as s:
            s.connection().execute(PatientMessage.__table__.insert(), messages)
            s.connection().execute(Transaction.__table__.insert(), referrals)
        made["messages"] += len(messages)
        made["transactions"] += len(referrals)
    return made


# Insurance: the payers (name, insurance type id, payer id, plans, city index), the
# employers patients work for, and the copays policies carry.
INSURERS = [
    ("Blue Cross Blue Shield of Illinois", 6, "00621", ["Blue Choice PPO", "Blue Advantage HMO"], 0),
    ("Medicare Part B", 2, "00952", ["Original Medicare"], 0),
    ("Illinois Medicaid", 3, "77046", ["Medicaid Standard"], 0),
    ("Aetna", 17, "60054", ["Aetna Choice POS II", "Aetna Open Access"], 2),
    ("UnitedHealthcare", 17, "87726", ["Choice Plus", "Navigate HMO"], 3),
    ("Cigna", 17, "62308", ["Open Access Plus", "LocalPlus"], 1),
]
EMPLOYERS = ["Riverside Hospital", "Lakeview School District", "Acme Logistics",
             "Green Valley Foods", "City of Springfield", "Northwind Traders", "Contoso Ltd",
             "Summit Engineering", "Harbor Credit Union", "Self-employed"]
COPAYS = ["10", "20", "25", "30", "40"]


def _share(pid: int, salt: int) -> float:
    """A number in [0, 1) fixed by a patient's pid: who gets what does not depend on the
    order or the number of runs."""
    return ((pid * 2654435761 + salt * 40503) % 4294967291) / 4294967291


def demo_insurance(site: Site, *, seed: int = 7, batch: int = 5000) -> dict:
    """Insurance companies (once), and for every patient with neither a policy nor
    employer data yet: a primary policy for most (the subscriber is the patient, or for
    some a spouse or a parent), a secondary for about one in five of those, and employer
    data for about two in five adults; the demo portal patient always gets a primary
    policy and an employer. Who gets what depends on the pid only, so a second run adds
    nothing to the patients of the first. Returns how many of each were added."""
    from emr_api.db.models import EmployerData, InsuranceCompany, InsurancePolicy, new_uuid

    rng = random.Random(f"{seed}-insurance")
    today = date.today()
    adult_born = today - timedelta(days=18 * 365)
    with site.db.write() as s:
        if s.execute(select(InsuranceCompany.id).limit(1)).first() is None:
            for name, type_code, cms_id, _, city in INSURERS:
                town, state, zip_ = CITIES[city]
                s.add(InsuranceCompany(name=name, ins_type_code=type_code, cms_id=cms_id,
                                       attn="Claims", line1=f"PO Box {rng.randint(1000, 9999)}",
                                       city=town, state=state, zip=zip_, country="USA"))
            s.flush()
        by_name = {name: names for name, _, _, names, _ in INSURERS}
        plans = {company.id: by_name.get(company.name, ["Standard"])
                 for company in s.execute(select(InsuranceCompany)).scalars()}
        insured = select(InsurancePolicy.id).where(InsurancePolicy.pid == Patient.pid).exists()
        employed = select(EmployerData.id).where(EmployerData.pid == Patient.pid).exists()
        people = s.connection().execute(
            select(Patient.pid, Patient.fname, Patient.lname, Patient.DOB, Patient.sex,
                   Patient.ss, Patient.street, Patient.city, Patient.state,
                   Patient.postal_code, Patient.phone_home, Patient.portal_username)
            .where(~insured, ~employed).order_by(Patient.pid)).all()
    payers = sorted(plans)
    made = {"insurance_policies": 0, "employers": 0}

    def pick(options):  # rng.choice, at half its cost (thousands of rows a second)
        return options[int(rng.random() * len(options))]

    def policy(person, type_: str, payer: int, relationship: str) -> dict:
        """A policy row; columns left out (the subscriber's employer's address, the end
        date, a middle name) are null."""
        if relationship == "self":
            first, born, ss, sex = person.fname, person.DOB, person.ss, person.sex
        else:  # a spouse (about the patient's age), or a parent of a child (20-35 years older)
            sex = ("Female" if person.sex == "Male" else "Male") if relationship == "spouse" \
                else pick(("Male", "Female"))
            years = rng.uniform(-4, 4) if relationship == "spouse" else -rng.uniform(20, 35)
            first = pick(FIRST[sex])
            born = min(person.DOB + timedelta(days=int(years * 365)), today)
            ss = f"{int(100 + rng.random() * 800)}-{int(10 + rng.random() * 90)}-" \
                 f"{int(1000 + rng.random() * 9000)}"
        return {
            "uuid": new_uuid(), "pid": person.pid, "type": type_, "provider": payer,
            "plan_name": pick(plans[payer]),
            "policy_number": f"{pick('ABCHJKMW')}{int(1e8 + rng.random() * 9e8)}",
            "group_number": str(int(10000 + rng.random() * 990000)),
            "subscriber_fname": first, "subscriber_lname": person.lname,
            "subscriber_relationship": relationship, "subscriber_ss": ss,
            "subscriber_DOB": born, "subscriber_sex": sex,
            "subscriber_street": person.street, "subscriber_postal_code": person.postal_code,
            "subscriber_city": person.city, "subscriber_state": person.state,
            "subscriber_country": "USA", "subscriber_phone": person.phone_home,
            "subscriber_employer": pick(EMPLOYERS), "copay": pick(COPAYS),
            "date": max(person.DOB, today - timedelta(days=int(30 + rng.random() * 3650))),
            "accept_assignment": True, "policy_type": "",
        }

    recorded = datetime.combine(today, datetime.min.time())
    for begin in range(0, len(people), batch):
        policies, jobs = [], []
        for person in people[begin:begin + batch]:
            phil = person.portal_username == DEMO_PORTAL_PATIENT["portal_username"]
            adult = person.DOB <= adult_born
            if phil or _share(person.pid, 1) < 0.85:
                relationship = ("self" if phil or _share(person.pid, 2) < 0.8 else "spouse") \
                    if adult else "child"
                first = payers[int(_share(person.pid, 3) * len(payers))]
                policies.append(policy(person, "primary", first, relationship))
                if _share(person.pid, 4) < 0.2 and len(payers) > 1:
                    second = payers[(payers.index(first) + 1) % len(payers)]
                    policies.append(policy(person, "secondary", second,
                                           "spouse" if adult else "child"))
            if adult and (phil or _share(person.pid, 5) < 0.4):
                town, state, zip_ = pick(CITIES)
                jobs.append({"uuid": new_uuid(), "pid": person.pid,
                             "name": pick(EMPLOYERS),
                             "street": f"{int(1 + rng.random() * 9998)} {pick(STREETS)}",
                             "postal_code": zip_, "city": town, "state": state,
                             "country": "USA", "date": recorded,
                             "start_date": today - timedelta(days=int(90 + rng.random() * 5400))})
        with site.db.write() as s:
            if policies:
                s.connection().execute(InsurancePolicy.__table__.insert(), policies)
            if jobs:
                s.connection().execute(EmployerData.__table__.insert(), jobs)
        made["insurance_policies"] += len(policies)
        made["employers"] += len(jobs)
    return made


# Documents: for one patient in eight (pid 1, 9, 17, ...), a lab report (a one-page PDF,
# linked to their latest encounter) and a short note (text), in OpenEMR's default
# categories "Lab Report" (2) and "Medical Record" (3).
LAB_TESTS = [("Glucose, fasting", "mg/dL", 70, 130), ("Hemoglobin", "g/dL", 11, 17),
             ("Total cholesterol", "mg/dL", 140, 260), ("Creatinine", "mg/dL", 0.6, 1.4),
             ("TSH", "mIU/L", 0.4, 4.5)]
NOTES = ["Patient called to ask about test results; told they would be reviewed at the next visit.",
         "Records received from the previous clinic and filed.",
         "Discussed diet and exercise; patient agreed to a walking plan.",
         "Referral letter sent to physiotherapy."]


def _tiny_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF showing these ASCII lines, made by hand (no PDF library)."""
    shown = b" ".join(b"(%s) Tj T*" % line.replace("\\", "\\\\").replace("(", "\\(")
                      .replace(")", "\\)").encode("ascii", "replace") for line in lines)
    stream = b"BT /F1 12 Tf 16 TL 72 720 Td " + shown + b" ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
               b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, table)
    return bytes(pdf)


def demo_documents(site: Site, *, seed: int = 7, batch: int = 5000) -> dict:
    """A lab report and a note for every eighth patient (by pid) who has no documents yet,
    their bytes beside them. Returns how many documents were added."""
    import hashlib

    from emr_api.db.models import Document, DocumentContent, new_uuid

    rng = random.Random(f"{seed}-documents")
    today = date.today()
    with site.db.read() as s:
        owner = s.execute(select(User.id).where(User.username == "admin")).scalar()
        filed = select(Document.id).where(Document.pid == Patient.pid).exists()
        chosen = s.execute(select(Patient.pid, Patient.fname, Patient.lname)
                           .where(Patient.pid % 8 == 1, ~filed).order_by(Patient.pid)).all()
    added = 0
    for start in range(0, len(chosen), batch):
        group = chosen[start:start + batch]
        with site.db.write() as s:
            latest = dict(s.execute(select(Encounter.pid, func.max(Encounter.encounter))
                                    .where(Encounter.pid.in_([p.pid for p in group]))
                                    .group_by(Encounter.pid)).all())
            rows, contents = [], {}
            for patient in group:
                day = today - timedelta(days=rng.randint(0, 730))
                name = f"{patient.fname} {patient.lname}"
                results = [f"{test}: {round(rng.uniform(low, high), 1)} {unit}"
                           for test, unit, low, high in rng.sample(LAB_TESTS, 3)]
                for category, filename, mimetype, data, encounter in (
                        (2, f"lab-report-{day}.pdf", "application/pdf",
                         _tiny_pdf([f"Lab report for {name}", f"Collected {day}", *results]),
                         latest.get(patient.pid)),
                        (3, f"note-{day}.txt", "text/plain",
                         f"{day} - {name}\n{rng.choice(NOTES)}\n".encode(), None)):
                    uuid = new_uuid()
                    contents[uuid] = data
                    rows.append({"uuid": uuid, "pid": patient.pid, "category_id": category,
                                 "encounter": encounter, "filename": filename,
                                 "mimetype": mimetype, "size": len(data),
                                 "hash": hashlib.sha256(data).hexdigest(), "docdate": day,
                                 "date": datetime.combine(day, datetime.min.time())
                                 + timedelta(hours=rng.randint(8, 17)), "owner_id": owner})
            conn = s.connection()
            conn.execute(Document.__table__.insert(), rows)
            ids = conn.execute(select(Document.uuid, Document.id)
                               .where(Document.uuid.in_(list(contents)))).all()
            conn.execute(DocumentContent.__table__.insert(),
                         [{"document_id": id_, "part": 0, "data": contents[uuid]}
                          for uuid, id_ in ids])
        added += len(rows)
    return {"documents": added}


def demo_background_services(site: Site, *, seed: int = 7) -> dict:
    """Every background service that is due, run once, so that their list shows a last run
    and what it did. A service is due again only after its interval, so a second load soon
    after runs none. Nothing here is random (`seed` is for the common signature)."""
    from emr_api.services import background

    outcomes = background.run_due(site, budget=30.0)
    return {"background_runs": sum(o.status == background.EXECUTED for o in outcomes)}


# The formulary the demo prescribes from: (name, RxNorm code, form, strength, unit, route,
# interval, dosage, quantity, directions); form, unit, route and interval are option ids of
# OpenEMR's drug lists. The names are the demo medications' (ISSUES), so a patient's listed
# medication gets its prescription. No NDCs, and no RxNorm code that could not be checked.
FORMULARY = [
    ("Lisinopril 10 mg tablet", "314076", "2", "10", "1", "1", "9", "1", "30",
     "Take 1 tablet by mouth once a day."),
    ("Metformin 500 mg tablet", "861007", "2", "500", "1", "1", "1", "1", "60",
     "Take 1 tablet by mouth twice a day with meals."),
    ("Atorvastatin 20 mg tablet", "617310", "2", "20", "1", "1", "16", "1", "30",
     "Take 1 tablet by mouth at bedtime."),
    ("Amoxicillin 500 mg capsule", "308191", "3", "500", "1", "1", "2", "1", "30",
     "Take 1 capsule by mouth three times a day for 10 days."),
    ("Albuterol inhaler", "745679", "12", "90", "7", "inhale", "17", "2", "1",
     "Inhale 2 puffs every 4 to 6 hours as needed for wheezing."),
    ("Omeprazole 20 mg capsule", None, "3", "20", "1", "1", "9", "1", "30",
     "Take 1 capsule by mouth before breakfast."),
    ("Levothyroxine 50 mcg tablet", None, "2", "50", "7", "1", "9", "1", "30",
     "Take 1 tablet by mouth every morning on an empty stomach."),
]
# The short course some patients were given and finished.
COURSE = "Amoxicillin 500 mg capsule"
# Salts of `_share` for who gets the course, and (times a drug's place in FORMULARY plus
# one) who gets a prescription for a listed medication: a re-run draws the same.
COURSE_SALT, PRESCRIBED_SALT = 7717, 7919


def demo_drugs_prescriptions(site: Site, *, seed: int = 7, batch: int = 5000) -> dict:
    """The formulary (the drugs not there yet), and for every patient with no prescription
    yet: a prescription for most of their listed medications (written the day the
    medication began, ending when it ended), and for about one in ten a finished ten-day
    course of amoxicillin. Returns how many drugs and prescriptions were added."""
    from datetime import time

    from emr_api.db.models import Drug, Prescription, new_uuid, utcnow

    rng = random.Random(f"{seed}-prescriptions")
    today = date.today()
    with site.db.write() as s:
        known = set(s.execute(select(Drug.name)).scalars())
        new = [Drug(name=name, drug_code=code, form=form, size=size, unit=unit, route=route)
               for name, code, form, size, unit, route, *_ in FORMULARY if name not in known]
        s.add_all(new)
        s.flush()
        # name -> (drug_id, drug_code, form, size, unit, route)
        drugs = {name: rest for name, *rest in s.execute(select(
            Drug.name, Drug.drug_id, Drug.drug_code, Drug.form, Drug.size, Drug.unit,
            Drug.route).where(Drug.name.in_([row[0] for row in FORMULARY])))}
        prescribed = select(Prescription.id).where(Prescription.patient_id == Issue.pid).exists()
        listed = s.execute(
            select(Issue.pid, Issue.title, Issue.begdate, Issue.enddate, Issue.diagnosis)
            .where(Issue.type == "medication", Issue.title.in_(list(drugs)), ~prescribed)
            .order_by(Issue.pid, Issue.id)).all()
        providers = s.execute(select(Practitioner.id).order_by(Practitioner.id)).scalars().all()
    made = {"drugs": len(new), "prescriptions": 0}
    if not providers:
        return made
    directions = {row[0]: row[6:] for row in FORMULARY}  # interval, dosage, quantity, words
    now = utcnow().replace(microsecond=0)

    def prescription(pid, name, begins: date, ends: date | None, diagnosis, active=True):
        drug_id, code, form, size, unit, route = drugs[name]
        interval, dosage, quantity, words = directions[name]
        written = datetime.combine(begins, time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))))
        return {"uuid": new_uuid(), "patient_id": pid, "provider_id": rng.choice(providers),
                "drug": name, "drug_id": drug_id, "rxnorm_drugcode": code,
                "form": form, "dosage": dosage, "quantity": quantity, "size": size,
                "unit": unit, "route": route, "interval": interval,
                "refills": rng.randint(0, 5),
                "date_added": written, "date_modified": now, "start_date": begins,
                "end_date": ends, "active": active, "medication": True,
                "diagnosis": diagnosis, "drug_dosage_instructions": words,
                "usage_category": "community", "request_intent": "order"}

    def insert(rows: list[dict]) -> None:
        with site.db.write() as s:
            s.connection().execute(Prescription.__table__.insert(), rows)
        made["prescriptions"] += len(rows)

    place = {row[0]: i + 1 for i, row in enumerate(FORMULARY)}
    rows, previous = [], None
    for pid, title, begdate, enddate, diagnosis in listed:
        if pid != previous and COURSE in drugs and _share(pid, COURSE_SALT) < 0.1:
            begins = today - timedelta(days=rng.randint(15, 3 * 365))
            rows.append(prescription(pid, COURSE, begins, begins + timedelta(days=10), None))
        previous = pid
        if _share(pid, PRESCRIBED_SALT * place[title]) < 0.85:
            # An ended medication was stopped about half the time, else it ran its course.
            rows.append(prescription(pid, title, begdate or today, enddate, diagnosis,
                                     active=enddate is None or rng.random() < 0.5))
        if len(rows) >= batch:
            insert(rows)
            rows = []
    if rows:
        insert(rows)
    return made


# Immunizations and lab orders. Vaccines by CVX code: (manufacturers, dose in mL, route).
VACCINES = {
    "08": (["Merck and Co., Inc.", "GlaxoSmithKline"], 0.5, "intramuscular"),
    "20": (["Sanofi Pasteur", "GlaxoSmithKline"], 0.5, "intramuscular"),
    "10": (["Sanofi Pasteur"], 0.5, "intramuscular"),
    "03": (["Merck and Co., Inc."], 0.5, "subcutaneous"),
    "21": (["Merck and Co., Inc."], 0.5, "subcutaneous"),
    "150": (["Sanofi Pasteur", "Seqirus", "GlaxoSmithKline"], 0.5, "intramuscular"),
    "197": (["Sanofi Pasteur"], 0.7, "intramuscular"),
    "208": (["Pfizer, Inc"], 0.3, "intramuscular"),
    "207": (["Moderna US, Inc."], 0.5, "intramuscular"),
    "115": (["GlaxoSmithKline", "Sanofi Pasteur"], 0.5, "intramuscular"),
    "43": (["Merck and Co., Inc.", "GlaxoSmithKline"], 1.0, "intramuscular"),
    "187": (["GlaxoSmithKline"], 0.5, "intramuscular"),
    "33": (["Merck and Co., Inc."], 0.5, "intramuscular"),
    "133": (["Pfizer, Inc"], 0.5, "intramuscular"),
}
# Who gave a vaccine recorded from elsewhere (information source `other_provider`).
ELSEWHERE = ["CVS Pharmacy", "Walgreens Pharmacy", "County Health Department",
             "Previous primary care office"]
LOT_PREFIXES = ["EK", "EW", "FA", "FL", "GH", "UJ", "AC", "KD", "MU", "LW"]
# Lab panels: (LOINC code, name, specimen (HL7 0487), fasting, order diagnosis, results);
# a result is (LOINC code, name, UCUM unit, low, high, decimals), None for an open bound.
LAB_PANELS = [
    ("58410-2", "CBC panel - Blood by Automated count", "BLD", False, "ICD10:Z00.00", [
        ("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 4.5, 11.0, 1),
        ("789-8", "Erythrocytes [#/volume] in Blood by Automated count", "10*6/uL", 4.2, 5.9, 2),
        ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12.0, 17.5, 1),
        ("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%", 36.0, 52.0, 1),
        ("787-2", "MCV [Entitic volume] by Automated count", "fL", 80.0, 100.0, 0),
        ("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 150.0, 400.0, 0),
    ]),
    ("51990-0", "Basic metabolic panel - Blood", "SER", True, "ICD10:I10", [
        ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70.0, 99.0, 0),
        ("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", 7.0, 20.0, 0),
        ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.3, 2),
        ("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 135.0, 145.0, 0),
        ("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.5, 5.1, 1),
        ("2075-0", "Chloride [Moles/volume] in Serum or Plasma", "mmol/L", 98.0, 107.0, 0),
        ("2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma", "mmol/L",
         22.0, 29.0, 0),
        ("17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL", 8.6, 10.3, 1),
    ]),
    ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "BLD", False, "ICD10:E11.9", [
        ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.0, 5.6, 1),
    ]),
    ("24331-1", "Lipid 1996 panel - Serum or Plasma", "SER", True, "ICD10:E78.5", [
        ("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", None, 199.0, 0),
        ("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "mg/dL", None, 149.0, 0),
        ("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL", 40.0, None, 0),
        ("13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation",
         "mg/dL", None, 99.0, 0),
    ]),
]
DEMO_LAB = "Springfield Reference Laboratory"


def _vaccinations(rng: random.Random, dob: date, today: date, visits: list) -> list[tuple]:
    """(CVX code, when, encounter) of some vaccines a patient born on `dob` had: of the
    childhood series, influenza in the last three seasons (high dose from 65), the COVID-19
    series of 2021, Tdap, and by age hepatitis B, zoster and pneumococcal. A visit within
    six weeks lends its time and encounter. About one and a half for a patient, on average."""
    chance = rng.random
    age = (today - dob).days // 365
    due = []
    if age < 18:
        due += [(cvx, dob + timedelta(days=days + int(chance() * 14)))
                for cvx, days in (("08", 0), ("20", 61), ("10", 61), ("03", 365), ("21", 365))
                if chance() < 0.35]
    flu = "197" if age >= 65 else "150"
    due += [(flu, date(today.year - season, 9 + int(chance() * 3), 1 + int(chance() * 28)))
            for season in (1, 2, 3) if chance() < 0.2 and today.year - season > dob.year]
    if age >= 21 and chance() < 0.15:
        first = date(2021, 3 + int(chance() * 4), 1 + int(chance() * 28))
        vaccine, gap = ("208", 21) if chance() < 0.6 else ("207", 28)
        due += [(vaccine, first), (vaccine, first + timedelta(days=gap))]
    if age >= 19 and chance() < 0.15:
        due.append(("115", today - timedelta(days=30 + int(chance() * 3600))))
    if 19 <= age < 60 and chance() < 0.05:
        first = today - timedelta(days=200 + int(chance() * 2800))
        due += [("43", first + timedelta(days=days)) for days in (0, 30, 180)]
    if age >= 50 and chance() < 0.25:
        due.append(("187", today - timedelta(days=30 + int(chance() * 1500))))
    if age >= 65 and chance() < 0.4:
        due.append(("33" if chance() < 0.5 else "133",
                    today - timedelta(days=30 + int(chance() * 2000))))
    given = []
    for cvx, day in due:
        if dob <= day <= today:
            visit = next((v for v in visits if abs((v.date.date() - day).days) < 45), None)
            when = (visit.date if visit else datetime(day.year, day.month, day.day, 9)) \
                + timedelta(minutes=20 + int(chance() * 300))
            given.append((cvx, when, visit))
    return given


def _immunization_row(rng: random.Random, pid: int, dob: date, cvx: str, when: datetime,
                      visit, recent: date, providers: list, recorder) -> dict:
    """One `immunizations` row: given here (with a practitioner, a lot, a site and a dose),
    recorded from elsewhere, now and then refused or entered in error."""
    from emr_api.db.models import new_uuid

    chance = rng.random
    manufacturers, dose, route = VACCINES[cvx]
    infant = (when.date() - dob).days < 365
    side = "left" if chance() < 0.5 else "right"
    if route == "subcutaneous":
        site = f"{side}_thigh" if infant else f"{side}_arm"
    else:
        site = f"{side}_vastus_lateralis" if infant else f"{side}_deltoid"
    here = visit is not None or when.date() >= recent
    by = (visit.provider_id if visit is not None and visit.provider_id
          else providers[int(chance() * len(providers))])
    row = {"uuid": new_uuid(), "patient_id": pid, "administered_date": when, "cvx_code": cvx,
           "manufacturer": manufacturers[int(chance() * len(manufacturers))],
           "lot_number": f"{LOT_PREFIXES[int(chance() * len(LOT_PREFIXES))]}"
                         f"{1000 + int(chance() * 9000)}",
           "administered_by_id": by if here else None,
           "administered_by": None if here else ELSEWHERE[int(chance() * len(ELSEWHERE))],
           "education_date": when.date() if here else None, "note": None,
           "create_date": when if here else when + timedelta(days=1 + int(chance() * 400)),
           "created_by": recorder, "amount_administered": dose,
           "amount_administered_unit": "mL",
           "expiration_date": when.date() + timedelta(days=90 + int(chance() * 450)),
           "route": route, "administration_site": site, "added_erroneously": False,
           "completion_status": "Completed",
           "information_source": "new_immunization_record" if here else "other_provider",
           "refusal_reason": None, "ordering_provider": by if here else None,
           "encounter_id": visit.encounter if visit is not None else None}
    odds = chance()
    if here and odds < 0.04:  # declined at the visit: nothing was given
        row.update(completion_status="Refused", lot_number=None, manufacturer=None,
                   amount_administered=None, amount_administered_unit=None,
                   expiration_date=None, route=None, administration_site=None,
                   administered_by_id=None, education_date=None,
                   refusal_reason="parental_decision" if (when.date() - dob).days < 18 * 365
                   else "patient_decision")
    elif odds > 0.995:
        row.update(added_erroneously=True, note="Recorded on the wrong chart")
    row["update_date"] = row["create_date"]
    return row


def _reference_range(low: float | None, high: float | None) -> str:
    """A reference range as laboratories write it: `4.5-11`, `>=40`, `<=199`."""
    if low is not None and high is not None:
        return f"{low:g}-{high:g}"
    return f">={low:g}" if low is not None else f"<={high:g}"


def _lab_order(rng: random.Random, pid: int, visit, providers: list, lab: int, today: date):
    """One lab order of one or two panels; a report with results for each panel unless it
    is still pending. Returns the order row and its [(code row, report row, result rows)]."""
    from emr_api.db.models import new_uuid

    ordered = (visit.date if visit is not None else datetime.combine(
        today - timedelta(days=rng.randint(1, 700)), datetime.min.time()) + timedelta(hours=9))
    panels = rng.sample(LAB_PANELS, 2 if rng.random() < 0.2 else 1)
    pending = (today - ordered.date()).days < 3 or rng.random() < 0.08
    collected = ordered + timedelta(minutes=rng.randint(15, 90))
    fasting = any(panel[3] for panel in panels)
    order = {"uuid": new_uuid(), "patient_id": pid,
             "provider_id": visit.provider_id if visit is not None and visit.provider_id
             else rng.choice(providers),
             "encounter_id": visit.encounter if visit is not None else None,
             "date_ordered": ordered, "date_collected": None if pending else collected,
             "date_transmitted": ordered + timedelta(minutes=5),
             "order_priority": "high" if rng.random() < 0.05 else "normal",
             "order_status": "pending" if pending else "complete",
             "patient_instructions": "Fast for 8-12 hours before the blood draw."
             if fasting else None,
             "lab_id": lab, "specimen_type": panels[0][2],
             "specimen_fasting": "YES" if fasting else None,
             "control_id": str(rng.randint(10 ** 8, 10 ** 9 - 1)),
             "order_diagnosis": ";".join(dict.fromkeys(panel[4] for panel in panels))}
    tests = []
    for seq, (code, name, _, _, diagnosis, results) in enumerate(panels, start=1):
        test = {"procedure_order_seq": seq, "procedure_code": code, "procedure_name": name,
                "procedure_order_title": name, "procedure_type": "laboratory_test",
                "diagnoses": diagnosis}
        if pending:
            tests.append((test, None, []))
            continue
        reported = collected + timedelta(hours=rng.randint(4, 30))
        report = {"uuid": new_uuid(), "procedure_order_seq": seq, "date_collected": collected,
                  "date_report": reported, "report_status": "final",
                  "specimen_num": f"SRL{rng.randint(10 ** 6, 10 ** 7 - 1)}",
                  "review_status": "reviewed"}
        values = []
        for loinc, text, unit, low, high, decimals in results:
            middle = ((low or high * 0.6) + (high or low * 1.6)) / 2
            value = round(rng.gauss(middle, middle * 0.18), decimals)
            abnormal = ("high" if high is not None and value > high else
                        "low" if low is not None and value < low else "no")
            values.append({"uuid": new_uuid(), "result_data_type": "N", "result_code": loinc,
                           "result_text": text, "date": collected, "facility": DEMO_LAB,
                           "units": unit, "result": f"{max(value, 0):.{decimals}f}",
                           "range": _reference_range(low, high),
                           "abnormal": abnormal, "result_status": "final"})
        tests.append((test, report, values))
    return order, tests


def _demo_lab(session) -> int:
    """The demo laboratory and its catalogue (each panel an orderable test with its
    results), made once; returns the laboratory's ppid."""
    from emr_api.db.models import ProcedureProvider, ProcedureType

    lab = session.execute(select(ProcedureProvider).where(
        ProcedureProvider.name == DEMO_LAB)).scalar()
    if lab is not None:
        return lab.ppid
    lab = ProcedureProvider(name=DEMO_LAB, npi="1234567893", type="laboratory", active=True)
    session.add(lab)
    session.flush()
    for seq, (code, name, specimen, _, _, results) in enumerate(LAB_PANELS, start=1):
        test = ProcedureType(name=name[:63], lab_id=lab.ppid, procedure_code=code,
                             procedure_type="ord", specimen=specimen, description=name,
                             standard_code=f"LOINC:{code}", seq=seq)
        session.add(test)
        session.flush()
        session.add_all(ProcedureType(
            parent=test.procedure_type_id, name=text[:63], lab_id=lab.ppid, procedure_code=loinc,
            procedure_type="res", description=text, standard_code=f"LOINC:{loinc}",
            units=unit, range=_reference_range(low, high),
            seq=i) for i, (loinc, text, unit, low, high, _) in enumerate(results, start=1))
    return lab.ppid


def _insert_numbered(conn, model, rows: list[dict], key) -> dict[str, int]:
    """Insert rows that each carry a new uuid; answer their ids by uuid."""
    conn.execute(model.__table__.insert(), rows)
    return dict(conn.execute(select(model.uuid, key).where(
        model.uuid.in_([row["uuid"] for row in rows]))).all())


def _insert_orders(conn, orders: list) -> int:
    """Insert lab orders made by `_lab_order`, their tests, reports and results; answer
    how many results."""
    from emr_api.db.models import (
        ProcedureOrder,
        ProcedureOrderCode,
        ProcedureReport,
        ProcedureResult,
    )

    order_ids = _insert_numbered(conn, ProcedureOrder, [order for order, _ in orders],
                                 ProcedureOrder.procedure_order_id)
    tests = [(order_ids[order["uuid"]], test, report, values)
             for order, made in orders for test, report, values in made]
    conn.execute(ProcedureOrderCode.__table__.insert(),
                 [{**test, "procedure_order_id": order_id} for order_id, test, _, _ in tests])
    reported = [(order_id, report, values) for order_id, _, report, values in tests if report]
    if not reported:
        return 0
    report_ids = _insert_numbered(
        conn, ProcedureReport, [{**report, "procedure_order_id": order_id}
                                for order_id, report, _ in reported],
        ProcedureReport.procedure_report_id)
    results = [{**value, "procedure_report_id": report_ids[report["uuid"]]}
               for _, report, values in reported for value in values]
    conn.execute(ProcedureResult.__table__.insert(), results)
    return len(results)


def demo_immunizations_procedures(site: Site, *, seed: int = 7, batch: int = 5000) -> dict:
    """Immunizations for most patients (some of the vaccines their age calls for) and lab
    orders with reports and results for about one in fifteen (and every portal patient),
    for each patient who has neither yet; once practitioners exist. Orders and vaccines
    given here are linked to a visit near their date where there is one."""
    from emr_api.db.models import Immunization, ProcedureOrder

    rng = random.Random(f"{seed}-immunizations")
    today = date.today()
    recent = today - timedelta(days=3 * 365)  # before this, a vaccine was given elsewhere
    made = {"immunizations": 0, "procedure_orders": 0, "procedure_results": 0}
    with site.db.write() as s:
        providers = s.execute(select(Practitioner.id).order_by(Practitioner.id)).scalars().all()
        if not providers:
            return made
        lab = _demo_lab(s)
        recorder = s.execute(select(User.id).where(User.username == "admin")).scalar()
        vaccinated = select(Immunization.id).where(Immunization.patient_id == Patient.pid)
        ordered = select(ProcedureOrder.procedure_order_id).where(
            ProcedureOrder.patient_id == Patient.pid)
        patients = s.execute(select(Patient.pid, Patient.DOB, Patient.portal_username)
                             .where(~vaccinated.exists(), ~ordered.exists())
                             .order_by(Patient.pid)).all()
    for start in range(0, len(patients), batch):
        group = patients[start:start + batch]
        with site.db.write() as s:
            visits: dict[int, list] = {}
            for visit in s.execute(select(Encounter.pid, Encounter.encounter, Encounter.date,
                                          Encounter.provider_id)
                                   .where(Encounter.pid.in_([p.pid for p in group]),
                                          Encounter.encounter.is_not(None))
                                   .order_by(Encounter.eid)):
                visits.setdefault(visit.pid, []).append(visit)
            shots, orders = [], []
            for patient in group:
                seen = visits.get(patient.pid, [])
                shots += [_immunization_row(rng, patient.pid, patient.DOB, cvx, when, visit,
                                            recent, providers, recorder)
                          for cvx, when, visit in _vaccinations(rng, patient.DOB, today, seen)]
                if patient.portal_username or rng.random() < 0.06:
                    orders += [_lab_order(rng, patient.pid, rng.choice(seen) if seen else None,
                                          providers, lab, today)
                               for _ in range(rng.randint(1, 2))]
            conn = s.connection()
            if shots:
                conn.execute(Immunization.__table__.insert(), shots)
            if orders:
                made["procedure_results"] += _insert_orders(conn, orders)
            made["immunizations"] += len(shots)
            made["procedure_orders"] += len(orders)
    return made
