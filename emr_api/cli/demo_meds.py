"""Demo data of the meds family: drug sales (dispenses of the formulary drugs prescribed),
screening questionnaires, and patients' answers to them.

FOR DEMONSTRATION ONLY."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from emr_api.db.models import (
    DrugSale,
    Encounter,
    Practitioner,
    Prescription,
    QuestionnaireAnswers,
    QuestionnaireRecord,
    User,
    new_uuid,
)
from emr_api.sites import Site

# Who records a sale when no practitioner has a login (OpenEMR's users.username).
CLERK = "admin"
FILL_DAYS = 30  # a fill lasts a month; a refill follows it
DISPENSED_SALT = 8311  # `_share` salt: which prescriptions the clinic fills itself


def _share(key: int, salt: int) -> float:
    """A number in [0, 1) fixed by a key: what a row gets does not depend on the order or
    the number of runs."""
    return ((key * 2654435761 + salt * 40503) % 4294967291) / 4294967291


def _units(text: str | None) -> int:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return 1
    return int(value) if value.is_finite() and value >= 1 else 1


def demo_dispenses(site: Site, *, seed: int = 7, batch: int = 5000) -> int:
    """For about half the formulary prescriptions of patients with no sale yet: the first
    fill the day it starts, and up to two refills a month apart (before it ends, and not
    after today). Returns how many sales were added."""
    rng = random.Random(f"{seed}-dispenses")
    today = date.today()
    with site.db.read() as s:
        sold = select(DrugSale.sale_id).where(DrugSale.pid == Prescription.patient_id).exists()
        scripts = s.execute(
            select(Prescription.id, Prescription.patient_id, Prescription.drug_id,
                   Prescription.encounter, Prescription.start_date, Prescription.end_date,
                   Prescription.date_added, Prescription.refills, Prescription.quantity)
            .where(Prescription.drug_id.is_not(None), ~sold)
            .order_by(Prescription.id)).all()
        logins = s.execute(select(Practitioner.username).where(
            Practitioner.username.is_not(None)).order_by(Practitioner.id)).scalars().all()
    users = logins or [CLERK]
    added = 0
    rows: list[dict] = []

    def flush() -> None:
        nonlocal added, rows
        if rows:
            with site.db.write() as s:
                s.connection().execute(DrugSale.__table__.insert(), rows)
            added += len(rows)
            rows = []

    for (id_, pid, drug_id, encounter, start, end, written, refills,
         quantity) in scripts:
        if _share(id_, DISPENSED_SALT) >= 0.5:
            continue
        day = start or written.date()
        units = _units(quantity)
        for fill in range(1 + min(refills or 0, 2)):
            if day > today or (end is not None and day > end):
                break
            rows.append({
                "uuid": new_uuid(), "drug_id": drug_id, "inventory_id": 0,
                "prescription_id": id_, "pid": pid,
                "encounter": encounter if fill == 0 else None,
                "user": rng.choice(users), "sale_date": day, "quantity": units,
                "fee": round(rng.uniform(4, 40), 2), "billed": day < today,
                "xfer_inventory_id": 0, "distributor_id": 0, "notes": None,
                "selector": None, "trans_type": 1, "chargecat": None,
                "last_updated": datetime.combine(day, time(rng.randint(9, 17),
                                                           rng.choice((0, 20, 40)))),
            })
            day += timedelta(days=FILL_DAYS + rng.randint(-2, 5))
        if len(rows) >= batch:
            flush()
    flush()
    return added


# Screening questionnaires, by LOINC: (panel code, name, title, total score code, items).
# Each item is (LOINC code, question); every question is answered on the same scale.
LOINC = "http://loinc.org"
PHQ_ITEMS = [
    ("44250-9", "Little interest or pleasure in doing things"),
    ("44255-8", "Feeling down, depressed, or hopeless"),
    ("44259-0", "Trouble falling or staying asleep, or sleeping too much"),
    ("44254-1", "Feeling tired or having little energy"),
    ("44251-7", "Poor appetite or overeating"),
    ("44258-2", "Feeling bad about yourself - or that you are a failure or have let yourself "
                "or your family down"),
    ("44252-5", "Trouble concentrating on things, such as reading the newspaper or watching "
                "television"),
    ("44253-3", "Moving or speaking so slowly that other people could have noticed. Or the "
                "opposite - being so fidgety or restless that you have been moving around a "
                "lot more than usual"),
    ("44260-8", "Thoughts that you would be better off dead, or of hurting yourself in some "
                "way"),
]
QUESTIONNAIRES = [
    ("55757-9", "PHQ2", "Patient Health Questionnaire-2 (PHQ-2)", "55758-7", PHQ_ITEMS[:2]),
    ("44249-1", "PHQ9", "Patient Health Questionnaire-9 (PHQ-9)", "44261-6", PHQ_ITEMS),
    ("69737-5", "GAD7", "Generalized Anxiety Disorder 7 item (GAD-7)", "70274-6", [
        ("69725-0", "Feeling nervous, anxious, or on edge"),
        ("68509-0", "Not being able to stop or control worrying"),
        ("69733-4", "Worrying too much about different things"),
        ("69734-2", "Trouble relaxing"),
        ("69735-9", "Being so restless that it is hard to sit still"),
        ("69689-8", "Becoming easily annoyed or irritable"),
        ("69736-7", "Feeling afraid as if something awful might happen"),
    ]),
]
# "Over the last two weeks, how often have you been bothered by ...": LOINC answer list
# LL358-3, each answer worth its place.
ANSWERS = [("LA6568-5", "Not at all"), ("LA6569-3", "Several days"),
           ("LA6570-1", "More than half the days"), ("LA6571-9", "Nearly every day")]
SCREENED_SALT, ANXIETY_SALT = 8443, 8527  # `_share` salts: who answered which


def canonical(code: str) -> str:
    return f"http://loinc.org/q/{code}"


def questionnaire(code: str, name: str, title: str, total: str, items: list) -> dict:
    """A Questionnaire: one choice question per item, then the total score."""
    options = [{"valueCoding": {"system": LOINC, "code": c, "display": d}}
               for c, d in ANSWERS]
    return {
        "resourceType": "Questionnaire",
        "url": canonical(code), "name": name, "title": title, "status": "active",
        "subjectType": ["Patient"],
        "code": [{"system": LOINC, "code": code, "display": title}],
        "item": [
            *({"linkId": item, "code": [{"system": LOINC, "code": item, "display": text}],
               "text": text, "type": "choice", "required": True, "answerOption": options}
              for item, text in items),
            {"linkId": total, "code": [{"system": LOINC, "code": total,
                                        "display": "Total score"}],
             "text": "Total score", "type": "integer", "readOnly": True},
        ],
    }


def answers(code: str, total: str, items: list, scores: list[int]) -> dict:
    """A QuestionnaireResponse's items: the answers given (as many as `scores`), and the
    total once every question is answered."""
    found = [{"linkId": item, "text": text, "answer": [{"valueCoding": {
        "system": LOINC, "code": ANSWERS[score][0], "display": ANSWERS[score][1]}}]}
        for (item, text), score in zip(items, scores)]
    if len(scores) == len(items):
        found.append({"linkId": total, "text": "Total score",
                      "answer": [{"valueInteger": sum(scores)}]})
    return {"resourceType": "QuestionnaireResponse", "questionnaire": canonical(code),
            "item": found}


def demo_questionnaires(site: Site, *, seed: int = 7, batch: int = 5000) -> dict:
    """The screening questionnaires (those not there yet), and for patients who have
    visits and no response yet: a PHQ-2 at one visit of about a third of them (a PHQ-9
    the same day when it screens positive, a score of 3 or more) and a GAD-7 for about one
    in six. One in five was filled in by the patient (no user entered it); one in twenty
    was left unfinished. Returns how many of each were added."""
    rng = random.Random(f"{seed}-questionnaires")
    made = {"questionnaires": 0, "questionnaire_responses": 0}
    with site.db.write() as s:
        known = set(s.execute(select(QuestionnaireRecord.code)).scalars())
        for code, name, title, total, items in QUESTIONNAIRES:
            if code in known:
                continue
            s.add(QuestionnaireRecord(
                questionnaire_id=name.lower(), name=title, type="Questionnaire",
                active=True, status="active", source_url=canonical(code), code=code,
                code_display=title,
                questionnaire=json.dumps(questionnaire(code, name, title, total, items))))
            made["questionnaires"] += 1
        s.flush()
        forms = {code: (id_, name) for id_, code, name in s.execute(
            select(QuestionnaireRecord.id, QuestionnaireRecord.code, QuestionnaireRecord.name)
            .where(QuestionnaireRecord.code.in_([q[0] for q in QUESTIONNAIRES])))}
        answered = select(QuestionnaireAnswers.id).where(
            QuestionnaireAnswers.patient_id == Encounter.pid).exists()
        visits = s.execute(select(Encounter.pid, Encounter.encounter, Encounter.date)
                           .where(~answered).order_by(Encounter.pid, Encounter.eid)).all()
        clinician = s.execute(select(User.id).where(User.username == "physician")).scalar()
    by_patient: dict[int, list] = {}
    for pid, number, when in visits:
        by_patient.setdefault(pid, []).append((number, when))
    catalogue = {q[0]: q for q in QUESTIONNAIRES}
    rows: list[dict] = []

    def response(pid: int, code: str, number, when: datetime, scores: list[int],
                 creator) -> dict:
        _, name, title, total, items = catalogue[code]
        status = "completed" if len(scores) == len(items) else "in-progress"
        body = answers(code, total, items, scores)
        return {
            "uuid": new_uuid(), "response_id": new_uuid(),
            "questionnaire_foreign_id": forms[code][0], "questionnaire_id": name.lower(),
            "questionnaire_name": forms[code][1], "patient_id": pid, "encounter": number,
            "audit_user_id": creator, "creator_user_id": creator, "create_time": when,
            "last_updated": when, "version": 1, "status": status,
            "questionnaire": None, "questionnaire_response": json.dumps(body),
            "form_response": None,
            "form_score": sum(scores) if status == "completed" else None,
            "tscore": None, "error": None,
        }

    def flush() -> None:
        if rows:
            with site.db.write() as s:
                s.connection().execute(QuestionnaireAnswers.__table__.insert(), rows)
            made["questionnaire_responses"] += len(rows)
            rows.clear()

    for pid, seen in by_patient.items():
        number, day = rng.choice(seen)
        creator = None if rng.random() < 0.2 else clinician
        when = day + timedelta(minutes=rng.randint(0, 20))
        if _share(pid, SCREENED_SALT) < 0.35:
            scores = [rng.choice((0, 0, 1, 1, 2, 3)) for _ in range(2)]
            rows.append(response(pid, "55757-9", number, when, scores, creator))
            if sum(scores) >= 3:
                full = scores + [rng.randint(0, 3) for _ in range(7)]
                if rng.random() < 0.05:
                    full = full[:rng.randint(3, 8)]
                rows.append(response(pid, "44249-1", number, when + timedelta(minutes=5),
                                     full, creator))
        if _share(pid, ANXIETY_SALT) < 0.17:
            scores = [rng.choice((0, 0, 1, 1, 2, 3)) for _ in range(7)]
            if rng.random() < 0.05:
                scores = scores[:rng.randint(1, 6)]
            rows.append(response(pid, "69737-5", number, when + timedelta(minutes=10),
                                 scores, creator))
        if len(rows) >= batch:
            flush()
    flush()
    return made


def demo_meds(site: Site, *, seed: int = 7) -> dict:
    """Every part of this family's demo data; how many rows of each were added."""
    return {"dispenses": demo_dispenses(site, seed=seed),
            **demo_questionnaires(site, seed=seed)}
