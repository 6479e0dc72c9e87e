"""Search indexes: a covering index on SQLite, a trigram index on PostgreSQL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_cases_search_trgm ON cases USING gin (search_key gin_trgm_ops)")
    else:
        op.create_index("ix_cases_search_cover", "cases", ["procedure_date", "id", "search_key"])


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_index("ix_cases_search_trgm", table_name="cases")
    else:
        op.drop_index("ix_cases_search_cover", table_name="cases")
