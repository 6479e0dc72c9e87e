"""The audit chain's anchor table (used on PostgreSQL; SQLite anchors to a file).

Anchors are only ever appended: like issued versions and audit events, the table refuses
UPDATE and DELETE (the trigger function of migration 0006), and the workstations' role
may only read and insert (`db/roles.py`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marrowpath.db.models

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("anchored_at", marrowpath.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_anchors")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_anchors_immutable BEFORE UPDATE OR DELETE ON audit_anchors "
            "FOR EACH ROW EXECUTE FUNCTION marrowpath_refuse_change()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_anchors_no_{operation.lower()} BEFORE {operation} ON "
            "audit_anchors BEGIN SELECT RAISE(ABORT, "
            "'MarrowPath: audit_anchors rows are never updated or deleted'); END"
        )


def downgrade() -> None:
    op.drop_table("audit_anchors")
