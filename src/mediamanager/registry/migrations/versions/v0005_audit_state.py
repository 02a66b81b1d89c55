"""Audit entries bind the state they leave behind (review D10).

Adds ``audit_log.state`` (see :mod:`mediamanager.registry.audit_state`) and appends one
``audit.baseline`` entry per row that already exists, so that from this revision on every live
row of the state tables is bound to the chain and ``audit verify`` can check the tables too.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("state", sa.String(length=64), nullable=True))
    from mediamanager.registry import audit
    from mediamanager.registry.audit_state import STATE_TABLES

    conn = op.get_bind()
    audit.lock_head(conn)
    for entity, table in STATE_TABLES.items():
        for (row_id,) in conn.execute(sa.select(table.c.id).order_by(table.c.id)).all():
            audit.append(
                conn, actor="migration", action="audit.baseline", entity=entity, entity_id=row_id, payload={}
            )


def downgrade() -> None:
    # The baseline entries stay: they are part of the chain, and the older formula ignores ``state``
    # only for entries without one.
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("state")
