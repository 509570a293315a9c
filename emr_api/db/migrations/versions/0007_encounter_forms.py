"""encounter forms: OpenEMR's `forms` (a form filled in an encounter), form_vitals and
form_soap, the columns its API reads or writes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 12:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# 65,535 characters of utf8mb4 do not fit MariaDB's TEXT (65,535 bytes).
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def _measure(name: str, precision: int = 12, scale: int = 6) -> sa.Column:
    return sa.Column(name, sa.Numeric(precision, scale, asdecimal=False), nullable=True)


def upgrade() -> None:
    op.create_table(
        "forms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.Column("encounter", sa.Integer(), nullable=False),
        sa.Column("form_name", sa.String(length=255), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=True),
        sa.Column("groupname", sa.String(length=255), nullable=True),
        sa.Column("authorized", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("formdir", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_forms_pid_encounter", "forms", ["pid", "encounter"], unique=False)
    op.create_index("ix_forms_formdir_form_id", "forms", ["formdir", "form_id"], unique=False)

    op.create_table(
        "form_vitals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=True),
        sa.Column("groupname", sa.String(length=255), nullable=True),
        sa.Column("authorized", sa.Boolean(), nullable=False),
        sa.Column("activity", sa.Boolean(), nullable=False),
        sa.Column("bps", sa.String(length=40), nullable=True),
        sa.Column("bpd", sa.String(length=40), nullable=True),
        _measure("weight"),
        _measure("height"),
        _measure("temperature"),
        sa.Column("temp_method", sa.String(length=255), nullable=True),
        _measure("pulse"),
        _measure("respiration"),
        sa.Column("note", sa.String(length=255), nullable=True),
        _measure("BMI"),
        sa.Column("BMI_status", sa.String(length=255), nullable=True),
        _measure("waist_circ"),
        _measure("head_circ"),
        _measure("oxygen_saturation", 6, 2),
        _measure("oxygen_flow_rate"),
        _measure("inhaled_oxygen_concentration", 6, 2),
        _measure("ped_weight_height", 6, 2),
        _measure("ped_bmi", 6, 2),
        _measure("ped_head_circ", 6, 2),
        sa.Column("external_id", sa.String(length=20), nullable=True),
        sa.Column("last_updated", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_form_vitals_pid", "form_vitals", ["pid"], unique=False)

    op.create_table(
        "form_soap",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=True),
        sa.Column("groupname", sa.String(length=255), nullable=True),
        sa.Column("authorized", sa.Boolean(), nullable=False),
        sa.Column("activity", sa.Boolean(), nullable=False),
        sa.Column("subjective", LONG_TEXT, nullable=True),
        sa.Column("objective", LONG_TEXT, nullable=True),
        sa.Column("assessment", LONG_TEXT, nullable=True),
        sa.Column("plan", LONG_TEXT, nullable=True),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_form_soap_pid", "form_soap", ["pid"], unique=False)


def downgrade() -> None:
    # Each table's indexes go with it.
    op.drop_table("form_soap")
    op.drop_table("form_vitals")
    op.drop_table("forms")
