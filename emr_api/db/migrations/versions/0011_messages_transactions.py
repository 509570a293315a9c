"""messages and transactions: OpenEMR's pnotes (messages between users about a patient)
and transactions (referrals and the other transaction layouts, their fields as columns),
and the options of the `note_type` and `message_status` lists a message picks from

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 15:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# A message thread grows with every write: more than MariaDB's TEXT (65,535 bytes) holds.
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")

# list_id -> [(option_id, seq)], as OpenEMR installs them (the title is the option id).
OPTIONS = {
    "note_type": [("Unassigned", 1), ("Chart Note", 2), ("Insurance", 3),
                  ("New Document", 4), ("Pharmacy", 5), ("Prior Auth", 6), ("Referral", 7),
                  ("Test Scheduling", 8), ("Bill/Collect", 9), ("Other", 10),
                  ("Lab Results", 15), ("New Orders", 20), ("Patient Reminders", 25)],
    "message_status": [("Done", 5), ("Forwarded", 10), ("New", 15), ("Read", 20)],
}
list_options = sa.table(
    "list_options", sa.column("list_id"), sa.column("option_id"), sa.column("title"),
    sa.column("seq"), sa.column("is_default"), sa.column("option_value"),
    sa.column("mapping"), sa.column("notes"), sa.column("codes"), sa.column("activity"))


def upgrade() -> None:
    op.create_table(
        "pnotes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.Column("body", LONG_TEXT, nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=False),
        sa.Column("groupname", sa.String(length=255), nullable=False),
        sa.Column("activity", sa.Boolean(), nullable=False),
        sa.Column("authorized", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("assigned_to", sa.String(length=255), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("message_status", sa.String(length=20), nullable=False),
        sa.Column("update_date", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
        # A removed row's id is never handed out again (SQLite would reuse the highest).
        sqlite_autoincrement=True,
    )
    op.create_index("ix_pnotes_pid_id", "pnotes", ["pid", "id"], unique=False)

    op.create_table(
        "transactions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("groupname", sa.String(length=255), nullable=False),
        sa.Column("authorized", sa.Boolean(), nullable=False),
        sa.Column("body", LONG_TEXT, nullable=True),
        sa.Column("refer_date", sa.Date(), nullable=True),
        sa.Column("refer_diag", sa.String(length=255), nullable=True),
        sa.Column("refer_from", sa.Integer(), nullable=True),
        sa.Column("refer_to", sa.Integer(), nullable=True),
        sa.Column("refer_risk_level", sa.String(length=10), nullable=True),
        sa.Column("refer_vitals", sa.Boolean(), nullable=True),
        sa.Column("refer_authorization", sa.String(length=255), nullable=True),
        sa.Column("refer_visits", sa.Integer(), nullable=True),
        sa.Column("refer_validFrom", sa.Date(), nullable=True),
        sa.Column("refer_validThrough", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.ForeignKeyConstraint(["refer_from"], ["practitioner.id"]),
        sa.ForeignKeyConstraint(["refer_to"], ["practitioner.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_transactions_pid_id", "transactions", ["pid", "id"], unique=False)

    op.bulk_insert(list_options, [
        {"list_id": list_id, "option_id": option_id, "title": option_id, "seq": seq,
         "is_default": False, "option_value": 0, "mapping": "", "notes": None, "codes": "",
         "activity": True}
        for list_id, options in OPTIONS.items() for option_id, seq in options
    ])


def downgrade() -> None:
    op.execute(list_options.delete().where(list_options.c.list_id.in_(list(OPTIONS))))
    # Each table's indexes go with it.
    op.drop_table("transactions")
    op.drop_table("pnotes")
