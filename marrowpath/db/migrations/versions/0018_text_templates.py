"""The laboratory's text templates

`text_templates` holds the lab's library of texts for the diagnosis lines, comment,
recommendations and plain-language explanation (`bench.md` section 2): a unique name, a
unique lower-case abbreviation, the target fields (a JSON list) and the text with its
placeholders. Who changed a template last is kept on the row; every change is in the
audit trail.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marrowpath.db.models

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "text_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("abbreviation", sa.String(length=16), nullable=False),
        sa.Column("targets", marrowpath.db.models.JsonDocument, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", marrowpath.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_text_templates_name")),
        sa.UniqueConstraint("abbreviation", name=op.f("uq_text_templates_abbreviation")),
    )


def downgrade() -> None:
    op.drop_table("text_templates")
