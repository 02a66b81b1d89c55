"""AudioIndex: registered recordings found by Chromaprint items, aligned and scored by bit error rate.

Search, per query recording (the approach of the AcoustID server, in NumPy):

1. **candidates**: every raw 32-bit Chromaprint item of a registered recording is a posting
   ``(value, key id, position)``, sorted by value. Each query item looks its value up exactly;
   a hit votes for ``(key, offset = position - query position)``. Re-encoding flips a few bits
   per item, but about half the items survive intact, so a few seconds of audio give many votes
   at the true offset; items shared by more than ``max_bucket`` postings (silence-like) are skipped;
2. **verification**: for the ``verify`` best-voted (key, offset) pairs, the bit error rate over
   the overlap is computed at the voted offset +-2 (:func:`best_alignment`);
3. **decision and score**: a key matches when its BER is at most ``max_ber`` (0.2; re-encoded
   copies measure about 0.02-0.1, unrelated audio about 0.45-0.5) over at least ``min_overlap``
   items (8 items, about 1 s). Score ``1 - 2 * BER``. A trimmed copy aligns at its offset.

Sharding: works are grouped in shards of at most ``shard_size`` keys; each shard has its own
posting list and a lookup visits every shard. Removing a key marks it dead; :meth:`save` drops it.

On-disk layout written by :meth:`AudioIndex.save` (a directory, replaced atomically):

* ``manifest.json``: ``{"format": "mediamanager-audio-index", "version": 1, "fingerprint":
  "chromaprint-2", "max_ber", "min_overlap", "max_bucket", "verify", "shard_size", "shards", "keys"}``;
* ``keys.json``: JSON list, the work key of each key id (live keys only, in id order);
* ``shard-{s:05d}/items.npy``: ``<u4``: the raw Chromaprint items of the shard's works, concatenated;
* ``shard-{s:05d}/starts.npy``: ``<i8``, shape ``(k + 1,)``: work ``j`` of the shard owns
  ``items[starts[j]:starts[j+1]]``;
* ``shard-{s:05d}/owner.npy``: ``<u4``, shape ``(k,)``: key id of the shard's work ``j``.

Posting lists are rebuilt on load by one ``argsort`` of ``items.npy`` (memory-mapped).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from mediamanager.errors import InputError, IntegrityError
from mediamanager.fingerprint.audio import audio_fingerprints, best_alignment, items_from_fingerprint
from mediamanager.fingerprint.index.base import (
    FingerprintIndex,
    atomic_directory,
    read_index_keys,
    read_index_manifest,
)
from mediamanager.fingerprint.limits import DEFAULT_LIMITS, Limits
from mediamanager.model import Fingerprint, Match, MediaType

__all__ = ["AudioIndex"]

FORMAT = "mediamanager-audio-index"
FORMAT_VERSION = 1
U32 = npt.NDArray[np.uint32]


@dataclass
class _Shard:
    """Works of one shard: their items and a value-sorted posting list over them."""

    works: list[U32] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    _values: U32 | None = None
    _work: npt.NDArray[np.int64] | None = None
    _position: npt.NDArray[np.int64] | None = None

    def add(self, key_id: int, items: U32) -> None:
        self.works.append(items)
        self.owner.append(key_id)
        self._values = None

    def postings(self) -> tuple[U32, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        if self._values is None or self._work is None or self._position is None:
            lengths = np.asarray([len(w) for w in self.works], dtype=np.int64)
            values = np.concatenate(self.works) if self.works else np.zeros(0, dtype=np.uint32)
            work = np.repeat(np.arange(len(self.works), dtype=np.int64), lengths)
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(lengths) else np.zeros(0, np.int64)
            position = np.arange(len(values), dtype=np.int64) - np.repeat(starts, lengths)
            order = np.argsort(values, kind="stable")
            self._values, self._work, self._position = values[order], work[order], position[order]
        return self._values, self._work, self._position


def _read_content(content: Any) -> bytes:
    if isinstance(content, bytes | bytearray | memoryview):
        return bytes(content)
    if isinstance(content, str | os.PathLike):
        return Path(content).read_bytes()
    raise InputError(f"audio content must be bytes or a path, not {type(content).__name__}")


class AudioIndex(FingerprintIndex):
    """Index of registered recordings; finds them after re-encoding, gain changes and trimming."""

    media_type: ClassVar[MediaType] = MediaType.AUDIO
    kinds: ClassVar[frozenset[str]] = frozenset({"chromaprint"})

    def __init__(
        self,
        *,
        limits: Limits = DEFAULT_LIMITS,
        max_ber: float = 0.2,
        min_overlap: int = 8,
        max_bucket: int = 1000,
        verify: int = 20,
        shard_size: int = 100_000,
    ) -> None:
        if not 0.0 < max_ber < 0.5 or min_overlap < 1 or max_bucket < 1 or verify < 1 or shard_size < 1:
            raise InputError("max_ber must be in (0, 0.5); min_overlap, max_bucket, verify, shard_size >= 1")
        self.limits = limits
        self.max_ber, self.min_overlap, self.max_bucket = max_ber, min_overlap, max_bucket
        self.verify, self.shard_size = verify, shard_size
        self._keys: list[str] = []
        self._ids: dict[str, int] = {}
        self._alive: list[bool] = []
        self._shards: list[_Shard] = []

    def fingerprints_of(self, content: Any) -> list[Fingerprint]:
        return audio_fingerprints(_read_content(content), self.limits)

    def add_fingerprints(self, key: str, fps: Sequence[Fingerprint]) -> None:
        self._check_key(key)
        prints = [items_from_fingerprint(fp) for fp in fps if fp.kind == "chromaprint"]
        items = np.concatenate(prints) if prints else np.zeros(0, dtype=np.uint32)
        if items.size == 0:
            raise InputError(f"no chromaprint items to register for {key!r} (silent or too short?)")
        self.remove(key)
        self._add_items(key, items)

    def _add_items(self, key: str, items: U32) -> None:
        key_id = len(self._keys)
        self._keys.append(key)
        self._ids[key] = key_id
        self._alive.append(True)
        if not self._shards or len(self._shards[-1].works) >= self.shard_size:
            self._shards.append(_Shard())
        self._shards[-1].add(key_id, np.ascontiguousarray(items, dtype=np.uint32))

    def remove(self, key: str) -> bool:
        key_id = self._ids.pop(key, None)
        if key_id is None:
            return False
        self._alive[key_id] = False
        return True

    def search_fingerprints(self, fps: Sequence[Fingerprint], limit: int = 10) -> list[Match]:
        self._check_limit(limit)
        prints = [items_from_fingerprint(fp) for fp in fps if fp.kind == "chromaprint"]
        query = np.concatenate(prints) if prints else np.zeros(0, dtype=np.uint32)
        if query.size == 0:
            return []
        best: dict[int, float] = {}
        for shard in self._shards:
            for key_id, ber in self._search_shard(shard, query):
                if ber < best.get(key_id, 1.0):
                    best[key_id] = ber
        ranked = sorted(best.items(), key=lambda item: (item[1], self._keys[item[0]]))[:limit]
        return [Match(self._keys[key_id], max(0.0, 1.0 - 2.0 * ber), "chromaprint") for key_id, ber in ranked]

    def _search_shard(self, shard: _Shard, query: U32) -> list[tuple[int, float]]:
        values, work, position = shard.postings()
        if values.size == 0:
            return []
        lo = np.searchsorted(values, query, side="left")
        hi = np.searchsorted(values, query, side="right")
        counts = hi - lo
        usable = (counts > 0) & (counts <= self.max_bucket)
        if not usable.any():
            return []
        qpos = np.repeat(np.nonzero(usable)[0], counts[usable])
        hits = np.concatenate([np.arange(a, b) for a, b in zip(lo[usable], hi[usable], strict=True)])
        pairs = np.stack([work[hits], position[hits] - qpos], axis=1)
        voted, votes = np.unique(pairs, axis=0, return_counts=True)
        order = np.argsort(-votes, kind="stable")[: self.verify]
        found: list[tuple[int, float]] = []
        seen: set[tuple[int, int]] = set()
        for work_index, offset in voted[order].tolist():
            key_id = shard.owner[work_index]
            if not self._alive[key_id] or (work_index, offset) in seen:
                continue
            seen.add((work_index, offset))
            around = np.arange(offset - 2, offset + 3, dtype=np.int64)
            alignment = best_alignment(
                query, shard.works[work_index], min_overlap=self.min_overlap, offsets=around
            )
            if (
                alignment is not None
                and alignment.overlap >= min(self.min_overlap, query.size)
                and alignment.ber <= self.max_ber
            ):
                found.append((key_id, alignment.ber))
        return found

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def save(self, path: str | Path) -> None:
        with atomic_directory(Path(path), prefix=".audio-index-") as staging:
            live: list[tuple[str, U32]] = []
            for shard in self._shards:
                for key_id, items in zip(shard.owner, shard.works, strict=True):
                    if self._alive[key_id]:
                        live.append((self._keys[key_id], items))
            shards = 0
            for shards, start in enumerate(range(0, len(live), self.shard_size), start=1):
                chunk = live[start : start + self.shard_size]
                folder = staging / f"shard-{shards - 1:05d}"
                folder.mkdir()
                lengths = np.asarray([len(items) for _, items in chunk], dtype=np.int64)
                np.save(folder / "items.npy", np.concatenate([items for _, items in chunk]).astype("<u4"))
                np.save(folder / "starts.npy", np.concatenate([[0], np.cumsum(lengths)]).astype("<i8"))
                np.save(folder / "owner.npy", np.arange(start, start + len(chunk), dtype="<u4"))
            (staging / "keys.json").write_text(json.dumps([key for key, _ in live]))
            manifest = {
                "format": FORMAT, "version": FORMAT_VERSION, "fingerprint": "chromaprint-2",
                "max_ber": self.max_ber, "min_overlap": self.min_overlap, "max_bucket": self.max_bucket,
                "verify": self.verify, "shard_size": self.shard_size, "shards": shards, "keys": len(live),
            }  # fmt: skip
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=1))

    @classmethod
    def load(cls, path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> Self:
        source = Path(path)
        manifest = read_index_manifest(source, fmt=FORMAT, version=FORMAT_VERSION)
        keys = read_index_keys(source)
        index = cls(
            limits=limits,
            max_ber=float(manifest["max_ber"]),
            min_overlap=int(manifest["min_overlap"]),
            max_bucket=int(manifest["max_bucket"]),
            verify=int(manifest["verify"]),
            shard_size=int(manifest["shard_size"]),
        )
        for number in range(int(manifest["shards"])):
            folder = source / f"shard-{number:05d}"
            items = np.load(folder / "items.npy", mmap_mode="r")
            starts = np.load(folder / "starts.npy")
            owner = np.load(folder / "owner.npy")
            shard = _Shard()
            for j, key_id in enumerate(owner.tolist()):
                index._keys.append(keys[key_id])
                index._ids[keys[key_id]] = len(index._keys) - 1
                index._alive.append(True)
                shard.add(len(index._keys) - 1, items[starts[j] : starts[j + 1]])
            index._shards.append(shard)
        if len(index) != int(manifest["keys"]) or len(index) != len(keys):
            raise IntegrityError(f"{source}: manifest says {manifest['keys']} keys, shards hold {len(index)}")
        return index
