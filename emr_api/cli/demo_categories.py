"""Demo data of the categories family: the social history OpenEMR keeps in `history_data`
(a tobacco smoking status), patients' sexual orientation, the occupation and industry of
employer rows (ODH codes, as options of OpenEMR's OccupationODH and IndustryODH lists),
health concerns (`lists` rows of type health_concern), and the links of medical problems to the visits they were addressed
in (`issue_encounter`, the encounter diagnoses). Deterministic for a seed: who gets what
is fixed by the patient's (or problem's) integer id, so a second run adds nothing."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, select, update

from emr_api.db.models import (
    EmployerData,
    Encounter,
    HistoryData,
    Issue,
    IssueEncounter,
    ListOption,
    Patient,
    new_uuid,
)
from emr_api.sites import Site

# (the status option OpenEMR's tobacco field keeps, its smoking_status option, share of
# adults): every day, some days, heavy or light smokers, former and never smokers.
TOBACCO = [("currenttobacco", "1", 0.08), ("currenttobacco", "2", 0.04),
           ("currenttobacco", "15", 0.02), ("currenttobacco", "16", 0.02),
           ("quittobacco", "3", 0.22), ("nevertobacco", "4", 0.58),
           ("currenttobacco", "5", 0.02), ("nevertobacco", "9", 0.02)]
TOBACCO_NOTES = {"1": "About a pack a day", "2": "Weekends only", "3": "Quit some years ago",
                 "15": "Two packs a day", "16": "A few cigarettes a day"}
# pid % 20 -> the option of OpenEMR's sexual_orientation list.
ORIENTATION = [(14, "20430005"), (16, "38628009"), (17, "42035005"), (18, "OTH"),
               (19, "UNK")]  # the rest: ASKU (chose not to disclose)
# Health concerns: (title, diagnosis), for every HEALTH_CONCERN_EVERY-th patient.
HEALTH_CONCERNS = [("Food insecurity", "ICD10:Z59.41"), ("Lack of adequate housing",
                   "ICD10:Z59.1"), ("Unemployment", "ICD10:Z56.0"),
                   ("Social isolation: lives alone", "ICD10:Z60.2"),
                   ("Stress", "ICD10:Z73.3"), ("Difficulty paying for medications",
                                                "ICD10:Z59.86")]
HEALTH_CONCERN_EVERY = 4
# (occupation, its title, industry, its title): O*NET-SOC based ODH occupations and NAICS
# based ODH industries; employer_data.id % 5 picks one.
JOBS = [("29-1141.00", "Registered Nurses", "622110", "General Medical and Surgical Hospitals"),
        ("25-2021.00", "Elementary School Teachers, Except Special Education", "611110",
         "Elementary and Secondary Schools"),
        ("53-3032.00", "Heavy and Tractor-Trailer Truck Drivers", "484121",
         "General Freight Trucking, Long-Distance, Truckload"),
        ("41-2031.00", "Retail Salespersons", "445110",
         "Supermarkets and Other Grocery (except Convenience) Stores"),
        ("15-1252.00", "Software Developers", "541511", "Custom Computer Programming Services")]
LINK_SHARE = 0.4  # the share of (problem, visit of its patient) pairs that are linked


def _share(key: int, salt: int) -> float:
    return ((key * 2654435761 + salt * 40503) % 4294967291) / 4294967291


def _tobacco(rng: random.Random) -> tuple[str, str]:
    pick, total = rng.random(), 0.0
    for status, option, share in TOBACCO:
        total += share
        if pick < total:
            return status, option
    return TOBACCO[-1][:2]


def _history(site: Site, rng: random.Random, today: date, batch: int) -> int:
    adult = today - timedelta(days=12 * 365)
    with site.db.read() as s:
        known = select(HistoryData.id).where(HistoryData.pid == Patient.pid).exists()
        pids = s.execute(select(Patient.pid).where(Patient.DOB <= adult, ~known)
                         .order_by(Patient.pid)).scalars().all()
    made = 0
    for start in range(0, len(pids), batch):
        rows = []
        for pid in pids[start:start + batch]:
            saved = [today - timedelta(days=rng.randint(0, 3 * 365))]
            if rng.random() < 0.3:
                saved.append(saved[0] - timedelta(days=rng.randint(200, 800)))
            for day in saved:
                status, option = _tobacco(rng)
                since = day - timedelta(days=rng.randint(100, 5000))
                rows.append({
                    "uuid": new_uuid(), "pid": pid,
                    "date": datetime.combine(day, time(rng.randint(8, 17))),
                    "tobacco": f"{TOBACCO_NOTES.get(option, '')}|{status}|"
                               f"{since:%Y%m%d}|{option}",
                    "alcohol": rng.choice(["|neveralcohol|", "Socially|currentalcohol|",
                                           "|quitalcohol|"]),
                    "exercise_patterns": rng.choice(["Walks daily", "Gym 3x/week", ""]),
                })
        with site.db.write() as s:
            s.connection().execute(HistoryData.__table__.insert(), rows)
        made += len(rows)
    return made


def _orientation(site: Site, today: date) -> int:
    adult = today - timedelta(days=18 * 365)
    choice = case(*((Patient.pid % 20 < limit, code) for limit, code in ORIENTATION),
                  else_="ASKU")
    with site.db.write() as s:
        return s.execute(update(Patient).where(Patient.DOB <= adult,
                                               Patient.sexual_orientation.is_(None))
                         .values(sexual_orientation=choice)).rowcount


def _occupations(site: Site) -> int:
    wanted = [(list_id, code, title) for occupation, job, industry, sector in JOBS
              for list_id, code, title in (("OccupationODH", occupation, job),
                                           ("IndustryODH", industry, sector))]
    with site.db.write() as s:
        known = set(s.execute(select(ListOption.list_id, ListOption.option_id).where(
            ListOption.list_id.in_(("OccupationODH", "IndustryODH")))).all())
        s.add_all(ListOption(list_id=list_id, option_id=code, title=title, seq=n * 10,
                             codes=f"ODH:{code}")
                  for n, (list_id, code, title) in enumerate(wanted)
                  if (list_id, code) not in known)
        s.flush()
        which = EmployerData.id % len(JOBS)
        return s.execute(update(EmployerData).where(EmployerData.occupation.is_(None)).values(
            occupation=case(*((which == n, job[0]) for n, job in enumerate(JOBS))),
            industry=case(*((which == n, job[2]) for n, job in enumerate(JOBS)))
        )).rowcount


def _health_concerns(site: Site, rng: random.Random, today: date, batch: int) -> int:
    with site.db.read() as s:
        known = select(Issue.id).where(Issue.pid == Patient.pid,
                                       Issue.type == "health_concern").exists()
        pids = s.execute(select(Patient.pid).where(Patient.pid % HEALTH_CONCERN_EVERY == 1,
                                                   ~known).order_by(Patient.pid)).scalars().all()
    made = 0
    for start in range(0, len(pids), batch):
        rows = []
        for pid in pids[start:start + batch]:
            title, diagnosis = rng.choice(HEALTH_CONCERNS)
            noted = today - timedelta(days=rng.randint(0, 2 * 365))
            ended = noted + timedelta(days=rng.randint(30, 300)) if rng.random() < 0.25 \
                else None
            stamp = datetime.combine(noted, time(rng.randint(8, 17)))
            rows.append({"uuid": new_uuid(), "pid": pid, "type": "health_concern",
                         "title": title, "diagnosis": diagnosis, "begdate": noted,
                         "enddate": ended if ended and ended < today else None,
                         "activity": True, "occurrence": 0, "outcome": 0, "date": stamp,
                         "modifydate": stamp})
        with site.db.write() as s:
            s.connection().execute(Issue.__table__.insert(), rows)
        made += len(rows)
    return made


def _links(site: Site, batch: int) -> int:
    with site.db.read() as s:
        linked = select(IssueEncounter.id).where(IssueEncounter.list_id == Issue.id).exists()
        pairs = s.execute(
            select(Issue.id, Issue.pid, Issue.enddate, Encounter.encounter)
            .join(Encounter, Encounter.pid == Issue.pid)
            .where(Issue.type == "medical_problem", Encounter.encounter.is_not(None), ~linked)
            .order_by(Issue.id, Encounter.encounter)).all()
    rows = [{"uuid": new_uuid(), "pid": pid, "list_id": list_id, "encounter": number,
             "resolved": ended is not None and _share(list_id + number, 3) < 0.5}
            for list_id, pid, ended, number in pairs
            if _share(list_id * 7919 + number, 2) < LINK_SHARE]
    for start in range(0, len(rows), batch):
        with site.db.write() as s:
            s.connection().execute(IssueEncounter.__table__.insert(), rows[start:start + batch])
    return len(rows)


def demo_categories(site: Site, *, seed: int = 7, batch: int = 5000) -> dict:
    """Smoking status history for patients of 12 and over, a sexual orientation for
    adults, an occupation for every employer row, a health concern for every fourth patient, and encounter links for some of
    every problem's visits; only where none is there yet. Returns what was added."""
    rng = random.Random(f"{seed}-categories")
    today = date.today()
    return {"history": _history(site, rng, today, batch),
            "sexual_orientations": _orientation(site, today),
            "occupations": _occupations(site),
            "health_concerns": _health_concerns(site, rng, today, batch),
            "encounter_diagnoses": _links(site, batch)}
