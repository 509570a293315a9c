"""documents fhir: each document's SHA-1 (base64), as FHIR's Attachment.hash carries it,
filled in for the documents already stored

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 20:20:00
"""
import base64
import hashlib

from alembic import op
import sqlalchemy as sa

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("sha1", sa.String(length=28), nullable=True))
    conn = op.get_bind()
    documents = sa.table("documents", sa.column("id", sa.Integer()),
                         sa.column("sha1", sa.String()))
    contents = sa.table("document_contents", sa.column("document_id", sa.Integer()),
                        sa.column("part", sa.Integer()), sa.column("data", sa.LargeBinary()))
    ids = conn.execute(sa.select(documents.c.id).order_by(documents.c.id)).scalars().all()
    for id_ in ids:  # one document's parts at a time: never a whole table in memory
        digest = hashlib.sha1()
        for (data,) in conn.execute(sa.select(contents.c.data)
                                    .where(contents.c.document_id == id_)
                                    .order_by(contents.c.part)):
            digest.update(data)
        conn.execute(documents.update().where(documents.c.id == id_)
                     .values(sha1=base64.b64encode(digest.digest()).decode()))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("sha1")
