"""PostgreSQL: trigram indexes on the marked words of the search keys.

A word of one or two letters matches the start of a marked word (accession, MRN, a word
of a name; `domain/search_key.py`). pg_trgm ignores the mark, so over the whole key
such a word fetched every case with any word beginning with those letters, diagnosis
words included. These indexes cover only the part of each key before " | "
(`models.marked_words`). SQLite's FTS5 index keeps the mark in its trigrams and needs
nothing. Building them reads every case once (about a minute at a million cases).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_cases_marked_trgm": "search_key",
    "ix_cases_issued_marked_trgm": "issued_search_key",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in _INDEXES.items():
        op.execute(
            f"CREATE INDEX {name} ON cases USING gin "
            f"((split_part({column}, ' | ', 1)) gin_trgm_ops)"
        )
    op.execute("ANALYZE cases")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in _INDEXES:
        op.drop_index(name, table_name="cases")
