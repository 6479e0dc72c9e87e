"""Working documents move to `marrowpath.case/2`

Every case's working document (`cases.working`: drafts, and the editable or frozen copy
of issued cases) is upgraded by `marrowpath.domain.upgrade.upgrade_case`, the function
import uses: the format string, and `core.infiltrate.pattern` becomes `patterns`.
Issued versions (`report_versions`) are never touched: they keep the document exactly as
it was signed, with its hash, and are upgraded in memory only when read.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BATCH = 500
_FORMAT_1 = "marrowpath.case/1"


def upgrade() -> None:
    from marrowpath.domain.upgrade import upgrade_case

    bind = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("id", sa.Integer()),
        sa.column("working", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    )
    last = 0
    while True:  # a page at a time: the documents of 100,000 cases stay on disk
        page = bind.execute(
            sa.select(cases.c.id, cases.c.working)
            .where(cases.c.id > last)
            .order_by(cases.c.id)
            .limit(BATCH)
        ).all()
        if not page:
            return
        last = page[-1][0]
        for case_id, working in page:
            if isinstance(working, dict) and working.get("format") == _FORMAT_1:
                bind.execute(
                    sa.update(cases)
                    .where(cases.c.id == case_id)
                    .values(working=upgrade_case(working))
                )


def downgrade() -> None:
    """Nothing: `/2` cannot be written back as `/1` without losing what `/1` has no field
    for (several infiltrate patterns, counts, therapy, communications); the working
    documents stay as they are."""
