"""orders results: OpenEMR's `procedure_specimen`, the specimens taken for the tests of a
procedure order (served as FHIR Specimen)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 20:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _text(name: str, length: int = 255) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=True)


def upgrade() -> None:
    op.create_table(
        "procedure_specimen",
        sa.Column("procedure_specimen_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("procedure_order_id", sa.Integer(), nullable=False),
        sa.Column("procedure_order_seq", sa.Integer(), nullable=False),
        _text("specimen_identifier", 128),
        _text("accession_identifier", 128),
        _text("specimen_type_code", 64),
        _text("specimen_type"),
        _text("collection_method_code", 64),
        _text("collection_method"),
        _text("specimen_location_code", 64),
        _text("specimen_location"),
        sa.Column("collected_date", sa.DateTime(), nullable=True),
        sa.Column("collection_date_low", sa.DateTime(), nullable=True),
        sa.Column("collection_date_high", sa.DateTime(), nullable=True),
        sa.Column("volume_value", sa.Numeric(10, 3, asdecimal=False), nullable=True),
        _text("volume_unit", 32),
        _text("condition_code", 64),
        _text("specimen_condition"),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("date_created", sa.DateTime(), nullable=False),
        sa.Column("date_updated", sa.DateTime(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["procedure_order_id"], ["procedure_order.procedure_order_id"]),
        sa.PrimaryKeyConstraint("procedure_specimen_id"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_index("ix_procedure_specimen_order", "procedure_specimen",
                    ["procedure_order_id", "procedure_order_seq"])
    op.create_index("ix_procedure_specimen_accession", "procedure_specimen",
                    ["accession_identifier"])


def downgrade() -> None:
    # The table's indexes go with it (MariaDB will not drop the one its foreign key uses).
    op.drop_table("procedure_specimen")
