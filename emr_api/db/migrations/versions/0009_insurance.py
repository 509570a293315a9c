"""insurance: OpenEMR's insurance type codes (with its 26 types), insurance companies
(their address kept in the company's row), patients' insurance policies (insurance_data)
and employer data, and the `sub_relation` list of subscriber relationships

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# OpenEMR's insurance_type_codes: (id, type, X12 claim filing indicator).
INSURANCE_TYPES = [
    (1, "Other HCFA", "16"), (2, "Medicare Part B", "MB"), (3, "Medicaid", "MC"),
    (4, "ChampUSVA", "CH"), (5, "ChampUS", "CH"), (6, "Blue Cross Blue Shield", "BL"),
    (7, "FECA", "16"), (8, "Self Pay", "09"), (9, "Central Certification", "10"),
    (10, "Other Non-Federal Programs", "11"), (11, "Preferred Provider Organization (PPO)", "12"),
    (12, "Point of Service (POS)", "13"), (13, "Exclusive Provider Organization (EPO)", "14"),
    (14, "Indemnity Insurance", "15"),
    (15, "Health Maintenance Organization (HMO) Medicare Risk", "16"),
    (16, "Automobile Medical", "AM"), (17, "Commercial Insurance Co.", "CI"),
    (18, "Disability", "DS"), (19, "Health Maintenance Organization", "HM"),
    (20, "Liability", "LI"), (21, "Liability Medical", "LM"), (22, "Other Federal Program", "OF"),
    (23, "Title V", "TV"), (24, "Veterans Administration Plan", "VA"),
    (25, "Workers Compensation Health Plan", "WC"), (26, "Mutually Defined", "ZZ"),
]
# OpenEMR's `sub_relation` list: a policy's subscriber relative to the patient.
SUB_RELATION = [("self", "Self"), ("spouse", "Spouse"), ("child", "Child"), ("other", "Other")]


def upgrade() -> None:
    types = op.create_table(
        "insurance_type_codes",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("claim_type", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(types, [{"id": id_, "type": type_, "claim_type": claim}
                           for id_, type_, claim in INSURANCE_TYPES])
    op.create_table(
        "insurance_companies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("attn", sa.String(length=255), nullable=True),
        sa.Column("cms_id", sa.String(length=15), nullable=True),
        sa.Column("alt_cms_id", sa.String(length=15), nullable=True),
        sa.Column("ins_type_code", sa.Integer(), nullable=True),
        sa.Column("x12_receiver_id", sa.String(length=25), nullable=True),
        sa.Column("x12_default_partner_id", sa.Integer(), nullable=True),
        sa.Column("inactive", sa.Boolean(), nullable=False),
        sa.Column("line1", sa.String(length=255), nullable=True),
        sa.Column("line2", sa.String(length=255), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=35), nullable=True),
        sa.Column("zip", sa.String(length=10), nullable=True),
        sa.Column("country", sa.String(length=255), nullable=True),
        sa.Column("date_created", sa.DateTime(), nullable=False),
        sa.Column("last_updated", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ins_type_code"], ["insurance_type_codes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    text = [sa.Column(name, sa.String(length=255), nullable=True) for name in (
        "plan_name", "policy_number", "group_number", "subscriber_lname", "subscriber_mname",
        "subscriber_fname")]
    subscriber = [sa.Column(name, sa.String(length=255), nullable=True) for name in (
        "subscriber_street", "subscriber_postal_code", "subscriber_city", "subscriber_state",
        "subscriber_country", "subscriber_phone", "subscriber_employer",
        "subscriber_employer_street", "subscriber_employer_postal_code",
        "subscriber_employer_state", "subscriber_employer_country", "subscriber_employer_city")]
    op.create_table(
        "insurance_data",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("provider", sa.Integer(), nullable=False),
        *text,
        sa.Column("subscriber_relationship", sa.String(length=100), nullable=True),
        sa.Column("subscriber_ss", sa.String(length=255), nullable=True),
        sa.Column("subscriber_DOB", sa.Date(), nullable=True),
        *subscriber,
        sa.Column("subscriber_sex", sa.String(length=30), nullable=True),
        sa.Column("copay", sa.String(length=255), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("date_end", sa.Date(), nullable=True),
        sa.Column("accept_assignment", sa.Boolean(), nullable=False),
        sa.Column("policy_type", sa.String(length=25), nullable=False),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.ForeignKeyConstraint(["provider"], ["insurance_companies.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_insurance_data_pid_type", "insurance_data", ["pid", "type"],
                    unique=False)
    op.create_table(
        "employer_data",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.String(length=255), nullable=True) for name in (
            "name", "street", "street_line_2", "postal_code", "city", "state", "country")],
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("occupation", sa.String(length=255), nullable=True),
        sa.Column("industry", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_employer_data_pid_date", "employer_data", ["pid", "date"],
                    unique=False)
    options = sa.table("list_options", sa.column("list_id"), sa.column("option_id"),
                       sa.column("title"), sa.column("seq"), sa.column("is_default"),
                       sa.column("option_value"), sa.column("mapping"), sa.column("notes"),
                       sa.column("codes"), sa.column("activity"))
    op.bulk_insert(options, [
        {"list_id": "sub_relation", "option_id": option_id, "title": title, "seq": i + 1,
         "is_default": False, "option_value": 0, "mapping": "", "notes": None, "codes": "",
         "activity": True}
        for i, (option_id, title) in enumerate(SUB_RELATION)])


def downgrade() -> None:
    op.execute("DELETE FROM list_options WHERE list_id = 'sub_relation'")
    op.drop_table("employer_data")  # their indexes go with them
    op.drop_table("insurance_data")
    op.drop_table("insurance_companies")
    op.drop_table("insurance_type_codes")
