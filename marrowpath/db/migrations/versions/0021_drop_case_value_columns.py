"""Drop the case columns `blasts_pct`, `plasma_cells_pct`, `cellularity_pct` and
`fibrosis_grade`.

They copied four values of the working document beside it and were never read: the
timeline, the report's prior marrows and the exports compute their values from the
issued versions (`timeline.SERIES`, by `derived.py`), and `blasts_pct` held blasts where
the timeline shows blast equivalents. Keeping them meant restating each value in the
model, the repository and the columns written with every save.

A downgrade adds them back empty (nullable, as they were): nothing read them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("blasts_pct", sa.Double()),
    ("plasma_cells_pct", sa.Double()),
    ("cellularity_pct", sa.Integer()),
    ("fibrosis_grade", sa.String(length=20)),
)


def upgrade() -> None:
    # a plain DROP COLUMN (SQLite 3.35+): a batch rebuild of `cases` would drop the
    # triggers that keep its search index (migration 0012)
    for name, _kind in COLUMNS:
        op.drop_column("cases", name)


def downgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("cases", sa.Column(name, kind, nullable=True))
