"""care plans and teams: OpenEMR's care-plan form lines (`form_care_plan`: goals, plans of
care, orders, ... of an encounter), OpenEMR 7's care teams (`care_teams`,
`care_team_member`), and the Unique Device Identifier of an implantable device kept in
`lists` (`udi`, and `udi_data`: what the FDA's GUDID says of it, as JSON)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 20:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_care_plan",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("encounter", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=True),
        sa.Column("groupname", sa.String(length=255), nullable=True),
        sa.Column("authorized", sa.Boolean(), nullable=False),
        sa.Column("activity", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(length=255), nullable=True),
        sa.Column("codetext", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(length=30), nullable=True),
        sa.Column("care_plan_type", sa.String(length=30), nullable=False),
        sa.Column("note_related_to", sa.Text(), nullable=True),
        sa.Column("date_end", sa.DateTime(), nullable=True),
        sa.Column("reason_code", sa.String(length=31), nullable=True),
        sa.Column("reason_description", sa.Text(), nullable=True),
        sa.Column("reason_date_low", sa.DateTime(), nullable=True),
        sa.Column("reason_date_high", sa.DateTime(), nullable=True),
        sa.Column("reason_status", sa.String(length=31), nullable=True),
        sa.Column("last_updated", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_care_plan_pid_encounter", "form_care_plan", ["pid", "encounter"],
                    unique=False)
    op.create_index("ix_care_plan_pid_type", "form_care_plan", ["pid", "care_plan_type"],
                    unique=False)
    op.create_table(
        "care_teams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("team_name", sa.String(length=255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("date_created", sa.DateTime(), nullable=False),
        sa.Column("date_updated", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_care_teams_pid", "care_teams", ["pid"], unique=False)
    op.create_table(
        "care_team_member",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("care_team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=50), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("provider_since", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["care_team_id"], ["care_teams.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["practitioner.id"]),
        sa.ForeignKeyConstraint(["facility_id"], ["facility.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_care_team_member_team", "care_team_member", ["care_team_id", "role"],
                    unique=False)
    op.create_index("ix_care_team_member_role", "care_team_member", ["role", "care_team_id"],
                    unique=False)
    with op.batch_alter_table("lists") as table:
        table.add_column(sa.Column("udi", sa.String(length=255), nullable=True))
        table.add_column(sa.Column("udi_data", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lists") as table:
        table.drop_column("udi_data")
        table.drop_column("udi")
    # Their indexes go with them (MariaDB refuses to drop one a foreign key uses).
    op.drop_table("care_team_member")
    op.drop_table("care_teams")
    op.drop_table("form_care_plan")
