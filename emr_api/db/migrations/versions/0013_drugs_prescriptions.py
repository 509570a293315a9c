"""drugs_prescriptions: OpenEMR's formulary drugs (`drugs`) and patients' prescriptions
(`prescriptions`), and the option lists their form, unit, route and interval name
(drug_form, drug_units, drug_route, drug_interval in list_options)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 15:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# list_id -> [(option_id, title, codes, notes)], in display order. The option ids are the
# ones OpenEMR installs (what its drugs and prescriptions store); a route's code is the NCI
# Thesaurus concept of the FDA route of administration.
OPTIONS = {
    "drug_form": [
        ("1", "suspension", "", None), ("2", "tablet", "", None), ("3", "capsule", "", None),
        ("4", "solution", "", None), ("5", "tsp", "", None), ("6", "ml", "", None),
        ("7", "units", "", None), ("8", "inhalations", "", None),
        ("9", "gtts(drops)", "", None), ("10", "cream", "", None),
        ("11", "ointment", "", None), ("12", "puff", "", None),
    ],
    "drug_units": [
        ("1", "mg", "", None), ("2", "mg/1cc", "", None), ("3", "mg/2cc", "", None),
        ("4", "mg/3cc", "", None), ("5", "mg/4cc", "", None), ("6", "mg/5cc", "", None),
        ("7", "mcg", "", None), ("8", "grams", "", None),
    ],
    "drug_route": [
        ("1", "Per Oris", "NCI-CONCEPT-ID:C38288", "By mouth"),
        ("2", "Per Rectum", "NCI-CONCEPT-ID:C38295", "Rectal"),
        ("3", "To Skin", "NCI-CONCEPT-ID:C38304", "Topical"),
        ("4", "To Affected Area", "NCI-CONCEPT-ID:C38304", "Topical"),
        ("5", "Sublingual", "NCI-CONCEPT-ID:C38300", "Under the tongue"),
        ("6", "OS", "NCI-CONCEPT-ID:C38287", "Left eye"),
        ("7", "OD", "NCI-CONCEPT-ID:C38287", "Right eye"),
        ("8", "OU", "NCI-CONCEPT-ID:C38287", "Both eyes"),
        ("9", "SQ", "NCI-CONCEPT-ID:C38299", "Subcutaneous"),
        ("10", "IM", "NCI-CONCEPT-ID:C28161", "Intramuscular"),
        ("11", "IV", "NCI-CONCEPT-ID:C38276", "Intravenous"),
        ("12", "Per Nostril", "NCI-CONCEPT-ID:C38284", "Nasal"),
        ("13", "Both Ears", "NCI-CONCEPT-ID:C38192", "Otic"),
        ("14", "Left Ear", "NCI-CONCEPT-ID:C38192", "Otic"),
        ("15", "Right Ear", "NCI-CONCEPT-ID:C38192", "Otic"),
        ("inhale", "Inhale", "NCI-CONCEPT-ID:C38216", "Respiratory (inhalation)"),
        ("transdermal", "Transdermal", "NCI-CONCEPT-ID:C38305", "Through the skin"),
        ("other", "Other", "", None),
    ],
    "drug_interval": [
        ("1", "b.i.d.", "", "twice a day"), ("2", "t.i.d.", "", "three times a day"),
        ("3", "q.i.d.", "", "four times a day"), ("4", "q.3h", "", "every 3 hours"),
        ("5", "q.4h", "", "every 4 hours"), ("6", "q.5h", "", "every 5 hours"),
        ("7", "q.6h", "", "every 6 hours"), ("8", "q.8h", "", "every 8 hours"),
        ("9", "q.d.", "", "once a day"), ("10", "a.c.", "", "before meals"),
        ("11", "p.c.", "", "after meals"), ("12", "a.m.", "", "in the morning"),
        ("13", "p.m.", "", "in the evening"), ("14", "ante", "", "before"),
        ("15", "h", "", "at the hour"), ("16", "h.s.", "", "at bedtime"),
        ("17", "p.r.n.", "", "as needed"), ("18", "stat", "", "at once"),
    ],
}


def upgrade() -> None:
    op.create_table(
        "drugs",
        sa.Column("drug_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("ndc_number", sa.String(length=20), nullable=True),
        sa.Column("form", sa.String(length=100), nullable=True),
        sa.Column("size", sa.String(length=25), nullable=True),
        sa.Column("unit", sa.String(length=100), nullable=True),
        sa.Column("route", sa.String(length=100), nullable=True),
        sa.Column("related_code", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("drug_code", sa.String(length=25), nullable=True),
        sa.Column("date_created", sa.DateTime(), nullable=False),
        sa.Column("last_updated", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("drug_id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_table(
        "prescriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("encounter", sa.Integer(), nullable=True),
        sa.Column("drug", sa.String(length=150), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=True),
        sa.Column("rxnorm_drugcode", sa.String(length=25), nullable=True),
        sa.Column("form", sa.String(length=100), nullable=True),
        sa.Column("dosage", sa.String(length=100), nullable=True),
        sa.Column("quantity", sa.String(length=31), nullable=True),
        sa.Column("size", sa.String(length=25), nullable=True),
        sa.Column("unit", sa.String(length=100), nullable=True),
        sa.Column("route", sa.String(length=100), nullable=True),
        sa.Column("interval", sa.String(length=100), nullable=True),
        sa.Column("refills", sa.Integer(), nullable=False),
        sa.Column("date_added", sa.DateTime(), nullable=False),
        sa.Column("date_modified", sa.DateTime(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("medication", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("diagnosis", sa.String(length=255), nullable=True),
        sa.Column("drug_dosage_instructions", sa.Text(), nullable=True),
        sa.Column("usage_category", sa.String(length=100), nullable=False),
        sa.Column("request_intent", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient_data.pid"]),
        sa.ForeignKeyConstraint(["provider_id"], ["practitioner.id"]),
        sa.ForeignKeyConstraint(["drug_id"], ["drugs.drug_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_prescriptions_patient_id_id", "prescriptions", ["patient_id", "id"],
                    unique=False)
    options = sa.table("list_options", *(sa.column(name) for name in (
        "list_id", "option_id", "title", "seq", "is_default", "option_value", "mapping",
        "notes", "codes", "activity")))
    op.bulk_insert(options, [
        {"list_id": list_id, "option_id": option_id, "title": title, "seq": (i + 1) * 10,
         "is_default": False, "option_value": 0, "mapping": "", "notes": notes,
         "codes": codes, "activity": True}
        for list_id, rows in OPTIONS.items()
        for i, (option_id, title, codes, notes) in enumerate(rows)
    ])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM list_options WHERE list_id IN "
                       "('drug_form', 'drug_units', 'drug_route', 'drug_interval')"))
    op.drop_table("prescriptions")  # its index goes with it
    op.drop_table("drugs")
