"""TextIndex: registered texts found by containment, through MinHash LSH bands and verification.

Search, for each query passage (see :mod:`mediamanager.fingerprint.text` for passages):

1. **candidates**: the first ``NUM_BANDS`` (24) MinHash values are the band keys, one value per
   band (1-row bands). A registered passage becomes a candidate when it shares any of them,
   which happens with probability ``1 - (1 - J)^24``: 0.99 at Jaccard 0.18, the similarity of a
   half-truncated, edited copy embedded in twice its length of other text. Plain Jaccard-0.8
   banding finds only 2-16 % of such copies (research note, section 2.3);
2. **verification** on all 128 values: ``J`` is estimated from the signatures, then the shared
   shingle count ``I = J(|A|+|B|)/(1+J)`` from the stored set sizes, and the score is the
   **overlap coefficient** ``I / min(|A|, |B|)``: 1.0 for a registered text inside a longer page or
   a truncated copy inside the registered one, where Jaccard would be low;
3. a candidate matches when at least ``min_shared`` shingles are shared (short texts must not
   match on a sentence of boilerplate) *and* either the overlap coefficient is at least
   ``min_score`` (one text is mostly inside the other) or at least ``min_containment`` of the
   registered passage is found (a truncated, edited copy wrapped in other text: half the work,
   a quarter of its shingles destroyed by edits, inside a longer window). The reported score is
   the overlap coefficient; a key's score is the best over its passages and the query's windows.

On-disk layout written by :meth:`TextIndex.save` (a directory, replaced atomically):

* ``manifest.json``: ``{"format": "mediamanager-text-index", "version": 1, "signature": "mh1",
  "num_perm": 128, "num_bands": 24, "min_score", "min_containment", "min_shared", "max_bucket",
  "items": n}``;
* ``keys.json``: JSON list, the work key of each key id;
* ``signatures.npy``: ``<u4``, shape ``(n, 128)``, the MinHash of item ``i`` in row ``i``;
* ``sizes.npy``, ``parts.npy``, ``owners.npy``: ``<u4``, shape ``(n,)``: distinct-shingle count,
  passage number and key id of each item;
* ``band-{b:02d}.keys.npy`` / ``band-{b:02d}.ids.npy``: the band shards (:mod:`.band`).

Deleted items are dropped when saving, so ids are dense ``0..n-1`` in a saved index. Loading
memory-maps every array; adding to a loaded index keeps the mapped part and appends in memory.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

from mediamanager.errors import InputError, InvalidFingerprintError
from mediamanager.fingerprint.index.band import BandTable
from mediamanager.fingerprint.index.base import FingerprintIndex, atomic_directory, read_index_manifest
from mediamanager.fingerprint.text import (
    MINHASH_KIND,
    NUM_PERM,
    SketchBatch,
    TextSketch,
    sketch_batch,
    sketch_text,
    sketches_from_fingerprints,
)
from mediamanager.model import Fingerprint, Match, MediaType

__all__ = ["TextIndex"]

FORMAT = "mediamanager-text-index"
FORMAT_VERSION = 1
NUM_BANDS = 24

U32Array = npt.NDArray[np.uint32]


def _shared(
    agree: npt.NDArray[np.float64], a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Estimated shared shingles from agreeing MinHash slots: ``J(|A|+|B|)/(1+J)``."""
    jac = agree / NUM_PERM
    return jac * (a + b) / (1.0 + jac)


