"""The sign-out queue: signable cases, drafts sent for review, presence.

`cases.signable` says the working document is complete enough to sign (it parses as a
whole case); it is written with every working document from now on, and filled here for
the unsigned cases already stored, by the same parser (a page of cases at a time). `case_reviews` keeps a resident's
draft as sent to an attending; `case_presence` who has a case open, where, since when.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op

import marrowpath.db.models

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column("signable", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    _fill_signable()
    op.create_table(
        "case_reviews",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("resident", sa.String(length=64), nullable=False),
        sa.Column("attending", sa.String(length=64), nullable=False),
        sa.Column("sent_at", marrowpath.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("text", marrowpath.db.models.JsonDocument, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_reviews_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_reviews")),
    )
    op.create_index(op.f("ix_case_reviews_attending"), "case_reviews", ["attending"])
    op.create_table(
        "case_presence",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("workstation", sa.String(length=200), nullable=False),
        sa.Column("since", marrowpath.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", marrowpath.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_presence_case_id_cases")
        ),
        sa.PrimaryKeyConstraint(
            "case_id", "username", "workstation", name=op.f("pk_case_presence")
        ),
    )
    op.create_index(op.f("ix_case_presence_seen_at"), "case_presence", ["seen_at"])


def _fill_signable() -> None:
    from marrowpath.domain.errors import InvalidCase
    from marrowpath.domain.validation import parse_case

    bind = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("amendment_in_progress", sa.Boolean()),
        sa.column("working", marrowpath.db.models.JsonDocument),
        sa.column("signable", sa.Boolean()),
    )
    unsigned = sa.or_(
        cases.c.status.in_(["draft", "preliminary"]), cases.c.amendment_in_progress.is_(True)
    )
    mark = sa.update(cases).where(cases.c.id == sa.bindparam("case_id")).values(signable=True)
    today = date.today()
    last = 0
    while True:  # the documents of a large lab stay on disk, BATCH at a time
        page = bind.execute(
            sa.select(cases.c.id, cases.c.working)
            .where(unsigned, cases.c.id > last)
            .order_by(cases.c.id)
            .limit(BATCH)
        ).all()
        if not page:
            return
        last = page[-1][0]
        signable = []
        for case_id, working in page:
            try:
                parse_case(working, today=today)
            except InvalidCase:
                continue
            signable.append({"case_id": case_id})
        if signable:
            bind.execute(mark, signable)


def downgrade() -> None:
    op.drop_table("case_presence")
    op.drop_table("case_reviews")
    # a plain DROP COLUMN (SQLite 3.35+): a batch rebuild of `cases` would drop the
    # triggers that keep its search index (migration 0012)
    op.drop_column("cases", "signable")
