"""patient search keys: case-folded first and last names, indexed, for prefix search

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 11:30:00
"""
from alembic import op
import sqlalchemy as sa

# As the models define them today, frozen here (a migration must not change later).
SEARCH_KEY = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


def fold(text):
    return text.casefold() if isinstance(text, str) else None

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table("patient_data") as batch:
        batch.add_column(sa.Column("fname_key", SEARCH_KEY, nullable=True))
        batch.add_column(sa.Column("lname_key", SEARCH_KEY, nullable=True))
    # Fill the keys of the rows already there, folded as the application folds them.
    conn = op.get_bind()
    patients = sa.table("patient_data", sa.column("pid"), sa.column("fname"),
                        sa.column("lname"), sa.column("fname_key"), sa.column("lname_key"))
    after = 0
    while True:
        rows = conn.execute(sa.select(patients.c.pid, patients.c.fname, patients.c.lname)
                            .where(patients.c.pid > after).order_by(patients.c.pid)
                            .limit(BATCH)).all()
        if not rows:
            break
        conn.execute(
            patients.update().where(patients.c.pid == sa.bindparam("p"))
            .values(fname_key=sa.bindparam("f"), lname_key=sa.bindparam("l")),
            [{"p": pid, "f": fold(fname), "l": fold(lname)} for pid, fname, lname in rows])
        after = rows[-1].pid
    op.create_index("ix_patient_lname_key", "patient_data", ["lname_key", "fname_key"])
    op.create_index("ix_patient_fname_key", "patient_data", ["fname_key"])


def downgrade() -> None:
    op.drop_index("ix_patient_fname_key", table_name="patient_data")
    op.drop_index("ix_patient_lname_key", table_name="patient_data")
    with op.batch_alter_table("patient_data") as batch:
        batch.drop_column("lname_key")
        batch.drop_column("fname_key")
