"""Reserved: dispenses questionnaires (filled in by the FHIR work of issue 8; no change yet)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 20:20:00
"""

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
