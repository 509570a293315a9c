"""lists: OpenEMR's patient issues (allergies, medical problems, medications, surgeries,
dental issues) in one table, told apart by `type`

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("begdate", sa.Date(), nullable=True),
        sa.Column("enddate", sa.Date(), nullable=True),
        sa.Column("diagnosis", sa.String(length=255), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("activity", sa.Boolean(), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Integer(), nullable=False),
        sa.Column("severity_al", sa.String(length=50), nullable=True),
        sa.Column("reaction", sa.String(length=255), nullable=True),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.Column("modifydate", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
        # A deleted row's id is never handed out again (SQLite would reuse the highest).
        sqlite_autoincrement=True,
    )
    op.create_index("ix_lists_pid_type", "lists", ["pid", "type"], unique=False)
    op.create_index("ix_lists_type_id", "lists", ["type", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("lists")  # its indexes go with it
