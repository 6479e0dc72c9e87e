"""issued summary columns on cases: what clinicians search, sort and see

The working document's columns (search key, diagnosis, patient, MRN, procedure date,
ordering provider) get an issued twin, filled here from each case's latest issued
version with the same functions that fill them at signing.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TEXT_COLUMNS = (
    ("issued_search_key", sa.Text()),
    ("issued_diagnosis", sa.Text()),
    ("issued_patient_name", sa.String(length=400)),
    ("issued_mrn", sa.String(length=32)),
    ("issued_ordering_provider", sa.String(length=200)),
)
BATCH = 500


def upgrade() -> None:
    bind = op.get_bind()
    for name, kind in TEXT_COLUMNS:
        op.add_column("cases", sa.Column(name, kind, server_default="", nullable=False))
    op.add_column("cases", sa.Column("issued_procedure_date", sa.Date(), nullable=True))
    _fill(bind)
    op.create_index("ix_cases_issued_procedure_date_id", "cases", ["issued_procedure_date", "id"])
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_cases_issued_search_trgm ON cases "
            "USING gin (issued_search_key gin_trgm_ops)"
        )
    else:
        op.create_index(
            "ix_cases_issued_search_cover",
            "cases",
            ["issued_procedure_date", "id", "issued_search_key"],
        )


def _fill(bind: sa.engine.Connection) -> None:
    """The issued columns of every case with an issued version, from its latest one."""
    from marrowpath.db.repositories import issued_columns
    from marrowpath.services.documents import case_write

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
    cases = sa.table(
        "cases",
        sa.column("id", sa.Integer()),
        *(sa.column(name, kind) for name, kind in TEXT_COLUMNS),
        sa.column("issued_procedure_date", sa.Date()),
    )
    update = (
        sa.update(cases)
        .where(cases.c.id == sa.bindparam("case_id"))
        .values({name: sa.bindparam(f"new_{name}") for name, _ in TEXT_COLUMNS})
        .values(issued_procedure_date=sa.bindparam("new_issued_procedure_date"))
    )
    last = 0
    while True:  # a page of cases at a time: the documents of 100,000 cases stay on disk
        page = bind.execute(
            statement.where(versions.c.case_id > last).order_by(versions.c.case_id).limit(BATCH)
        ).all()
        if not page:
            return
        last = page[-1][0]
        batch: list[dict[str, Any]] = []
        for case_id, content in page:
            document = content.get("document") if isinstance(content, dict) else None
            if isinstance(document, dict):
                columns = issued_columns(case_write(document, None, None))
                batch.append({"case_id": case_id, **{f"new_{k}": v for k, v in columns.items()}})
        if batch:
            bind.execute(update, batch)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_index("ix_cases_issued_search_trgm", table_name="cases")
    else:
        op.drop_index("ix_cases_issued_search_cover", table_name="cases")
    op.drop_index("ix_cases_issued_procedure_date_id", table_name="cases")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("issued_procedure_date")
        for name, _ in reversed(TEXT_COLUMNS):
            batch_op.drop_column(name)
