"""immunizations and procedures: OpenEMR's `immunizations`, its `codes` (with the CVX
vaccines), its procedure orders (`procedure_order`, `procedure_order_code`,
`procedure_report`, `procedure_result`) and the laboratories and catalogue they name
(`procedure_providers`, `procedure_type`); and the options of the two lists an
immunization row names (`immunization_administered_site`, `immunization_refusal_reason`)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 15:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CVX_CODE_TYPE = 100  # OpenEMR's code_types number for CVX
# A dose compared exactly: MariaDB's FLOAT is single precision.
DOSE = sa.Float().with_variant(mysql.DOUBLE(), "mysql", "mariadb")
# (CVX code, the CDC's name of the vaccine): the vaccines a US practice gives most.
CVX_CODES = [
    ("03", "measles, mumps and rubella virus vaccine"),
    ("08", "hepatitis B vaccine, pediatric or pediatric/adolescent dosage"),
    ("10", "poliovirus vaccine, inactivated"),
    ("20", "diphtheria, tetanus toxoids and acellular pertussis vaccine"),
    ("21", "varicella virus vaccine"),
    ("33", "pneumococcal polysaccharide vaccine, 23 valent"),
    ("43", "hepatitis B vaccine, adult dosage"),
    ("52", "hepatitis A vaccine, adult dosage"),
    ("83", "hepatitis A vaccine, pediatric/adolescent dosage, 2 dose schedule"),
    ("115", "tetanus toxoid, reduced diphtheria toxoid, and acellular pertussis vaccine, "
            "adsorbed"),
    ("133", "pneumococcal conjugate vaccine, 13 valent"),
    ("150", "Influenza, injectable, quadrivalent, preservative free"),
    ("165", "human papillomavirus 9-valent vaccine"),
    ("187", "zoster vaccine recombinant"),
    ("197", "influenza, high-dose seasonal, quadrivalent, 0.7mL dose, preservative free"),
    ("207", "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, "
            "100 mcg/0.5mL dose or 50 mcg/0.25mL dose"),
    ("208", "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, "
            "30 mcg/0.3mL dose"),
]
# list_id -> [(option_id, title, notes)] as OpenEMR installs them: the site's notes hold
# the HL7 body-site code, the refusal reason's the CDC NIP002 code.
OPTIONS = {
    "immunization_administered_site": [
        ("left_thigh", "Left Thigh", "LT"), ("left_arm", "Left Arm", "LA"),
        ("left_deltoid", "Left Deltoid", "LD"),
        ("left_gluteus_medius", "Left Gluteus Medius", "LG"),
        ("left_vastus_lateralis", "Left Vastus Lateralis", "LVL"),
        ("left_lower_forearm", "Left Lower Forearm", "LLFA"), ("nose", "Nose", "Nose"),
        ("right_arm", "Right Arm", "RA"), ("right_thigh", "Right Thigh", "RT"),
        ("right_vastus_lateralis", "Right Vastus Lateralis", "RVL"),
        ("right_gluteus_medius", "Right Gluteus Medius", "RG"),
        ("right_deltoid", "Right Deltoid", "RD"),
        ("right_lower_forearm", "Right Lower Forearm", "RLFA"),
    ],
    "immunization_refusal_reason": [
        ("parental_decision", "Parental decision", "00"),
        ("religious_exemption", "Religious exemption", "01"),
        ("other", "Other", "02"),
        ("patient_decision", "Patient decision", "03"),
    ],
}


def _uuid() -> sa.Column:
    return sa.Column("uuid", sa.String(length=36), nullable=False)


def _text(name: str, length: int = 255, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    codes = op.create_table(
        "codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code_type", sa.Integer(), nullable=False),
        _text("code", 64, nullable=False),
        _text("code_text", nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_type", "code", name="uq_codes_type_code"),
    )
    op.bulk_insert(codes, [{"code_type": CVX_CODE_TYPE, "code": code, "code_text": text,
                            "active": True} for code, text in CVX_CODES])

    op.create_table(
        "immunizations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _uuid(),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("administered_date", sa.DateTime(), nullable=True),
        sa.Column("immunization_id", sa.Integer(), nullable=True),
        _text("cvx_code", 64),
        _text("manufacturer", 100),
        _text("lot_number", 50),
        sa.Column("administered_by_id", sa.Integer(), nullable=True),
        _text("administered_by"),
        sa.Column("education_date", sa.Date(), nullable=True),
        sa.Column("vis_date", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("create_date", sa.DateTime(), nullable=False),
        sa.Column("update_date", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("amount_administered", DOSE, nullable=True),
        _text("amount_administered_unit", 50),
        sa.Column("expiration_date", sa.Date(), nullable=True),
        _text("route", 100),
        _text("administration_site", 100),
        sa.Column("added_erroneously", sa.Boolean(), nullable=False),
        _text("external_id", 20),
        _text("completion_status", 50),
        _text("information_source", 31),
        _text("refusal_reason", 31),
        sa.Column("ordering_provider", sa.Integer(), nullable=True),
        _text("reason_code", 31),
        sa.Column("reason_description", sa.Text(), nullable=True),
        sa.Column("encounter_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patient_data.pid"]),
        sa.ForeignKeyConstraint(["administered_by_id"], ["practitioner.id"]),
        sa.ForeignKeyConstraint(["ordering_provider"], ["practitioner.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_immunizations_patient_id", "immunizations", ["patient_id", "id"])
    op.create_index("ix_immunizations_administered_date", "immunizations",
                    ["administered_date"])

    op.create_table(
        "procedure_providers",
        sa.Column("ppid", sa.Integer(), autoincrement=True, nullable=False),
        _uuid(),
        _text("name", nullable=False),
        _text("npi", 15, nullable=False),
        _text("type", 31),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("date_created", sa.DateTime(), nullable=False),
        sa.Column("last_updated", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ppid"),
        sa.UniqueConstraint("uuid"),
    )

    op.create_table(
        "procedure_type",
        sa.Column("procedure_type_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("parent", sa.Integer(), nullable=False),
        _text("name", 63, nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=True),
        _text("procedure_code", 64, nullable=False),
        _text("procedure_type", 31, nullable=False),
        _text("specimen", 31, nullable=False),
        _text("description", nullable=False),
        _text("standard_code", nullable=False),
        _text("units", 31, nullable=False),
        _text("range", nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("activity", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["lab_id"], ["procedure_providers.ppid"]),
        sa.PrimaryKeyConstraint("procedure_type_id"),
    )
    op.create_index("ix_procedure_type_code", "procedure_type", ["procedure_code"])

    op.create_table(
        "procedure_order",
        sa.Column("procedure_order_id", sa.Integer(), autoincrement=True, nullable=False),
        _uuid(),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("encounter_id", sa.Integer(), nullable=True),
        sa.Column("date_collected", sa.DateTime(), nullable=True),
        sa.Column("date_ordered", sa.DateTime(), nullable=True),
        _text("order_priority", 31, nullable=False),
        _text("order_status", 31, nullable=False),
        sa.Column("patient_instructions", sa.Text(), nullable=True),
        sa.Column("activity", sa.Boolean(), nullable=False),
        _text("control_id", nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=True),
        _text("specimen_type", 31, nullable=False),
        _text("specimen_location", 31, nullable=False),
        _text("specimen_volume", 30, nullable=False),
        _text("specimen_fasting", 31),
        sa.Column("date_transmitted", sa.DateTime(), nullable=True),
        _text("clinical_hx", nullable=False),
        _text("external_id", 20),
        _text("history_order", 1, nullable=False),
        _text("order_diagnosis", nullable=False),
        _text("procedure_order_type", 32, nullable=False),
        _text("order_intent", 31, nullable=False),
        sa.Column("scheduled_date", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["provider_id"], ["practitioner.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient_data.pid"]),
        sa.ForeignKeyConstraint(["lab_id"], ["procedure_providers.ppid"]),
        sa.PrimaryKeyConstraint("procedure_order_id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_procedure_order_patient_id", "procedure_order",
                    ["patient_id", "procedure_order_id"])
    op.create_index("ix_procedure_order_date_ordered", "procedure_order", ["date_ordered"])

    op.create_table(
        "procedure_order_code",
        sa.Column("procedure_order_id", sa.Integer(), nullable=False),
        sa.Column("procedure_order_seq", sa.Integer(), autoincrement=False, nullable=False),
        _text("procedure_code", 64, nullable=False),
        _text("procedure_name", nullable=False),
        _text("procedure_source", 1, nullable=False),
        sa.Column("diagnoses", sa.Text(), nullable=True),
        sa.Column("do_not_send", sa.Boolean(), nullable=False),
        _text("procedure_order_title"),
        _text("procedure_type", 31),
        sa.ForeignKeyConstraint(["procedure_order_id"], ["procedure_order.procedure_order_id"]),
        sa.PrimaryKeyConstraint("procedure_order_id", "procedure_order_seq"),
    )

    op.create_table(
        "procedure_report",
        sa.Column("procedure_report_id", sa.Integer(), autoincrement=True, nullable=False),
        _uuid(),
        sa.Column("procedure_order_id", sa.Integer(), nullable=False),
        sa.Column("procedure_order_seq", sa.Integer(), nullable=False),
        sa.Column("date_collected", sa.DateTime(), nullable=True),
        _text("date_collected_tz", 5, nullable=False),
        sa.Column("date_report", sa.DateTime(), nullable=True),
        _text("date_report_tz", 5, nullable=False),
        sa.Column("source", sa.Integer(), nullable=True),
        _text("specimen_num", 63, nullable=False),
        _text("report_status", 31, nullable=False),
        _text("review_status", 31, nullable=False),
        sa.Column("report_notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["procedure_order_id"], ["procedure_order.procedure_order_id"]),
        sa.PrimaryKeyConstraint("procedure_report_id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_procedure_report_order", "procedure_report", ["procedure_order_id"])

    op.create_table(
        "procedure_result",
        sa.Column("procedure_result_id", sa.Integer(), autoincrement=True, nullable=False),
        _uuid(),
        sa.Column("procedure_report_id", sa.Integer(), nullable=False),
        _text("result_data_type", 1, nullable=False),
        _text("result_code", 31, nullable=False),
        _text("result_text", nullable=False),
        sa.Column("date", sa.DateTime(), nullable=True),
        _text("facility", nullable=False),
        _text("units", 31, nullable=False),
        _text("result", nullable=False),
        _text("range", nullable=False),
        _text("abnormal", 31, nullable=False),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        _text("result_status", 31, nullable=False),
        sa.Column("date_end", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["procedure_report_id"],
                                ["procedure_report.procedure_report_id"]),
        sa.PrimaryKeyConstraint("procedure_result_id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_procedure_result_report", "procedure_result", ["procedure_report_id"])

    options = sa.table("list_options", sa.column("list_id"), sa.column("option_id"),
                       sa.column("title"), sa.column("seq"), sa.column("is_default"),
                       sa.column("option_value"), sa.column("mapping"), sa.column("notes"),
                       sa.column("codes"), sa.column("activity"))
    op.bulk_insert(options, [
        {"list_id": list_id, "option_id": option_id, "title": title, "seq": (i + 1) * 10,
         "is_default": False, "option_value": 0, "mapping": "", "notes": notes, "codes": "",
         "activity": True}
        for list_id, entries in OPTIONS.items()
        for i, (option_id, title, notes) in enumerate(entries)
    ])


def downgrade() -> None:
    options = sa.table("list_options", sa.column("list_id"))
    op.execute(options.delete().where(options.c.list_id.in_(list(OPTIONS))))
    # Each table's indexes go with it; children before the tables they name.
    for table in ("procedure_result", "procedure_report", "procedure_order_code",
                  "procedure_order", "procedure_type", "procedure_providers",
                  "immunizations", "codes"):
        op.drop_table(table)
