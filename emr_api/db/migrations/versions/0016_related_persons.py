"""patient primary provider and guardian: OpenEMR's patient_data.providerID and guardian*

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 20:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

GUARDIAN = ("guardiansname", "guardianrelationship", "guardiansex", "guardianaddress",
            "guardiancity", "guardianstate", "guardianpostalcode", "guardiancountry",
            "guardianphone", "guardianworkphone", "guardianemail")


def upgrade() -> None:
    with op.batch_alter_table("patient_data") as batch:
        batch.add_column(sa.Column("providerID", sa.Integer(), nullable=True))
        for name in GUARDIAN:
            batch.add_column(sa.Column(name, sa.String(255), nullable=True))
    op.create_index("ix_patient_data_providerID", "patient_data", ["providerID"])


def downgrade() -> None:
    op.drop_index("ix_patient_data_providerID", table_name="patient_data")
    with op.batch_alter_table("patient_data") as batch:
        for name in reversed(GUARDIAN):
            batch.drop_column(name)
        batch.drop_column("providerID")
