"""Manifest ownership: the registry owner who stored each provenance manifest.

``owner_id`` is nullable: manifests written straight into a database (``mediamanager sign --register
sqlite:///...``) have no API owner, and such rows can be changed only through the database. No foreign
key to ``owners``: the provenance tables stay usable without the registry's tables (they live in their
own MetaData), and owners are never deleted, so the id cannot dangle in practice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("provenance_manifests") as batch:
        batch.add_column(sa.Column("owner_id", sa.String(length=32), nullable=True))
        batch.create_index(batch.f("ix_provenance_manifests_owner_id"), ["owner_id"])


def downgrade() -> None:
    with op.batch_alter_table("provenance_manifests") as batch:
        batch.drop_index(batch.f("ix_provenance_manifests_owner_id"))
        batch.drop_column("owner_id")
