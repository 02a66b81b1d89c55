"""The registry's unit of work: one engine, read transactions, and audit-logged write transactions.

Every use-case class (:class:`~mediamanager.registry.accounts.AccountService`,
:class:`~mediamanager.registry.works.WorkService`, ...) is built from one :class:`UnitOfWork`
and holds nothing else, so building one per request costs nothing. Every write runs in one
transaction that first locks the audit head (see :mod:`mediamanager.registry.audit`), appends its
audit entries and either commits whole or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mediamanager.model import utcnow
from mediamanager.registry import audit
from mediamanager.registry.matching import NearDuplicateIndex
from mediamanager.registry.store.engine import WRITE
from mediamanager.settings import Settings

__all__ = ["CHUNK", "Tx", "UnitOfWork", "chunks", "new_id", "require_own_work", "select_in"]

CHUNK = 900  # stays under SQLite's bound-parameter limit on old builds


def new_id() -> str:
    return uuid.uuid4().hex


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class Tx:
    """An open write transaction: its connection, who acts, and the audit entries it appended."""

    conn: sa.Connection
    actor: str
    entries: list[audit.AuditEntry] = field(default_factory=list)

    def log(self, action: str, entity: str, entity_id: str, **payload: Any) -> None:
        self.entries.append(
            audit.append(
                self.conn,
                actor=self.actor,
                action=action,
                entity=entity,
                entity_id=entity_id,
                payload=payload,
            )
        )


class UnitOfWork:
    """One engine, its settings, the shared near-duplicate index and the clock every use case reads.

    ``clock`` is injectable so that time-dependent rules (a dispute's deadline) are deterministic in tests.
    """

    def __init__(
        self, engine: sa.Engine, settings: Settings | None = None, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.settings = settings or Settings()
        self.index = NearDuplicateIndex()
        self.clock = clock

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def write(self, actor: str) -> Iterator[Tx]:
        with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            audit.lock_head(conn)
            yield Tx(conn, actor)

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            yield conn

    def sync_index(self) -> None:
        """Bring a loaded near-duplicate index up to date (an unloaded one loads on first search)."""
        if self.index.loaded:
            with self.read() as conn:
                self.index.sync(conn)


def select_in(conn: sa.Connection, sql: str, values: Sequence[str], tail: str = "") -> list[Any]:
    """Run ``sql + " IN (...)" + tail`` over ``values`` as plain driver SQL (chunks on SQLite, ``= ANY`` on PostgreSQL).

    Hot lookup paths use this instead of SQLAlchemy's expanding IN, whose per-call
    compilation cost more than the query itself on a 10,000-item batch.
    """
    if not values:
        return []
    if conn.dialect.name == "postgresql":
        # One round trip with an array parameter instead of one per chunk.
        return list(conn.exec_driver_sql(f"{sql} = ANY(%s){tail}", (list(values),)).all())
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    out: list[Any] = []
    for chunk in chunks(list(values)):
        out.extend(
            conn.exec_driver_sql(f"{sql} IN ({','.join([mark] * len(chunk))}){tail}", tuple(chunk)).all()
        )
    return out


def require_own_work(conn: sa.Connection, owner_id: str, work_id: str) -> Any:
    """The row of ``owner_id``'s work ``work_id``; another owner's work is :class:`NotFoundError` like a missing one."""
    from mediamanager.errors import NotFoundError
    from mediamanager.registry.store.tables import works

    row = conn.execute(
        sa.select(works.c.id).where(works.c.id == work_id, works.c.owner_id == owner_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no work {work_id!r}")
    return row
