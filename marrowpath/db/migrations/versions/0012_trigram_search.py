"""search by any spelling, from trigram indexes on both databases

Every folded key is rebuilt with the new folding (names also in Latin, apostrophes and
hyphens ignored, the marked words that short query words match: `domain/search_key.py`):
the working key from the working document, the issued key from the latest issued
version, the patient's key from the patient row. Then SQLite gets its FTS5 trigram table
and the triggers that keep it in step (`db/search_index.py`), filled from the new keys;
its covering indexes, which only served the old full scan, go. PostgreSQL keeps its
pg_trgm indexes, rebuilt once after the keys rather than row by row, and gets indexes in
the worklist's order (newest first, no date last), so that a common word is answered by
walking the newest cases rather than sorting every match.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BATCH = 500
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TRGM_INDEXES = {
    "ix_cases_search_trgm": "search_key",
    "ix_cases_issued_search_trgm": "issued_search_key",
}
# PostgreSQL: the worklist's order, so that a common word walks newest first (models.py)
_NEWEST_FIRST = {
    "ix_cases_newest_first": "procedure_date",
    "ix_cases_issued_newest_first": "issued_procedure_date",
}
_COVERING_INDEXES = {
    "ix_cases_search_cover": ["procedure_date", "id", "search_key"],
    "ix_cases_issued_search_cover": ["issued_procedure_date", "id", "issued_search_key"],
}


def upgrade() -> None:
    from marrowpath.db import search_index

    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:  # one index build after a million updates, not a million index updates
        for name in _TRGM_INDEXES:
            op.drop_index(name, table_name="cases")
    _rebuild_working_keys(bind)
    _rebuild_issued_keys(bind)
    _rebuild_patient_keys(bind)
    if postgres:
        for name, column in _TRGM_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON cases USING gin ({column} gin_trgm_ops)")
        for name, column in _NEWEST_FIRST.items():
            op.execute(f"CREATE INDEX {name} ON cases ({column} DESC NULLS LAST, id DESC)")
        op.execute("ANALYZE cases")
        return
    for name in _COVERING_INDEXES:
        op.drop_index(name, table_name="cases")
    for statement in search_index.CREATE_STATEMENTS:
        op.execute(statement)
    op.execute(search_index.FILL_STATEMENT)


def downgrade() -> None:
    from marrowpath.db import search_index

    if op.get_bind().dialect.name == "postgresql":
        for name in _NEWEST_FIRST:
            op.drop_index(name, table_name="cases")
        return  # the keys stay in the new form; LIKE still finds every word in them
    for statement in search_index.DROP_STATEMENTS:
        op.execute(statement)
    for name, columns in _COVERING_INDEXES.items():
        op.create_index(name, "cases", columns)


_cases = sa.table(
    "cases",
    sa.column("id", sa.Integer()),
    sa.column("working", _JSON),
    sa.column("search_key", sa.Text()),
    sa.column("issued_search_key", sa.Text()),
)


def _pages(bind: sa.Connection, statement: sa.Select[Any], key: Any) -> Iterator[Sequence[Any]]:
    """Rows a page at a time in `key` order: 100,000 documents never sit in memory."""
    last = 0
    while True:
        page = bind.execute(statement.where(key > last).order_by(key).limit(BATCH)).all()
        if not page:
            return
        last = page[-1][0]
        yield page


def _update(bind: sa.Connection, column: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        statement = (
            sa.update(_cases)
            .where(_cases.c.id == sa.bindparam("case_id"))
            .values({column: sa.bindparam("key")})
        )
        bind.execute(statement, rows)


def _rebuild_working_keys(bind: sa.Connection) -> None:
    from marrowpath.services.documents import search_key

    statement = sa.select(_cases.c.id, _cases.c.working)
    for page in _pages(bind, statement, _cases.c.id):
        rows = [
            {"case_id": case_id, "key": search_key(working)}
            for case_id, working in page
            if isinstance(working, dict)
        ]
        _update(bind, "search_key", rows)


def _rebuild_issued_keys(bind: sa.Connection) -> None:
    """From each case's latest issued version, as signing fills it (`issued_columns`)."""
    from marrowpath.services.documents import search_key

    versions = sa.table(
        "report_versions",
        sa.column("case_id", sa.Integer()),
        sa.column("number", sa.Integer()),
        sa.column("content", _JSON),
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
    for page in _pages(bind, statement, versions.c.case_id):
        rows = []
        for case_id, content in page:
            document = content.get("document") if isinstance(content, dict) else None
            if isinstance(document, dict):
                rows.append({"case_id": case_id, "key": search_key(document)})
        _update(bind, "issued_search_key", rows)


def _rebuild_patient_keys(bind: sa.Connection) -> None:
    from marrowpath.domain.text import fold

    patients = sa.table(
        "patients",
        sa.column("id", sa.Integer()),
        sa.column("mrn", sa.String()),
        sa.column("family_name", sa.String()),
        sa.column("given_names", sa.String()),
        sa.column("search_key", sa.String()),
    )
    statement = sa.select(
        patients.c.id, patients.c.family_name, patients.c.given_names, patients.c.mrn
    )
    update = (
        sa.update(patients)
        .where(patients.c.id == sa.bindparam("patient_id"))
        .values(search_key=sa.bindparam("key"))
    )
    for page in _pages(bind, statement, patients.c.id):
        bind.execute(
            update,
            [
                {"patient_id": pid, "key": fold(f"{family} {given} {mrn}")}
                for pid, family, given, mrn in page
            ],
        )
