"""list_options: OpenEMR's selectable lists (sex, race, ethnicity, language, marital
status, titles, ...), with the options OpenEMR installs, as its codes name them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# list_id -> [(option_id, title, codes)], in display order. The option ids are the codes
# OpenEMR's own lists use (what patient_data stores); `codes` maps to a standard code set.
OPTIONS = {
    "sex": [("Female", "Female", "HL7:F"), ("Male", "Male", "HL7:M"),
            ("UNK", "Unknown", "HL7:UNK")],
    "ethnicity": [("hisp_or_latin", "Hispanic or Latino", "CDCREC:2135-2"),
                  ("not_hisp_or_latin", "Not Hispanic or Latino", "CDCREC:2186-5"),
                  ("declne_to_specfy", "Declined To Specify", "")],
    "race": [("amer_ind_or_alaska_native", "American Indian or Alaska Native", "CDCREC:1002-5"),
             ("Asian", "Asian", "CDCREC:2028-9"),
             ("black_or_afri_amer", "Black or African American", "CDCREC:2054-5"),
             ("native_hawai_or_pac_island", "Native Hawaiian or Other Pacific Islander",
              "CDCREC:2076-8"),
             ("white", "White", "CDCREC:2106-3"),
             ("declne_to_specfy", "Declined To Specify", "")],
    "language": [("English", "English", "ISO639:eng"), ("Spanish", "Spanish", "ISO639:spa"),
                 ("Chinese", "Chinese", "ISO639:zho"), ("Vietnamese", "Vietnamese", "ISO639:vie"),
                 ("Tagalog", "Tagalog", "ISO639:tgl"), ("Arabic", "Arabic", "ISO639:ara"),
                 ("French", "French", "ISO639:fra"), ("Korean", "Korean", "ISO639:kor"),
                 ("Russian", "Russian", "ISO639:rus"), ("German", "German", "ISO639:deu"),
                 ("Portuguese", "Portuguese", "ISO639:por"), ("Hindi", "Hindi", "ISO639:hin"),
                 ("declne_to_specfy", "Declined To Specify", "")],
    "marital": [("married", "Married", ""), ("single", "Single", ""),
                ("divorced", "Divorced", ""), ("widowed", "Widowed", ""),
                ("separated", "Separated", ""), ("domestic partner", "Domestic Partner", "")],
    "titles": [("Mr.", "Mr.", ""), ("Mrs.", "Mrs.", ""), ("Ms.", "Ms.", ""),
               ("Dr.", "Dr.", "")],
    "yesno": [("NO", "NO", ""), ("YES", "YES", "")],
    "religious_affiliation": [("christian", "Christian", ""), ("jewish", "Jewish", ""),
                              ("muslim", "Muslim", ""), ("hindu", "Hindu", ""),
                              ("buddhist", "Buddhist", ""), ("other", "Other", "")],
}


def upgrade() -> None:
    table = op.create_table(
        "list_options",
        sa.Column("list_id", sa.String(length=100), nullable=False),
        sa.Column("option_id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("option_value", sa.Float(), nullable=False),
        sa.Column("mapping", sa.String(length=31), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("codes", sa.String(length=255), nullable=False),
        sa.Column("activity", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("list_id", "option_id"),
    )
    op.bulk_insert(table, [
        {"list_id": list_id, "option_id": option_id, "title": title, "seq": (i + 1) * 10,
         "is_default": False, "option_value": 0, "mapping": "", "notes": None,
         "codes": codes, "activity": True}
        for list_id, options in OPTIONS.items()
        for i, (option_id, title, codes) in enumerate(options)
    ])


def downgrade() -> None:
    op.drop_table("list_options")
