"""A compact LSH band table: per band, a sorted array of 32-bit band keys beside 32-bit item ids.

Each band is an independent shard (one pair of arrays, one pair of files). A lookup is one
``searchsorted`` per band; an item costs 8 bytes per band (24 bands: 192 bytes), against
kilobytes per item in hash-table LSH implementations (see the research note, section 2.2).
Items added after the last merge wait in an unsorted buffer and are merged on the next
lookup; deleted items are filtered by the caller's liveness mask and dropped by
:meth:`BandTable.compact`.

On-disk layout written by :meth:`BandTable.save` into a directory, for each band ``b``:

* ``band-{b:02d}.keys.npy``: NumPy ``.npy``, dtype ``<u4``, shape ``(n,)``, ascending;
* ``band-{b:02d}.ids.npy``: NumPy ``.npy``, dtype ``<u4``, shape ``(n,)``: the item id of
  each key (ties ordered by id).

:meth:`BandTable.load` memory-maps them read-only, so a worker can load just the bands
(shards) it needs and the operating system shares the pages between processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["BandTable"]

U32Array = npt.NDArray[np.uint32]


def _sorted(keys: U32Array, ids: U32Array) -> tuple[U32Array, U32Array]:
    order = np.lexsort((ids, keys))
    return keys[order], ids[order]


class BandTable:
    """Sorted-array LSH index over ``num_bands`` uint32 band keys per item."""

    def __init__(self, num_bands: int) -> None:
        self.num_bands = num_bands
        self._keys: list[U32Array] = [np.empty(0, np.uint32) for _ in range(num_bands)]
        self._ids: list[U32Array] = [np.empty(0, np.uint32) for _ in range(num_bands)]
        self._pending_ids: list[U32Array] = []
        self._pending_keys: list[U32Array] = []
        # Recent additions live in a small sorted "delta" table per band, searched beside the
        # main one and folded into it once it holds an eighth as many items (LSM-style), so
        # adding one work to a large index does not re-sort a million keys.
        self._delta_keys: list[U32Array] = [np.empty(0, np.uint32) for _ in range(num_bands)]
        self._delta_ids: list[U32Array] = [np.empty(0, np.uint32) for _ in range(num_bands)]

    def __len__(self) -> int:
        if not self.num_bands:
            return 0
        return len(self._ids[0]) + len(self._delta_ids[0]) + sum(len(p) for p in self._pending_ids)

    @property
    def nbytes(self) -> int:
        """Bytes held by the sorted arrays (pending buffers excluded)."""
        main = sum(k.nbytes + i.nbytes for k, i in zip(self._keys, self._ids, strict=True))
        return main + sum(k.nbytes + i.nbytes for k, i in zip(self._delta_keys, self._delta_ids, strict=True))

    def add(self, ids: U32Array, band_keys: U32Array) -> None:
        """Queue items ``ids`` with their band keys (shape ``(len(ids), num_bands)``)."""
        band_keys = np.asarray(band_keys, dtype=np.uint32).reshape(len(ids), self.num_bands)
        self._pending_ids.append(np.asarray(ids, dtype=np.uint32))
        self._pending_keys.append(band_keys)

    def merge(self, *, full: bool = False) -> None:
        """Sort queued items into the delta tables; fold those into the main ones when large or ``full``."""
        if self._pending_ids:
            new_ids = np.concatenate(self._pending_ids)
            new_keys = np.concatenate(self._pending_keys)
            self._pending_ids, self._pending_keys = [], []
            for b in range(self.num_bands):
                self._delta_keys[b], self._delta_ids[b] = _sorted(
                    np.concatenate([self._delta_keys[b], new_keys[:, b]]),
                    np.concatenate([self._delta_ids[b], new_ids]),
                )
        delta = len(self._delta_ids[0]) if self.num_bands else 0
        if delta and (full or delta * 8 >= len(self._ids[0])):
            for b in range(self.num_bands):
                self._keys[b], self._ids[b] = _sorted(
                    np.concatenate([self._keys[b], self._delta_keys[b]]),
                    np.concatenate([self._ids[b], self._delta_ids[b]]),
                )
                self._delta_keys[b] = np.empty(0, np.uint32)
                self._delta_ids[b] = np.empty(0, np.uint32)

    def compact(self, keep: npt.NDArray[np.bool_], renumber: U32Array) -> None:
        """Drop items whose ``keep[id]`` is false and map surviving ids through ``renumber``."""
        self.merge(full=True)
        for b in range(self.num_bands):
            mask = keep[self._ids[b]]
            self._keys[b] = np.ascontiguousarray(self._keys[b][mask])
            self._ids[b] = renumber[self._ids[b][mask]].astype(np.uint32)

    def candidates(self, query_keys: U32Array, max_bucket: int) -> U32Array:
        """Ids of items sharing at least one band key with any query row (duplicates possible).

        ``query_keys`` has shape ``(m, num_bands)``. Buckets holding more than ``max_bucket``
        items are skipped: such a key is shared boilerplate (a stop-shingle), not evidence.
        """
        _, ids = self.candidate_pairs(query_keys, max_bucket)
        return ids

    def candidate_pairs(self, query_keys: U32Array, max_bucket: int) -> tuple[U32Array, U32Array]:
        """``(query row, item id)`` pairs sharing a band key, for all query rows at once.

        Vectorised over queries: one pair of ``searchsorted`` calls per band. Pairs may repeat
        (several bands agree); buckets larger than ``max_bucket`` are skipped as boilerplate.
        """
        self.merge()
        q = np.asarray(query_keys, dtype=np.uint32).reshape(-1, self.num_bands)
        rows_out: list[U32Array] = []
        ids_out: list[U32Array] = []
        tables = [(self._keys[b], self._ids[b], b) for b in range(self.num_bands)]
        tables += [(self._delta_keys[b], self._delta_ids[b], b) for b in range(self.num_bands)]
        for keys, table_ids, b in tables:
            if not len(keys):
                continue
            lo = np.searchsorted(keys, q[:, b], side="left")
            hi = np.searchsorted(keys, q[:, b], side="right")
            count = hi - lo
            count[count > max_bucket] = 0
            total = int(count.sum())
            if not total:
                continue
            rows = np.repeat(np.arange(len(q), dtype=np.uint32), count)
            ends = np.cumsum(count)
            pos = np.arange(total) - np.repeat(ends - count - lo, count)
            rows_out.append(rows)
            ids_out.append(np.asarray(table_ids[pos], dtype=np.uint32))
        if not rows_out:
            empty = np.empty(0, np.uint32)
            return empty, empty
        return np.concatenate(rows_out), np.concatenate(ids_out)

    def save(self, directory: Path) -> None:
        """Write every band as two ``.npy`` files (layout in the module docstring)."""
        self.merge(full=True)
        for b in range(self.num_bands):
            np.save(directory / f"band-{b:02d}.keys.npy", self._keys[b].astype("<u4", copy=False))
            np.save(directory / f"band-{b:02d}.ids.npy", self._ids[b].astype("<u4", copy=False))

    @classmethod
    def load(cls, directory: Path, num_bands: int, *, mmap: bool = True) -> BandTable:
        """Read the bands written by :meth:`save` (memory-mapped read-only by default)."""
        table = cls(num_bands)
        mode: Literal["r"] | None = "r" if mmap else None
        for b in range(num_bands):
            table._keys[b] = np.load(directory / f"band-{b:02d}.keys.npy", mmap_mode=mode)
            table._ids[b] = np.load(directory / f"band-{b:02d}.ids.npy", mmap_mode=mode)
        return table
