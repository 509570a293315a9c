"""appointments: OpenEMR's openemr_postcalendar_events, the columns its appointment API
reads or writes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "openemr_postcalendar_events",
        sa.Column("pc_eid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("pc_catid", sa.Integer(), nullable=False),
        sa.Column("pc_aid", sa.Integer(), nullable=True),
        sa.Column("pc_pid", sa.Integer(), nullable=False),
        sa.Column("pc_title", sa.String(length=150), nullable=False),
        sa.Column("pc_time", sa.DateTime(), nullable=False),
        sa.Column("pc_hometext", sa.Text(), nullable=True),
        sa.Column("pc_informant", sa.String(length=20), nullable=True),
        sa.Column("pc_eventDate", sa.Date(), nullable=False),
        sa.Column("pc_endDate", sa.Date(), nullable=True),
        sa.Column("pc_duration", sa.Integer(), nullable=False),
        sa.Column("pc_startTime", sa.Time(), nullable=False),
        sa.Column("pc_endTime", sa.Time(), nullable=False),
        sa.Column("pc_eventstatus", sa.Integer(), nullable=False),
        sa.Column("pc_sharing", sa.Integer(), nullable=False),
        sa.Column("pc_apptstatus", sa.String(length=15), nullable=False),
        sa.Column("pc_facility", sa.Integer(), nullable=False),
        sa.Column("pc_billing_location", sa.Integer(), nullable=False),
        sa.Column("pc_room", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["pc_catid"], ["openemr_postcalendar_categories.pc_catid"]),
        sa.ForeignKeyConstraint(["pc_aid"], ["practitioner.id"]),
        sa.ForeignKeyConstraint(["pc_pid"], ["patient_data.pid"]),
        sa.ForeignKeyConstraint(["pc_facility"], ["facility.id"]),
        sa.ForeignKeyConstraint(["pc_billing_location"], ["facility.id"]),
        sa.PrimaryKeyConstraint("pc_eid"),
        sa.UniqueConstraint("uuid"),
        # A deleted row's id is never handed out again (SQLite would reuse the highest).
        sqlite_autoincrement=True,
    )
    op.create_index("ix_appointment_pid_eid", "openemr_postcalendar_events",
                    ["pc_pid", "pc_eid"], unique=False)
    op.create_index("ix_appointment_event_date", "openemr_postcalendar_events",
                    ["pc_eventDate"], unique=False)


def downgrade() -> None:
    op.drop_table("openemr_postcalendar_events")  # its indexes go with it
