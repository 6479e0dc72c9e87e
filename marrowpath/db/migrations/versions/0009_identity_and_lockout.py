"""look-alike MRN keys on patients; the end of a lockout on users

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import marrowpath.db.models
from marrowpath.domain.identity import mrn_key
from marrowpath.domain.users import DEFAULT_LOCKOUT_MINUTES

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mrn_key", sa.String(length=128), nullable=True))
        batch_op.create_index(batch_op.f("ix_patients_mrn_key"), ["mrn_key"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "locked_until", marrowpath.db.models.UtcDateTime(timezone=True), nullable=True
            )
        )
    bind = op.get_bind()
    patients = sa.table(
        "patients", sa.column("id", sa.Integer), sa.column("mrn", sa.String), sa.column("mrn_key")
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(patients.c.id, patients.c.mrn)
            .where(patients.c.id > last)
            .order_by(patients.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            bind.execute(
                patients.update().where(patients.c.id == row.id).values(mrn_key=mrn_key(row.mrn))
            )
        last = rows[-1].id
    # accounts locked before lockouts expired: they now expire like a new lockout
    users = sa.table(
        "users",
        sa.column("locked", sa.Boolean),
        sa.column("locked_until", marrowpath.db.models.UtcDateTime(timezone=True)),
    )
    bind.execute(
        users.update()
        .where(users.c.locked.is_(True))
        .values(locked_until=datetime.now(UTC) + timedelta(minutes=DEFAULT_LOCKOUT_MINUTES))
    )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patients_mrn_key"))
        batch_op.drop_column("mrn_key")
