"""calendar categories (OpenEMR's defaults), the encounter's billing and referral fields,
and the practitioner's address-book and physician fields, as OpenEMR documents them

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:45:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# OpenEMR's default calendar categories (pc_catid, name, description, minutes, type:
# 0 patient, 1 provider, 2 clinic), the ids its documentation's examples use.
DEFAULT_CATEGORIES = [
    (1, "No Show", "The patient did not come", 0, 0),
    (2, "In Office", "The provider is in the office", 0, 1),
    (3, "Out Of Office", "The provider is out of the office", 0, 1),
    (4, "Vacation", "The provider's vacation", 0, 1),
    (5, "Office Visit", "An office visit", 15, 0),
    (6, "Holidays", "The clinic's holidays", 1440, 2),
    (7, "Closed", "The clinic is closed", 1440, 2),
    (8, "Lunch", "The provider's lunch", 60, 1),
    (9, "Established Patient", "A visit of a patient seen before", 15, 0),
    (10, "New Patient", "A first visit", 30, 0),
    (11, "Reserved", "Time the provider keeps free", 15, 1),
    (12, "Health and Behavioral Assessment", "A health and behavioral assessment", 15, 0),
    (13, "Preventive Care Services", "Preventive care", 15, 0),
    (14, "Ophthalmological Services", "Eye care", 15, 0),
]


def upgrade() -> None:
    categories = op.create_table(
        "openemr_postcalendar_categories",
        sa.Column("pc_catid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pc_constant_id", sa.String(length=255), nullable=True),
        sa.Column("pc_catname", sa.String(length=100), nullable=False),
        sa.Column("pc_catdesc", sa.Text(), nullable=True),
        sa.Column("pc_duration", sa.Integer(), nullable=False),  # seconds
        sa.Column("pc_cattype", sa.Integer(), nullable=False),
        sa.Column("pc_active", sa.Boolean(), nullable=False),
        sa.Column("pc_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pc_catid"),
        sqlite_autoincrement=True,
    )
    op.bulk_insert(categories, [
        {"pc_catid": catid, "pc_constant_id": name.lower().replace(" ", "_"),
         "pc_catname": name, "pc_catdesc": desc, "pc_duration": minutes * 60,
         "pc_cattype": cattype, "pc_active": True, "pc_seq": catid}
        for catid, name, desc, minutes, cattype in DEFAULT_CATEGORIES
    ])
    if op.get_bind().dialect.name == "postgresql":  # explicit ids leave the sequence behind
        op.execute("SELECT setval(pg_get_serial_sequence('openemr_postcalendar_categories', "
                   "'pc_catid'), (SELECT max(pc_catid) FROM openemr_postcalendar_categories))")
    with op.batch_alter_table("form_encounter") as table:
        table.add_column(sa.Column("billing_note", sa.Text(), nullable=True))
        table.add_column(sa.Column("invoice_refno", sa.String(length=31), nullable=True))
        table.add_column(sa.Column("last_level_billed", sa.Integer(), nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("last_level_closed", sa.Integer(), nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("last_stmt_date", sa.Date(), nullable=True))
        table.add_column(sa.Column("stmt_count", sa.Integer(), nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("referral_source", sa.String(length=31), nullable=True))
    with op.batch_alter_table("practitioner") as table:
        table.add_column(sa.Column("abook_title", sa.String(length=255), nullable=True))
        table.add_column(sa.Column("physician_title", sa.String(length=255), nullable=True))
        table.add_column(sa.Column("physician_code", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("practitioner") as table:
        for name in ("physician_code", "physician_title", "abook_title"):
            table.drop_column(name)
    with op.batch_alter_table("form_encounter") as table:
        for name in ("referral_source", "stmt_count", "last_stmt_date", "last_level_closed",
                     "last_level_billed", "invoice_refno", "billing_note"):
            table.drop_column(name)
    op.drop_table("openemr_postcalendar_categories")
