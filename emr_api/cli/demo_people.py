"""Demo data of the people family (FHIR Person, PractitionerRole, Group, RelatedPerson):
the demo physician's account linked to its practitioner row, physician types, each
patient's primary provider, and guardians. Set-based UPDATEs, a handful per call whatever
the number of patients, deterministic for a seed; rows already set are left alone."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import and_, literal, or_, select, update

from emr_api.db.models import Patient, Practitioner
from emr_api.sites import Site

# The demo physician's account and the practitioner row that is the same person (the
# documented referral example's Jamie Moreno).
PHYSICIAN = ("physician", "1234567893")
# OpenEMR's physician types (codes as its list options keep them, and titles).
PHYSICIAN_TYPES = [("SNOMED-CT:405279007", "Attending physician"),
                   ("SNOMED-CT:309343006", "Physician"), (None, None)]
# Guardians of minors (relationship, sex, first names) and of every fifth patient by pid
# (adults' next of kin).
MINOR_GUARDIANS = [("MTH", "Female", ["Maria", "Aisha", "Emily", "Lin"]),
                   ("FTH", "Male", ["David", "Kofi", "Daniel", "Arjun"]),
                   ("GRMTH", "Female", ["Helen", "Rosa"]),
                   ("Legal guardian", "Unknown", ["Alex", "Jordan"])]
ADULT_GUARDIANS = [("SPS", "Female", ["Nadia", "Claire"]), ("SON", "Male", ["Samuel", "Ravi"]),
                   ("DAU", "Female", ["Hannah", "Mina"])]
EVERY_ADULT = 5


def demo_people(site: Site, *, seed: int = 7) -> dict:
    """Returns how many rows of each kind were set."""
    rng = random.Random(f"{seed}-people")
    made = {"linked_users": 0, "physician_types": 0, "primary_providers": 0, "guardians": 0}
    with site.db.write() as s:
        username, npi = PHYSICIAN
        if s.execute(select(Practitioner.id).where(Practitioner.username == username)).first() \
                is None:
            made["linked_users"] = s.execute(update(Practitioner).where(
                Practitioner.npi == npi, Practitioner.username.is_(None))
                .values(username=username)).rowcount
        for k, (code, title) in enumerate(PHYSICIAN_TYPES):
            if code is not None:
                made["physician_types"] += s.execute(update(Practitioner).where(
                    Practitioner.physician_code.is_(None),
                    Practitioner.id % len(PHYSICIAN_TYPES) == k)
                    .values(physician_code=code, physician_title=title)).rowcount
        # The practice's own practitioners (those at a facility) carry the panels.
        providers = s.execute(select(Practitioner.id).where(Practitioner.facility_id.is_not(
            None)).order_by(Practitioner.id)).scalars().all()
        rng.shuffle(providers)
        for k, provider in enumerate(providers):
            made["primary_providers"] += s.execute(update(Patient).where(
                Patient.providerID.is_(None), Patient.pid % len(providers) == k)
                .values(providerID=provider)).rowcount
        adult = date.today() - timedelta(days=18 * 365 + 4)
        no_guardian = or_(Patient.guardiansname.is_(None), Patient.guardiansname == "")
        buckets = [(Patient.DOB > adult, MINOR_GUARDIANS),
                   (and_(Patient.DOB <= adult, Patient.pid % EVERY_ADULT == 0), ADULT_GUARDIANS)]
        for who, kinds in buckets:
            choices = [(relationship, sex, first) for relationship, sex, names in kinds
                       for first in names]
            rng.shuffle(choices)
            for k, (relationship, sex, first) in enumerate(choices):
                made["guardians"] += s.execute(update(Patient).where(
                    no_guardian, who, Patient.pid % len(choices) == k)
                    .values(guardiansname=literal(f"{first} ") + Patient.lname,
                            guardianrelationship=relationship, guardiansex=sex,
                            guardianaddress=Patient.street, guardiancity=Patient.city,
                            guardianstate=Patient.state, guardianpostalcode=Patient.postal_code,
                            guardiancountry=Patient.country_code,
                            guardianphone=Patient.phone_home,
                            guardianemail=literal(f"{first.lower()}.") + Patient.email)
                    ).rowcount
    return made
