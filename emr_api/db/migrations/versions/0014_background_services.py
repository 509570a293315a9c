"""background_services: OpenEMR's table of scheduled jobs, with the three this server
runs (expired OAuth tokens and codes, expired bulk-export files, the audit log check), and
indexes on the tokens' expiry for the cleanup

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 15:30:00
"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# name, title, minutes between runs, job, display order. All due at once (OpenEMR's
# never-run date), so a new site's first check runs them.
SERVICES = [
    ("oauth_token_cleanup", "Remove expired OAuth tokens and authorization codes", 60,
     "clean_oauth_tokens", 10),
    ("export_file_expiry", "Delete bulk-export files past their lifetime", 15,
     "expire_export_files", 20),
    ("audit_check", "Check that the audit log is being written", 60, "check_audit_log", 30),
]
NEVER_RUN = datetime(1970, 1, 1)


def upgrade() -> None:
    table = op.create_table(
        "background_services",
        sa.Column("name", sa.String(length=31), nullable=False),
        sa.Column("title", sa.String(length=127), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.Column("next_run", sa.DateTime(), nullable=False),
        sa.Column("execute_interval", sa.Integer(), nullable=False),
        sa.Column("function", sa.String(length=127), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("lock_expires_at", sa.DateTime(), nullable=True),
        sa.Column("lock_owner", sa.String(length=36), nullable=True),
        sa.Column("last_run_start", sa.DateTime(), nullable=True),
        sa.Column("last_run_end", sa.DateTime(), nullable=True),
        sa.Column("last_status", sa.String(length=10), nullable=True),
        sa.Column("last_message", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(table, [
        {"name": name, "title": title, "active": True, "running": False,
         "next_run": NEVER_RUN, "execute_interval": interval, "function": function,
         "sort_order": order}
        for name, title, interval, function, order in SERVICES
    ])
    op.create_index("ix_oauth_access_tokens_expires_at", "oauth_access_tokens",
                    ["expires_at"], unique=False)
    op.create_index("ix_oauth_refresh_tokens_expires_at", "oauth_refresh_tokens",
                    ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_oauth_refresh_tokens_expires_at", table_name="oauth_refresh_tokens")
    op.drop_index("ix_oauth_access_tokens_expires_at", table_name="oauth_access_tokens")
    op.drop_table("background_services")
