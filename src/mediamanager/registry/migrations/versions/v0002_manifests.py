"""Manifest repository for provenance: manifests and their soft bindings (owned by provenance).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 19:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provenance_manifests",
        sa.Column("manifest_id", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=100), nullable=False),
        sa.Column("manifest_json", sa.Text(), nullable=False),
        sa.Column("manifest_bytes", sa.LargeBinary(), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("pdq_quality", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("manifest_id", name=op.f("pk_provenance_manifests")),
    )
    op.create_index(op.f("ix_provenance_manifests_pdq"), "provenance_manifests", ["pdq"])
    op.create_table(
        "provenance_soft_bindings",
        sa.Column("manifest_id", sa.String(length=255), nullable=False),
        sa.Column("alg", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.ForeignKeyConstraint(
            ["manifest_id"],
            ["provenance_manifests.manifest_id"],
            name=op.f("fk_provenance_soft_bindings_manifest_id_provenance_manifests"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "alg", "value", "manifest_id", name=op.f("uq_provenance_soft_bindings_alg_value_manifest_id")
        ),
    )
    op.create_index("ix_provenance_soft_bindings_alg_value", "provenance_soft_bindings", ["alg", "value"])


def downgrade() -> None:
    op.drop_index("ix_provenance_soft_bindings_alg_value", table_name="provenance_soft_bindings")
    op.drop_table("provenance_soft_bindings")
    op.drop_index(op.f("ix_provenance_manifests_pdq"), table_name="provenance_manifests")
    op.drop_table("provenance_manifests")
