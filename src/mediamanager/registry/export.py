"""The registry's public export: every work's public fields and every owner's public name, streamed in order.

:func:`mediamanager.registry.snapshot.export_snapshot` writes what this reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa

from mediamanager.lookup import DisputeStatus, RegistryInfo
from mediamanager.model import Fingerprint, Preferences
from mediamanager.registry.accounts import owner_from_row
from mediamanager.registry.disputes import dispute_statuses, live_claimants
from mediamanager.registry.lookup import LookupService
from mediamanager.registry.preferences import effective_for_rows
from mediamanager.registry.records import Owner
from mediamanager.registry.store.tables import fingerprints, owners, works
from mediamanager.registry.uow import UnitOfWork, chunks

__all__ = ["ExportReader"]


class ExportReader:
    """Reads what a snapshot may hold: public work fields, effective preferences, claimants, owners' names."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def info(self) -> RegistryInfo:
        return LookupService(self.uow).info()

    def count_works(self) -> int:
        """How many works an export writes (for its progress total)."""
        with self.uow.read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(works)).scalar_one())

    def iter_public_works(
        self, *, batch: int = 5000
    ) -> Iterator[tuple[Any, tuple[Fingerprint, ...], Preferences, tuple[str, ...], DisputeStatus | None]]:
        """Every work's public fields, matching fingerprints, effective preferences, claimants and dispute
        state (all as of the unit of work's clock), in id order."""
        last = ""
        now = self.uow.now()  # one instant for the whole export
        while True:
            with self.uow.read() as conn:
                rows = conn.execute(
                    sa.select(
                        works.c.id,
                        works.c.owner_id,
                        works.c.media_type,
                        works.c.title,
                        works.c.sha256,
                        works.c.iscc,
                        works.c.status,
                        works.c.collection,
                        works.c.source_urls,
                    )
                    .where(works.c.id > last)
                    .order_by(works.c.id)
                    .limit(batch)
                ).all()
                if not rows:
                    return
                ids = [r.id for r in rows]
                fps: dict[str, list[Fingerprint]] = defaultdict(list)
                for chunk in chunks(ids):
                    for f in conn.execute(
                        sa.select(fingerprints)
                        .where(fingerprints.c.work_id.in_(chunk))
                        .order_by(fingerprints.c.id)
                    ):
                        fps[f.work_id].append(Fingerprint(f.kind, f.value, f.size, f.part))
                prefs = effective_for_rows(conn, rows, public=True)
                claimed = live_claimants(conn, [r.id for r in rows if r.status == "disputed"], now)
                states = dispute_statuses(conn, ids, now)
            for r in rows:
                yield r, tuple(fps.get(r.id, ())), prefs[r.id], claimed.get(r.id, ()), states.get(r.id)
            last = rows[-1].id

    def iter_owners(self) -> Iterable[Owner]:
        """Owners with at least one work: an account that registered nothing is nobody's business."""
        with self.uow.read() as conn:
            rows = conn.execute(
                sa.select(owners)
                .where(owners.c.id.in_(sa.select(works.c.owner_id).distinct()))
                .order_by(owners.c.id)
            ).all()
        return [owner_from_row(r) for r in rows]
