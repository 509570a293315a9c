"""fhir_history and fhir_create_lock: the versions of FHIR resources beyond their first
(vread, _history, If-Match), and the lock a conditional create takes on its criteria

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 20:20:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fhir_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("resource_type", sa.String(40), nullable=False),
        sa.Column("resource_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("recorded", sa.DateTime, nullable=False),
        sa.Column("resource", sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb"),
                  nullable=True),
        sa.UniqueConstraint("resource_type", "resource_id", "version",
                            name="uq_fhir_version"),
    )
    op.create_index("ix_fhir_history_type_id", "fhir_history", ["resource_type", "id"])
    op.create_table(
        "fhir_create_lock",
        sa.Column("resource_type", sa.String(40), primary_key=True),
        sa.Column("criteria", sa.String(64), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("fhir_create_lock")
    op.drop_index("ix_fhir_history_type_id", table_name="fhir_history")
    op.drop_table("fhir_history")
