"""A clinician's patients and what she has read of their reports

`users.provider_id` links a user to the id (e.g. NPI) she orders under; `case_recipients`
holds the provider ids the latest issued version of each case names (ordering provider
and copy to), filled here from every case's latest issued version; `report_reads` holds
what each user has read (New and Amended marks).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import marrowpath.db.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("provider_id", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_users_provider_id", ["provider_id"])
    op.create_table(
        "case_recipients",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_recipients_case_id_cases"),
        sa.PrimaryKeyConstraint("case_id", "provider_id", name="pk_case_recipients"),
    )
    op.create_index("ix_case_recipients_provider_id", "case_recipients", ["provider_id"])
    op.create_table(
        "report_reads",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("read_count", sa.Integer(), nullable=False),
        sa.Column("amendment_seen", sa.Integer(), nullable=False),
        sa.Column("read_at", marrowpath.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_report_reads_case_id_cases"),
        sa.PrimaryKeyConstraint("case_id", "username", name="pk_report_reads"),
    )
    _fill(op.get_bind())


def _fill(bind: sa.engine.Connection) -> None:
    """The recipients of every case with an issued version, from its latest one."""
    from marrowpath.domain.recipients import provider_ids

    versions = sa.table(
        "report_versions",
        sa.column("case_id", sa.Integer()),
        sa.column("number", sa.Integer()),
        sa.column("content", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    )
    latest = (
        sa.select(versions.c.case_id, sa.func.max(versions.c.number).label("number"))
        .group_by(versions.c.case_id)
        .subquery()
    )
    statement = sa.select(versions.c.case_id, versions.c.content).join(
        latest,
        sa.and_(latest.c.case_id == versions.c.case_id, latest.c.number == versions.c.number),
    )
    recipients = sa.table(
        "case_recipients",
        sa.column("case_id", sa.Integer()),
        sa.column("provider_id", sa.String()),
    )
    last = 0
    while True:  # a page of cases at a time: the documents of 100,000 cases stay on disk
        page = bind.execute(
            statement.where(versions.c.case_id > last).order_by(versions.c.case_id).limit(BATCH)
        ).all()
        if not page:
            return
        last = page[-1][0]
        rows: list[dict[str, Any]] = []
        for case_id, content in page:
            document = content.get("document") if isinstance(content, dict) else None
            if isinstance(document, dict):
                rows.extend(
                    {"case_id": case_id, "provider_id": pid} for pid in provider_ids(document)
                )
        if rows:
            bind.execute(sa.insert(recipients), rows)


def downgrade() -> None:
    op.drop_table("report_reads")
    op.drop_index("ix_case_recipients_provider_id", table_name="case_recipients")
    op.drop_table("case_recipients")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_index("ix_users_provider_id")
        batch_op.drop_column("provider_id")
