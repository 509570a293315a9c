"""dispenses_questionnaires: OpenEMR's drug sales (`drug_sales`, the dispenses of
formulary drugs), its questionnaires (`questionnaire_repository`) and the answers
patients gave to them (`questionnaire_response`)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 20:20:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
DOUBLE = sa.Float().with_variant(mysql.DOUBLE(), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "drug_sales",
        sa.Column("sale_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("drug_id", sa.Integer(), nullable=False),
        sa.Column("inventory_id", sa.Integer(), nullable=False),
        sa.Column("prescription_id", sa.Integer(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("encounter", sa.Integer(), nullable=True),
        sa.Column("user", sa.String(length=255), nullable=True),
        sa.Column("sale_date", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("fee", sa.Numeric(12, 2, asdecimal=False), nullable=False),
        sa.Column("billed", sa.Boolean(), nullable=False),
        sa.Column("xfer_inventory_id", sa.Integer(), nullable=False),
        sa.Column("distributor_id", sa.Integer(), nullable=False),
        sa.Column("notes", sa.String(length=255), nullable=True),
        sa.Column("selector", sa.String(length=255), nullable=True),
        sa.Column("trans_type", sa.Integer(), nullable=False),
        sa.Column("chargecat", sa.String(length=31), nullable=True),
        sa.Column("last_updated", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["drug_id"], ["drugs.drug_id"]),
        sa.ForeignKeyConstraint(["prescription_id"], ["prescriptions.id"]),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.PrimaryKeyConstraint("sale_id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_drug_sales_pid_sale_id", "drug_sales", ["pid", "sale_id"])
    op.create_index("ix_drug_sales_prescription_id", "drug_sales",
                    ["prescription_id", "sale_id"])
    op.create_table(
        "questionnaire_repository",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=255), nullable=True),
        sa.Column("provider", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_date", sa.DateTime(), nullable=False),
        sa.Column("modified_date", sa.DateTime(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("type", sa.String(length=63), nullable=False),
        sa.Column("profile", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=31), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("code", sa.String(length=255), nullable=True),
        sa.Column("code_display", sa.Text(), nullable=True),
        sa.Column("questionnaire", LONG_TEXT, nullable=True),
        sa.Column("lform", LONG_TEXT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_questionnaire_repository_name", "questionnaire_repository", ["name"])
    op.create_table(
        "questionnaire_response",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("response_id", sa.String(length=255), nullable=True),
        sa.Column("questionnaire_foreign_id", sa.Integer(), nullable=True),
        sa.Column("questionnaire_id", sa.String(length=255), nullable=True),
        sa.Column("questionnaire_name", sa.String(length=255), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("encounter", sa.Integer(), nullable=True),
        sa.Column("audit_user_id", sa.Integer(), nullable=True),
        sa.Column("creator_user_id", sa.Integer(), nullable=True),
        sa.Column("create_time", sa.DateTime(), nullable=False),
        sa.Column("last_updated", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=63), nullable=True),
        sa.Column("questionnaire", LONG_TEXT, nullable=True),
        sa.Column("questionnaire_response", LONG_TEXT, nullable=True),
        sa.Column("form_response", LONG_TEXT, nullable=True),
        sa.Column("form_score", sa.Integer(), nullable=True),
        sa.Column("tscore", DOUBLE, nullable=True),
        sa.Column("error", DOUBLE, nullable=True),
        sa.ForeignKeyConstraint(["questionnaire_foreign_id"], ["questionnaire_repository.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient_data.pid"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_questionnaire_response_patient_id_id", "questionnaire_response",
                    ["patient_id", "id"])
    op.create_index("ix_questionnaire_response_foreign_id", "questionnaire_response",
                    ["questionnaire_foreign_id"])


def downgrade() -> None:
    op.drop_table("questionnaire_response")  # its indexes go with it
    op.drop_table("questionnaire_repository")
    op.drop_table("drug_sales")
