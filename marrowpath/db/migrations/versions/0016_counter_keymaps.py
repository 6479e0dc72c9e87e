"""Each user's differential counter keymap

`users.counter_keymap` holds the user's keymap (`domain/counter.py`, its JSON form: the
preset and the user's changes over it); NULL is the default letters map. Kept with the
user, not the workstation, so that it follows the pathologist to any microscope.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("counter_keymap", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("counter_keymap")
