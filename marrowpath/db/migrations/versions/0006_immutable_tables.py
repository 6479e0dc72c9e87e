"""Issued versions and audit events refuse UPDATE and DELETE (triggers on both databases).

The services only ever insert these rows; the triggers make any other change fail in the
database itself, whoever sends it. On PostgreSQL the workstations' application role has
no UPDATE or DELETE on these tables either (`marrowpath db upgrade --app-role`), and
only the owner role, which is not given to workstations, could drop the triggers.

A future batch migration (SQLite "move and copy") of either table recreates the table
and must create these triggers again.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None

IMMUTABLE_TABLES = ("report_versions", "audit_events")
FUNCTION = "marrowpath_refuse_change"


def _message(table: str) -> str:
    return f"MarrowPath: {table} rows are never updated or deleted"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # SQLSTATE 23000 (integrity constraint violation): drivers report it as such
        op.execute(
            f"""
            CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'MarrowPath: % rows are never updated or deleted (% refused)',
                    TG_TABLE_NAME, TG_OP USING ERRCODE = '23000';
            END
            $$
            """
        )
        for table in IMMUTABLE_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            )
        return
    for table in IMMUTABLE_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{_message(table)}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in IMMUTABLE_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
        return
    for table in IMMUTABLE_TABLES:
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")
