"""observation categories: OpenEMR's `issue_encounter` (a problem linked to a visit: an
encounter-diagnosis Condition, with a uuid of its own), its `history_data` (social history:
the smoking status) and `patient_data.sexual_orientation`

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 20:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def _text(name: str, length: int = 255) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("patient_data") as batch:
        batch.add_column(_text("sexual_orientation", 50))

    op.create_table(
        "issue_encounter",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("encounter", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.ForeignKeyConstraint(["list_id"], ["lists.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
        sa.UniqueConstraint("list_id", "encounter", name="uq_issue_encounter_list_encounter"),
    )
    op.create_index("ix_issue_encounter_pid_encounter", "issue_encounter",
                    ["pid", "encounter"])

    op.create_table(
        "history_data",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("date", sa.DateTime(), nullable=False),
        _text("tobacco"),
        _text("alcohol"),
        _text("recreational_drugs"),
        _text("exercise_patterns"),
        _text("coffee"),
        _text("counseling"),
        _text("hazardous_activities"),
        _text("sleep_patterns"),
        _text("seatbelt_use"),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_history_data_pid_date", "history_data", ["pid", "date"])


def downgrade() -> None:
    # A table's indexes go with it (MariaDB refuses to drop one a foreign key uses).
    op.drop_table("history_data")
    op.drop_table("issue_encounter")
    with op.batch_alter_table("patient_data") as batch:
        batch.drop_column("sexual_orientation")