class TextIndex(FingerprintIndex):
    """Index of registered texts; finds them, by containment, inside altered or longer texts.

    Thresholds (module docstring, step 3): ``min_score`` overlap coefficient, ``min_containment``
    share of the registered passage found, ``min_shared`` shingles in common, all judged
    ``confidence_z`` standard deviations below the estimate; band buckets holding more than
    ``max_bucket`` passages are ignored as boilerplate. They are saved with the index.
    """

    media_type: ClassVar[MediaType] = MediaType.TEXT
    kinds: ClassVar[frozenset[str]] = frozenset({MINHASH_KIND})

    def __init__(
        self,
        *,
        min_score: float = 0.5,
        min_containment: float = 0.2,
        min_shared: int = 20,
        max_bucket: int = 2000,
        confidence_z: float = 1.0,
    ) -> None:
        if not 0.0 < min_score <= 1.0 or not 0.0 < min_containment <= 1.0:
            raise InputError(
                f"min_score and min_containment must be in (0, 1], got {min_score}, {min_containment}"
            )
        if min_shared < 1 or max_bucket < 1:
            raise InputError("min_shared and max_bucket must be at least 1")
        self.min_score = min_score
        self.min_containment = min_containment
        self.confidence_z = confidence_z
        self.min_shared = min_shared
        self.max_bucket = max_bucket
        self._bands = BandTable(NUM_BANDS)
        # Item columns (row i = item i); memory-mapped after load, growing buffers after adds.
        self._sigs: U32Array = np.empty((0, NUM_PERM), np.uint32)
        self._sizes: U32Array = np.empty(0, np.uint32)
        self._parts: U32Array = np.empty(0, np.uint32)
        self._owners: U32Array = np.empty(0, np.uint32)
        self._pending: list[tuple[U32Array, U32Array, U32Array, U32Array]] = []
        self._alive: npt.NDArray[np.bool_] = np.empty(0, bool)
        self._key_names: list[str | None] = []
        self._key_ids: dict[str, int] = {}
        self._n_items = 0
        self._buffers: dict[str, npt.NDArray[Any]] = {}

    # -- content ---------------------------------------------------------------------------------

    def fingerprints_of(self, content: Any) -> list[Fingerprint]:
        if not isinstance(content, str):
            raise InputError(f"TextIndex takes text (str), got {type(content).__name__}")
        return [s.to_fingerprint() for s in sketch_text(content)]

    def add(self, key: str, content: Any) -> None:
        if not isinstance(content, str):
            raise InputError(f"TextIndex takes text (str), got {type(content).__name__}")
        sketches = sketch_text(content)
        if not sketches:
            raise InputError(f"text for {key!r} has no words to fingerprint")
        self._add_sketches(key, sketches)

    def search(self, content: Any, limit: int = 10) -> list[Match]:
        if not isinstance(content, str):
            raise InputError(f"TextIndex takes text (str), got {type(content).__name__}")
        return self.search_batch(sketch_batch([content], probes=True), limit)[0]

    # -- fingerprints ----------------------------------------------------------------------------

    def add_fingerprints(self, key: str, fps: Sequence[Fingerprint]) -> None:
        sketches = sketches_from_fingerprints(fps)
        if not sketches:
            raise InvalidFingerprintError(f"no {MINHASH_KIND!r} fingerprint given for {key!r}")
        self._add_sketches(key, sketches)

    def search_fingerprints(self, fps: Sequence[Fingerprint], limit: int = 10) -> list[Match]:
        return self._search_sketches(sketches_from_fingerprints(fps), limit)

    def add_sketches(self, key: str, sketches: Sequence[TextSketch]) -> None:
        """Register precomputed sketches (the batch path of benchmarks and the scanner)."""
        if not sketches:
            raise InputError(f"no text sketch given for {key!r}")
        self._add_sketches(key, sketches)

    def add_batch(self, keys: Sequence[str], batch: SketchBatch) -> None:
        """Register many texts at once from one :class:`SketchBatch` (``keys[i]`` for text ``i``)."""
        if len(keys) != batch.num_texts:
            raise InputError(f"{len(keys)} keys for {batch.num_texts} texts")
        present = np.zeros(batch.num_texts, bool)
        present[batch.docs] = True
        if not present.all():
            raise InputError(f"{int((~present).sum())} texts have no words to fingerprint")
        if len(set(keys)) != len(keys):
            raise InputError("duplicate keys in one batch")
        kids = np.empty(len(keys), np.uint32)
        for i, key in enumerate(keys):
            self._check_key(key)
            if key in self._key_ids:
                self.remove(key)
            kids[i] = len(self._key_names)
            self._key_names.append(key)
            self._key_ids[key] = int(kids[i])
        n = len(batch.sizes)
        self._pending.append((batch.signatures, batch.sizes, batch.parts, kids[batch.docs]))
        self._bands.add(
            np.arange(self._n_items, self._n_items + n, dtype=np.uint32), batch.signatures[:, :NUM_BANDS]
        )
        self._n_items += n

    def search_sketches(self, sketches: Sequence[TextSketch], limit: int = 10) -> list[Match]:
        """Search with precomputed sketches (see :func:`~mediamanager.fingerprint.text.sketch_texts`)."""
        return self._search_sketches(sketches, limit)

    # -- bookkeeping -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._key_ids)

    def __contains__(self, key: object) -> bool:
        return key in self._key_ids

    @property
    def num_items(self) -> int:
        """Live registered passages (a work has one or more)."""
        self._flush()
        return int(np.count_nonzero(self._alive))

    def remove(self, key: str) -> bool:
        kid = self._key_ids.pop(key, None)
        if kid is None:
            return False
        self._flush()
        # A scan of the owner column (about 1 ms per million items) instead of a per-key item
        # list, which would cost more memory per work than the band index itself.
        self._alive[np.flatnonzero(np.asarray(self._owners) == kid)] = False
        self._key_names[kid] = None
        return True

    def nbytes(self) -> dict[str, int]:
        """Bytes held by the arrays: band index, signatures, and per-item columns."""
        self._flush()
        self._bands.merge()
        return {
            "bands": self._bands.nbytes,
            "signatures": self._sigs.nbytes,
            "columns": self._sizes.nbytes + self._parts.nbytes + self._owners.nbytes + self._alive.nbytes,
        }

    def _add_sketches(self, key: str, sketches: Sequence[TextSketch]) -> None:
        self._check_key(key)
        if key in self._key_ids:
            self.remove(key)
        kid = len(self._key_names)
        self._key_names.append(key)
        self._key_ids[key] = kid
        first = self._n_items
        n = len(sketches)
        sigs = np.stack([np.asarray(s.signature, dtype=np.uint32) for s in sketches])
        if sigs.shape != (n, NUM_PERM):
            raise InvalidFingerprintError(f"text signatures must have {NUM_PERM} values")
        sizes = np.array([s.size for s in sketches], dtype=np.uint32)
        parts = np.array([s.part for s in sketches], dtype=np.uint32)
        owners = np.full(n, kid, dtype=np.uint32)
        self._pending.append((sigs, sizes, parts, owners))
        ids = np.arange(first, first + n, dtype=np.uint32)
        self._bands.add(ids, sigs[:, :NUM_BANDS])
        self._n_items += n

    def _flush(self) -> None:
        """Append queued items to the item columns, in buffers that grow by doubling.

        Amortised O(1) per item: a registry that adds one work and then searches must not copy
        a million signatures each time (a memory-mapped column is copied once, on first add).
        """
        if not self._pending:
            return
        sigs, sizes, parts, owners = (np.concatenate(col) for col in zip(*self._pending, strict=True))
        self._pending = []
        alive = np.ones(len(sizes), bool)
        n = len(self._sizes)
        for name, new in (
            ("sigs", sigs),
            ("sizes", sizes),
            ("parts", parts),
            ("owners", owners),
            ("alive", alive),
        ):
            current = getattr(self, f"_{name}")
            buf = self._buffers.get(name)
            if buf is None or len(buf) < n + len(new):
                buf = np.empty((max(n + len(new), 2 * n, 1024), *current.shape[1:]), current.dtype)
                buf[:n] = current[:n]
                self._buffers[name] = buf
            buf[n : n + len(new)] = new
            setattr(self, f"_{name}", buf[: n + len(new)])

    # -- search ----------------------------------------------------------------------------------

    def _search_sketches(self, sketches: Sequence[TextSketch], limit: int) -> list[Match]:
        if not sketches:
            self._check_limit(limit)
            return []
        batch = SketchBatch(
            np.stack([np.asarray(s.signature, dtype=np.uint32) for s in sketches]),
            np.array([s.size for s in sketches], dtype=np.uint32),
            np.array([s.part for s in sketches], dtype=np.uint32),
            np.zeros(len(sketches), dtype=np.uint32),
            1,
        )
        return self.search_batch(batch, limit)[0]

    def search_texts(self, texts: Sequence[str], limit: int = 10) -> list[list[Match]]:
        """Search many texts at once (the scanner's path): one result list per text."""
        return self.search_batch(sketch_batch(texts, probes=True), limit)

    def search_batch(self, batch: SketchBatch, limit: int = 10) -> list[list[Match]]:
        """Search every query window of a :class:`SketchBatch`; one result list per text.

        All windows are looked up together: one ``searchsorted`` per band for the whole
        batch, one vectorised verification of every (window, candidate) pair.
        """
        self._check_limit(limit)
        out: list[list[Match]] = [[] for _ in range(batch.num_texts)]
        if not len(batch.sizes) or not self._key_ids:
            return out
        self._flush()
        windows, items = self._bands.candidate_pairs(batch.signatures[:, :NUM_BANDS], self.max_bucket)
        if not len(items):
            return out
        # One verification per distinct (window, item) pair, for live items only.
        pair = np.unique(windows.astype(np.uint64) << np.uint64(32) | items.astype(np.uint64))
        windows = (pair >> np.uint64(32)).astype(np.intp)
        items = (pair & np.uint64(0xFFFFFFFF)).astype(np.intp)
        live = self._alive[items]
        windows, items = windows[live], items[live]
        agree = (self._sigs[items] == batch.signatures[windows]).sum(axis=1).astype(np.float64)
        a = self._sizes[items].astype(np.float64)
        b = batch.sizes[windows].astype(np.float64)
        score = np.minimum(_shared(agree, a, b) / np.minimum(a, b), 1.0)
        # Decide on a pessimistic estimate (agreeing slots minus z standard deviations): a small
        # registered text sharing a mailing-list footer with thousands of queries would
        # otherwise match now and then through estimation noise alone.
        low = _shared(np.maximum(agree - self.confidence_z * np.sqrt(agree), 0.0), a, b)
        ok = ((low >= self.min_score * np.minimum(a, b)) | (low >= self.min_containment * a)) & (
            low >= self.min_shared
        )
        best: dict[tuple[int, int], float] = {}
        docs = batch.docs[windows[ok]].tolist()
        owners = self._owners[items[ok]].tolist()
        for doc, owner, s in zip(docs, owners, score[ok].tolist(), strict=True):
            if s > best.get((doc, owner), -1.0):
                best[(doc, owner)] = s
        per_doc: dict[int, list[tuple[float, int]]] = {}
        for (doc, owner), s in best.items():
            per_doc.setdefault(doc, []).append((s, owner))
        for doc, found in per_doc.items():
            found.sort(key=lambda so: (-so[0], so[1]))
            out[doc] = [Match(str(self._key_names[o]), round(s, 6), MINHASH_KIND) for s, o in found[:limit]]
        return out

    # -- persistence -----------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the index directory (layout in the module docstring), replacing ``path`` atomically."""
        target = Path(path)
        self._compact()
        with atomic_directory(target, prefix=".textindex-") as tmp:
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "signature": "mh1",
                "num_perm": NUM_PERM,
                "num_bands": NUM_BANDS,
                "min_score": self.min_score,
                "min_containment": self.min_containment,
                "min_shared": self.min_shared,
                "confidence_z": self.confidence_z,
                "max_bucket": self.max_bucket,
                "items": len(self._sizes),
            }
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
            (tmp / "keys.json").write_text(json.dumps(self._key_names))
            np.save(tmp / "signatures.npy", self._sigs.astype("<u4", copy=False))
            np.save(tmp / "sizes.npy", self._sizes.astype("<u4", copy=False))
            np.save(tmp / "parts.npy", self._parts.astype("<u4", copy=False))
            np.save(tmp / "owners.npy", self._owners.astype("<u4", copy=False))
            self._bands.save(tmp)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Open an index directory written by :meth:`save`, memory-mapping its arrays."""
        directory = Path(path)
        manifest = read_index_manifest(directory, fmt=FORMAT, version=FORMAT_VERSION)
        if manifest.get("num_perm") != NUM_PERM or manifest.get("num_bands") != NUM_BANDS:
            raise InputError(f"{directory} was written with different MinHash parameters")
        index = cls(
            min_score=float(manifest["min_score"]),
            min_containment=float(manifest["min_containment"]),
            min_shared=int(manifest["min_shared"]),
            confidence_z=float(manifest["confidence_z"]),
            max_bucket=int(manifest["max_bucket"]),
        )
        index._sigs = np.load(directory / "signatures.npy", mmap_mode="r")
        index._sizes = np.load(directory / "sizes.npy", mmap_mode="r")
        index._parts = np.load(directory / "parts.npy", mmap_mode="r")
        index._owners = np.load(directory / "owners.npy", mmap_mode="r")
        n = len(index._sizes)
        if index._sigs.shape != (n, NUM_PERM) or len(index._owners) != n or n != manifest["items"]:
            raise InputError(f"{directory}: item arrays disagree in length (damaged index)")
        index._alive = np.ones(n, bool)
        index._n_items = n
        index._buffers = {}
        index._bands = BandTable.load(directory, NUM_BANDS)
        names: list[str | None] = json.loads((directory / "keys.json").read_text())
        index._key_names = names
        index._key_ids = {k: i for i, k in enumerate(names) if k is not None}
        return index

    def _compact(self) -> None:
        """Drop deleted items and keys, renumbering ids densely (before saving)."""
        self._flush()
        keep = np.asarray(self._alive)
        renumber = np.cumsum(keep, dtype=np.int64) - 1
        self._bands.compact(keep, renumber.astype(np.uint32))
        live_keys = [k for k in self._key_names if k is not None]
        key_map = np.full(len(self._key_names) + 1, 0, dtype=np.uint32)
        for new, k in enumerate(live_keys):
            key_map[self._key_ids[k]] = new
        self._sigs = np.ascontiguousarray(self._sigs[keep])
        self._sizes = np.ascontiguousarray(self._sizes[keep])
        self._parts = np.ascontiguousarray(self._parts[keep])
        self._owners = key_map[np.asarray(self._owners)[keep]]
        self._alive = np.ones(len(self._sizes), bool)
        self._n_items = len(self._sizes)
        self._buffers = {}
        self._key_names = list(live_keys)
        self._key_ids = {k: i for i, k in enumerate(live_keys)}
