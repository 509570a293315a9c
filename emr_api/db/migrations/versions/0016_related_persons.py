"""Reserved: related persons (filled in by the FHIR work of issue 8; no change yet)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 20:20:00
"""

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
