"""Patient merges: the reversible record of a duplicate registration merged into the
surviving patient, and on each patient whether it is merged and which MRNs it absorbed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import marrowpath.db.models

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN with its reference on both databases: no rebuild of the patients table,
    # which the cases reference (Alembic adds a SQLite reference only by a rebuild)
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE patients ADD COLUMN merged_into_id INTEGER CONSTRAINT "
            "fk_patients_merged_into_id_patients REFERENCES patients (id)"
        )
    else:
        op.add_column(
            "patients",
            sa.Column(
                "merged_into_id",
                sa.Integer(),
                sa.ForeignKey("patients.id", name=op.f("fk_patients_merged_into_id_patients")),
                nullable=True,
            ),
        )
    op.add_column(
        "patients", sa.Column("former_mrns", sa.Text(), server_default="", nullable=False)
    )
    op.create_table(
        "patient_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_patient_id", sa.Integer(), nullable=False),
        sa.Column("into_patient_id", sa.Integer(), nullable=False),
        sa.Column("from_mrn", sa.String(length=32), nullable=False),
        sa.Column("into_mrn", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("case_ids", marrowpath.db.models.JsonDocument, nullable=False),
        sa.Column("merged_by", sa.String(length=64), nullable=False),
        sa.Column("merged_at", marrowpath.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("unmerged_by", sa.String(length=64), nullable=True),
        sa.Column("unmerged_at", marrowpath.db.models.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_patient_id"],
            ["patients.id"],
            name=op.f("fk_patient_merges_from_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["into_patient_id"],
            ["patients.id"],
            name=op.f("fk_patient_merges_into_patient_id_patients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_merges")),
    )
    op.create_index(
        op.f("ix_patient_merges_from_patient_id"), "patient_merges", ["from_patient_id"]
    )
    op.create_index(
        op.f("ix_patient_merges_into_patient_id"), "patient_merges", ["into_patient_id"]
    )


def downgrade() -> None:
    op.drop_table("patient_merges")
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("former_mrns")
        batch.drop_column("merged_into_id")
