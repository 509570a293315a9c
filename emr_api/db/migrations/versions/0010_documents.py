"""documents: OpenEMR's document categories (its default tree), a patient's documents and
their bytes, in parts, in a table of their own

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 15:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# OpenEMR's default document categories, with the ids its install gives them: (id, name,
# parent id, codes). The root `Categories` has no parent.
DEFAULT_CATEGORIES = [
    (1, "Categories", None, ""),
    (2, "Lab Report", 1, "LOINC:11502-2"),
    (3, "Medical Record", 1, ""),
    (4, "Patient Information", 1, ""),
    (5, "Patient ID card", 4, ""),
    (6, "Advance Directive", 1, "LOINC:42348-3"),
    (7, "Do Not Resuscitate Order", 6, ""),
    (8, "Durable Power of Attorney", 6, "LOINC:64298-3"),
    (9, "Living Will", 6, "LOINC:86533-7"),
    (10, "Patient Photograph", 4, ""),
    (11, "CCR", 1, ""),
    (12, "CCD", 1, "LOINC:34133-9"),
    (13, "CCDA", 1, "LOINC:34133-9"),
    (14, "Onsite Portal", 1, ""),
    (15, "Patient", 14, ""),
    (16, "Reviewed", 14, ""),
]

# A part of a document's bytes (at most 1 MiB): MariaDB's BLOB holds 64 KiB.
DOCUMENT_PART = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


def upgrade() -> None:
    categories = op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("codes", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["categories.id"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_categories_parent_id", "categories", ["parent_id"], unique=False)
    op.bulk_insert(categories, [
        {"id": id_, "name": name, "parent_id": parent, "codes": codes}
        for id_, name, parent, codes in DEFAULT_CATEGORIES
    ])
    if op.get_bind().dialect.name == "postgresql":  # explicit ids leave the sequence behind
        op.execute("SELECT setval(pg_get_serial_sequence('categories', 'id'), "
                   "(SELECT max(id) FROM categories))")

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("encounter", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("mimetype", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("docdate", sa.Date(), nullable=False),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["pid"], ["patient_data.pid"]),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_documents_pid_category_id", "documents", ["pid", "category_id", "id"],
                    unique=False)
    op.create_index("ix_documents_pid_encounter", "documents", ["pid", "encounter"],
                    unique=False)

    op.create_table(
        "document_contents",
        sa.Column("document_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("part", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", DOCUMENT_PART, nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("document_id", "part"),
    )


def downgrade() -> None:
    # Each table's indexes go with it.
    op.drop_table("document_contents")
    op.drop_table("documents")
    op.drop_table("categories")
