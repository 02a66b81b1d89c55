"""Near-duplicate search for the registry: the fingerprint package's indexes, kept in step with the database.

One in-memory index per media type (``TextIndex``, ``ImageIndex``, ``AudioIndex``
from :mod:`mediamanager.fingerprint.index`). It is loaded lazily on the first
near-duplicate query and then catches up incrementally: fingerprint rows carry
an increasing id, and writers are serialised by the audit-head lock, so rows
become visible in id order and "load every id above the last one seen" misses
nothing. Works deleted by another process stay in the index until restart, so
every hit is re-checked against the ``works`` table by the caller.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from mediamanager.errors import InvalidFingerprintError, MediaManagerError
from mediamanager.fingerprint.check import EXACT_KINDS
from mediamanager.model import Fingerprint, Match, MediaType
from mediamanager.registry.store.tables import fingerprints, works

__all__ = ["EXACT_KINDS", "NearDuplicateIndex", "new_index", "validate_fingerprints"]

# Identifiers that are columns of the work, not matching-grade fingerprints.


def new_index(media_type: MediaType) -> Any:
    """A fresh, empty index from the fingerprint package for ``media_type``."""
    from mediamanager.fingerprint import index as fx

    classes = {MediaType.TEXT: "TextIndex", MediaType.IMAGE: "ImageIndex", MediaType.AUDIO: "AudioIndex"}
    name = classes.get(media_type)
    try:
        cls = getattr(fx, name) if name else None
    except (AttributeError, ImportError):
        cls = None
    if cls is None:
        raise InvalidFingerprintError(f"no near-duplicate index for media type {media_type.value!r}")
    return cls()


def validate_fingerprints(media_type: MediaType, fps: Sequence[Fingerprint]) -> None:
    """Raise :class:`InvalidFingerprintError` unless ``fps`` can be indexed for ``media_type``.

    The fingerprint package's own decoder is the judge: the values are added to a
    scratch index, so anything the real index would reject is rejected here,
    before a row is written.
    """
    matching = [f for f in fps if f.kind not in EXACT_KINDS]
    if not matching:
        return
    for f in matching:
        if not f.kind or len(f.kind) > 32 or not f.value or len(f.value) > 65536:
            raise InvalidFingerprintError(f"malformed fingerprint of kind {f.kind!r}")
        if f.size is not None and not 0 <= f.size <= 2**31 - 1:
            raise InvalidFingerprintError(f"fingerprint {f.kind!r}: size {f.size} out of range")
        if not 0 <= f.part <= 100_000:
            raise InvalidFingerprintError(f"fingerprint {f.kind!r}: part {f.part} out of range")
    scratch = new_index(media_type)
    unknown = sorted({f.kind for f in matching} - set(getattr(scratch, "kinds", ()) or ()))
    if unknown:
        known = ", ".join(sorted(getattr(scratch, "kinds", ()))) or "none"
        raise InvalidFingerprintError(
            f"fingerprint kind(s) {', '.join(unknown)} not used for {media_type.value}; expected: {known}"
        )
    try:
        scratch.add_fingerprints("probe", list(matching))
    except MediaManagerError as exc:
        raise InvalidFingerprintError(f"malformed {media_type.value} fingerprint: {exc}") from None
    except Exception as exc:  # any decode failure of a caller's value is the caller's error, not a 500
        raise InvalidFingerprintError(
            f"malformed {media_type.value} fingerprint: {type(exc).__name__}: {exc}"
        ) from None


class NearDuplicateIndex:
    """Per-media-type near-duplicate indexes over every registered work's fingerprints."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._indexes: dict[MediaType, Any] = {}
        self._keys: set[str] = set()
        self._last_id = 0
        self._loaded = False

    def sync(self, conn: sa.Connection, *, batch: int = 20_000) -> None:
        """Load fingerprint rows added since the last call (all of them the first time)."""
        with self._lock:
            carry: list[Any] = []
            while True:
                fetched = conn.execute(
                    sa.select(
                        fingerprints.c.id,
                        fingerprints.c.work_id,
                        fingerprints.c.kind,
                        fingerprints.c.value,
                        fingerprints.c.size,
                        fingerprints.c.part,
                        works.c.media_type,
                    )
                    .join(works, works.c.id == fingerprints.c.work_id)
                    .where(fingerprints.c.id > self._last_id)
                    .order_by(fingerprints.c.id)
                    .limit(batch)
                ).all()
                if fetched:
                    self._last_id = int(fetched[-1].id)
                rows = carry + list(fetched)
                carry = []
                full = len(fetched) == batch
                if full:
                    # A work's rows are contiguous, but the last work may go on in the next batch, and
                    # add_fingerprints replaces a key: carry its rows over until it is read whole.
                    tail = rows[-1].work_id
                    carry = [r for r in rows if r.work_id == tail]
                    rows = [r for r in rows if r.work_id != tail]
                grouped: dict[tuple[str, str], list[Fingerprint]] = defaultdict(list)
                for r in rows:
                    grouped[(r.work_id, r.media_type)].append(Fingerprint(r.kind, r.value, r.size, r.part))
                for (work_id, media), fps in grouped.items():
                    self._add(work_id, MediaType(media), fps)
                if not full:
                    break
            self._loaded = True

    @property
    def loaded(self) -> bool:
        return self._loaded

    def _add(self, work_id: str, media_type: MediaType, fps: Iterable[Fingerprint]) -> None:
        fps = [f for f in fps if f.kind not in EXACT_KINDS]
        if not fps:
            return
        index = self._indexes.get(media_type)
        if index is None:
            index = self._indexes[media_type] = new_index(media_type)
        index.add_fingerprints(work_id, fps)
        self._keys.add(work_id)

    def remove(self, work_id: str) -> None:
        with self._lock:
            if work_id not in self._keys:
                return
            for index in self._indexes.values():
                index.remove(work_id)
            self._keys.discard(work_id)

    def search(self, media_type: MediaType | None, fps: Sequence[Fingerprint], limit: int) -> list[Match]:
        """Works whose fingerprints are near ``fps``, best first (all media types when ``media_type`` is None)."""
        fps = [f for f in fps if f.kind not in EXACT_KINDS]
        if not fps:
            return []
        with self._lock:
            targets = [self._indexes[media_type]] if media_type in self._indexes else []
            if media_type is None:
                targets = list(self._indexes.values())
            found: list[Match] = []
            for index in targets:
                found.extend(index.search_fingerprints(fps, limit))
        best: dict[str, Match] = {}
        for m in found:
            if m.key not in best or m.score > best[m.key].score:
                best[m.key] = m
        return sorted(best.values(), key=lambda m: -m.score)[:limit]
