"""outbox for result messages and the log of received HL7 orders

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marrowpath.db.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", marrowpath.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("control_id", sa.String(length=199), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("message_type", sa.String(length=20), nullable=False),
        sa.Column("placer_order_number", sa.String(length=200), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("accession", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_received_orders_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_orders")),
        sa.UniqueConstraint(
            "placer_order_number", name=op.f("uq_received_orders_placer_order_number")
        ),
    )
    with op.batch_alter_table("received_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_received_orders_case_id"), ["case_id"], unique=False)

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("accession", sa.String(length=32), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("destination", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("control_id", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", marrowpath.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "next_attempt_at", marrowpath.db.models.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_attempt_at", marrowpath.db.models.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("lease_until", marrowpath.db.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", marrowpath.db.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("ack_code", sa.String(length=2), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_outbox_messages_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("control_id", name=op.f("uq_outbox_messages_control_id")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_messages_case_id_destination", ["case_id", "destination"], unique=False
        )
        batch_op.create_index(
            "ix_outbox_messages_status_next_attempt_at",
            ["status", "next_attempt_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_status_next_attempt_at")
        batch_op.drop_index("ix_outbox_messages_case_id_destination")
    op.drop_table("outbox_messages")
    with op.batch_alter_table("received_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_received_orders_case_id"))
    op.drop_table("received_orders")
