"""ImageIndex: registered images found by PDQ Hamming search (FAISS multi-index hashing) plus pHash.

Every registered image contributes 25 *items* (see :mod:`mediamanager.fingerprint.image`): the
whole image, its 7 dihedral variants, 4 small rotations, 9 windows keeping 80 % of the area, 4 wider rotations (+-7.5, +-10 degrees),
each with a 256-bit PDQ code and a 64-bit pHash. A query hashes once (part 0) and is compared
with all of them, so flips, small rotations and crops cost memory at registration, not time
at scan.

Search, per query:

1. **candidates**: FAISS ``IndexBinaryMultiHash`` over the PDQ codes (10 tables of 25 bits,
   ``nflip=1``), range search to :data:`WEAK_PDQ`. On 1 M random codes it finds every
   neighbour within 16 bits, 99 % within 24 and 91 % within 31 at about 30 k lookups/s on one
   core (``benchmarks/image_index.py``); the exhaustive alternative, ``IndexBinaryFlat``, runs at
   about 500/s;
2. **decision**: a candidate matches when its PDQ distance is at most :data:`STRONG_PDQ` (31,
   Meta's confident-match threshold), or at most :data:`WEAK_PDQ` *and* its pHash distance at
   most :data:`WEAK_PHASH` (two independent hashes must agree before a looser PDQ counts);
3. **score**: ``1 - pdq_distance / 128`` (1.0 identical, 0.76 at 31, 0.53 at 60); one match per
   key, its best item, best first.

4. **local features** (only when the global hashes found nothing, and ``local_features`` is on):
   ORB descriptors of the query are matched to the registered ones through a FAISS binary HNSW
   graph (2 nearest neighbours, Lowe's ratio test 0.8); the :data:`LOCAL_VERIFY` most-voted works
   are verified with a RANSAC similarity transform (OpenCV) on one-to-one correspondences (each
   registered keypoint keeps its closest query keypoint). A work matches when the transform is sane
   (scale between :data:`LOCAL_MIN_SCALE` and :data:`LOCAL_MAX_SCALE`), has at least
   :data:`LOCAL_MIN_INLIERS` inliers at distinct positions in both images, and those inliers spread
   over the registered picture (geometric mean of their x and y standard deviations at least
   :data:`LOCAL_MIN_SPREAD` pixels of the 320 px frame); score ``inliers / (inliers + 10)``, kind
   ``orb``. Without these checks, many query keypoints voting for one registered keypoint (flat or
   noisy regions, text) let RANSAC accept a collapsed, scale-0 transform: distinct photos matched at
   about 0.5. This finds
   crops that keep 80 % of the area and large overlays. It costs a second pass over the decoded
   pixels (ORB) for every query the global hashes miss, and about 150 x 36 bytes of features
   plus the graph per registered image: meant for registries of up to a few million images per
   node; a larger registry shards it or turns it off (``local_features=False``).

Queries whose PDQ quality is below :data:`PDQ_MIN_QUALITY` (low-detail pictures: dark, hazy or
small; about 3 % of the 232 test photos on the canonical 64x64 image) match only when both
hashes agree (PDQ within 31 *and* pHash within 14). Below :data:`FLAT_QUALITY` (one colour, one
pixel) nothing is matched: such pictures hash alike whatever they show.

Sharding: items live in shards of at most ``shard_size`` items, each with its own FAISS index;
a lookup visits every shard (workers can also load disjoint shards and merge the answers).
Removing a key marks it dead; its items are skipped at once and dropped by :meth:`save`.

On-disk layout written by :meth:`ImageIndex.save` (a directory, replaced atomically):

* ``manifest.json``: ``{"format": "mediamanager-image-index", "version": 1, "hash": "pdq+phash64",
  "canonical": "draft-L-192-area64", "strong_pdq", "weak_pdq", "weak_phash", "shard_size",
  "nhash", "nbits", "nflip", "shards": s, "items": n, "local_items": k, "local_features": bool}``;
* ``keys.json``: JSON list, the work key of each key id (only live keys are written);
* ``shard-{s:05d}/pdq.npy``: ``uint8``, shape ``(m, 32)``: PDQ code of each item, pdqhash bit order;
* ``shard-{s:05d}/phash.npy``: ``uint8``, shape ``(m, 8)``: pHash of each item;
* ``shard-{s:05d}/owner.npy``: ``<u4``, shape ``(m,)``: key id of each item;
* ``shard-{s:05d}/part.npy`` and ``quality.npy``: ``uint8``, shape ``(m,)``: variant number and PDQ quality;
* ``local.xy.npy``: ``<u2``, shape ``(k, 2)``: ORB keypoint x, y in 1/16 px of the <= 320 px image;
  ``local.des.npy``: ``uint8``, ``(k, 32)``: ORB descriptors; ``local.owner.npy``: ``<u4``, ``(k,)``: key id
  (present when ``"local_items"`` in the manifest is non-zero).

The arrays are memory-mapped on load; the FAISS tables and the HNSW graph are rebuilt from them
(about 9 s per million PDQ items), so no FAISS-version-specific file is ever written.
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

from mediamanager.errors import InputError, IntegrityError, InvalidFingerprintError
from mediamanager.fingerprint.image import (
    PDQ_MIN_QUALITY,
    QUERY_PARTS,
    decode_luminance,
    global_fingerprints,
    image_fingerprints,
    local_fingerprints,
    unpack_local_features,
)
from mediamanager.fingerprint.index.base import (
    FingerprintIndex,
    atomic_directory,
    read_index_keys,
    read_index_manifest,
)
from mediamanager.fingerprint.limits import DEFAULT_LIMITS, Limits
from mediamanager.model import Fingerprint, Match, MediaType

__all__ = ["FLAT_QUALITY", "STRONG_PDQ", "WEAK_PDQ", "WEAK_PHASH", "ImageIndex"]

FORMAT = "mediamanager-image-index"
FORMAT_VERSION = 1
STRONG_PDQ = 31
WEAK_PDQ = 60
WEAK_PHASH = 14
FLAT_QUALITY = 5
ORB_MAX_DISTANCE = 64  # of 256 bits; Lowe's ratio test does the real filtering
ORB_RATIO = 0.8
LOCAL_VERIFY = 5  # most-voted candidates verified geometrically
LOCAL_MIN_VOTES = 6
LOCAL_MIN_INLIERS = 10  # distinct inlier positions, counted on both sides
LOCAL_MIN_SCALE = 0.125  # query-to-registered scale of a plausible copy (1/8 to 8 times the size)
LOCAL_MAX_SCALE = 8.0
LOCAL_MIN_SPREAD = 10.0  # px of the 320 px frame: inliers in one small patch are texture, not the picture
RANSAC_PIXELS = 4.0
RANSAC_SEED = 20240
HNSW_M = 16
LOCAL_NEIGHBOURS = 4  # searched per query keypoint, so that dead ones can be skipped
HNSW_EF_SEARCH = 64
U8 = npt.NDArray[np.uint8]


def _read_content(content: Any) -> bytes:
    if isinstance(content, bytes | bytearray | memoryview):
        return bytes(content)
    if isinstance(content, str | os.PathLike):
        return Path(content).read_bytes()
    raise InputError(f"image content must be bytes or a path, not {type(content).__name__}")


@dataclass
class _Shard:
    """One block of items with its own FAISS multi-index hash tables."""

    nhash: int
    nbits: int
    nflip: int
    pdq: list[U8] = field(default_factory=list)
    phash: list[U8] = field(default_factory=list)
    owner: list[npt.NDArray[np.uint32]] = field(default_factory=list)
    part: list[U8] = field(default_factory=list)
    quality: list[U8] = field(default_factory=list)
    size: int = 0
    faiss_index: Any = None

    def _table(self) -> Any:
        if self.faiss_index is None:
            import faiss

            table = faiss.IndexBinaryMultiHash(256, self.nhash, self.nbits)
            table.nflip = self.nflip
            self.faiss_index = table
        return self.faiss_index

    def append(self, pdq: U8, phash: U8, owner: npt.NDArray[np.uint32], part: U8, quality: U8) -> None:
        self._table().add(np.ascontiguousarray(pdq))
        self.pdq.append(pdq)
        self.phash.append(phash)
        self.owner.append(owner)
        self.part.append(part)
        self.quality.append(quality)
        self.size += len(pdq)
        self._consolidate()

    def _consolidate(self) -> None:
        if len(self.pdq) > 1:
            self.pdq = [np.concatenate(self.pdq)]
            self.phash = [np.concatenate(self.phash)]
            self.owner = [np.concatenate(self.owner)]
            self.part = [np.concatenate(self.part)]
            self.quality = [np.concatenate(self.quality)]

    def column(self, name: str) -> Any:
        self._consolidate()
        values = getattr(self, name)
        return values[0] if values else None


@dataclass
class _LocalFeatures:
    """ORB keypoints of registered images, with a FAISS binary HNSW graph for 2-NN descriptor search."""

    xy: list[npt.NDArray[np.uint16]] = field(default_factory=list)
    des: list[U8] = field(default_factory=list)
    owner: list[npt.NDArray[np.uint32]] = field(default_factory=list)
    size: int = 0
    graph: Any = None

    def append(self, xy: npt.NDArray[np.uint16], des: U8, owner: npt.NDArray[np.uint32]) -> None:
        if self.graph is None:
            import faiss

            self.graph = faiss.IndexBinaryHNSW(256, HNSW_M)
            self.graph.hnsw.efSearch = HNSW_EF_SEARCH
        self.graph.add(np.ascontiguousarray(des, dtype=np.uint8))
        columns: tuple[tuple[list[Any], npt.NDArray[Any]], ...] = (
            (self.xy, xy),
            (self.des, des),
            (self.owner, owner),
        )
        for column, values in columns:
            column.append(values)
            if len(column) > 1:
                column[:] = [np.concatenate(column)]
        self.size += len(des)

    def column(self, name: str) -> Any:
        values = getattr(self, name)
        return values[0] if values else None


class ImageIndex(FingerprintIndex):
    """Index of registered images; finds them after re-encoding, resizing, overlays, flips, rotation, crops."""

    media_type: ClassVar[MediaType] = MediaType.IMAGE
    kinds: ClassVar[frozenset[str]] = frozenset({"pdq", "phash", "orb"})

    def __init__(
        self,
        *,
        limits: Limits = DEFAULT_LIMITS,
        shard_size: int = 1_000_000,
        nhash: int = 10,
        nbits: int = 25,
        nflip: int = 1,
        local_features: bool = True,
    ) -> None:
        if shard_size < 1 or nhash < 1 or nbits < 1 or nhash * nbits > 256 or nflip < 0:
            raise InputError("shard_size, nhash and nbits must be positive, nhash * nbits <= 256, nflip >= 0")
        self.limits = limits
        self.shard_size = shard_size
        self.nhash, self.nbits, self.nflip = nhash, nbits, nflip
        self._keys: list[str] = []
        self._ids: dict[str, int] = {}
        self._alive = (
            bytearray()
        )  # 1 per key id while registered; viewed as a NumPy bool array without copying
        self._shards: list[_Shard] = []
        self.local_features = local_features
        self._local = _LocalFeatures()

    # content level -------------------------------------------------------------------------
    def fingerprints_of(self, content: Any) -> list[Fingerprint]:
        return image_fingerprints(
            _read_content(content), self.limits, variants=True, local=self.local_features
        )

    def search(self, content: Any, limit: int = 10) -> list[Match]:
        """Registered images found in ``content`` (bytes or a path), best first.

        The global hashes are tried first (one PDQ and one pHash of the reduced decode); only
        when they find nothing, and local features are enabled and registered, are ORB features
        computed from the same pixels and verified geometrically.
        """
        self._check_limit(limit)
        grey = decode_luminance(_read_content(content), self.limits)
        matches = self.search_fingerprints(global_fingerprints(grey, variants=False), limit)
        if matches or not self.local_features or self._local.size == 0:
            return matches
        features = local_fingerprints(grey, query=True)
        return self._search_local(features[0], limit) if features else []

    # fingerprint level ---------------------------------------------------------------------
    def add_fingerprints(self, key: str, fps: Sequence[Fingerprint]) -> None:
        self._check_key(key)
        pdq, phash, part, quality = _codes(fps, query=False)
        orb = [fp for fp in fps if fp.kind == "orb"]
        if len(pdq) == 0 and not orb:
            raise InputError(f"no pdq+phash or orb fingerprint to register for {key!r}")
        self.remove(key)
        key_id = len(self._keys)
        self._keys.append(key)
        self._ids[key] = key_id
        self._alive.append(1)
        for fp in orb:
            xy, des = unpack_local_features(fp)
            fixed = np.clip(np.round(xy * 16), 0, 65535).astype(np.uint16)
            self._local.append(fixed, des, np.full(len(des), key_id, dtype=np.uint32))
        start = 0
        while start < len(pdq):
            if not self._shards or self._shards[-1].size >= self.shard_size:
                self._shards.append(_Shard(self.nhash, self.nbits, self.nflip))
            shard = self._shards[-1]
            stop = min(len(pdq), start + self.shard_size - shard.size)
            owner = np.full(stop - start, key_id, dtype=np.uint32)
            shard.append(pdq[start:stop], phash[start:stop], owner, part[start:stop], quality[start:stop])
            start = stop

    def add_codes(self, keys: Sequence[str], pdq: U8, phash: U8) -> None:
        """Bulk-register one whole-image item per key from raw codes (for scale tests and imports)."""
        if len(keys) != len(pdq) or len(keys) != len(phash):
            raise InputError("keys, pdq and phash must have the same length")
        for key in keys:
            self._check_key(key)
            self.remove(key)
        first = len(self._keys)
        for offset, key in enumerate(keys):
            self._ids[key] = first + offset
        self._keys.extend(keys)
        self._alive.extend(b"\x01" * len(keys))
        owners = np.arange(first, first + len(keys), dtype=np.uint32)
        start = 0
        while start < len(keys):
            if not self._shards or self._shards[-1].size >= self.shard_size:
                self._shards.append(_Shard(self.nhash, self.nbits, self.nflip))
            shard = self._shards[-1]
            stop = min(len(keys), start + self.shard_size - shard.size)
            n = stop - start
            shard.append(
                np.ascontiguousarray(pdq[start:stop], dtype=np.uint8),
                np.ascontiguousarray(phash[start:stop], dtype=np.uint8),
                owners[start:stop],
                np.zeros(n, dtype=np.uint8),
                np.full(n, 100, dtype=np.uint8),
            )
            start = stop

    def remove(self, key: str) -> bool:
        key_id = self._ids.pop(key, None)
        if key_id is None:
            return False
        self._alive[key_id] = 0
        return True

    def search_fingerprints(self, fps: Sequence[Fingerprint], limit: int = 10) -> list[Match]:
        self._check_limit(limit)
        pdq, phash, _part, quality = _codes(fps, query=True)
        keep = quality >= FLAT_QUALITY
        best: dict[str, Match] = {}  # the image as given and its trimmed part: the best of both per key
        rows = self.search_codes(pdq[keep], phash[keep], limit, quality=quality[keep]) if keep.any() else []
        for found in rows:
            for m in found:
                if m.key not in best or m.score > best[m.key].score:
                    best[m.key] = m
        matches = sorted(best.values(), key=lambda m: (-m.score, m.key))[:limit]
        if matches or not self.local_features:
            return matches
        orb = next((fp for fp in fps if fp.kind == "orb"), None)
        return [] if orb is None else self._search_local(orb, limit)

    def _search_local(self, features: Fingerprint, limit: int) -> list[Match]:
        """Crops and heavy overlays: ORB 2-NN with Lowe's ratio test, votes, then RANSAC verification."""
        if self._local.size == 0:
            return []
        import cv2

        xy, des = unpack_local_features(features)
        dist, nn = self._local.graph.search(np.ascontiguousarray(des), LOCAL_NEIGHBOURS)
        all_owners = self._local.column("owner")
        live = (nn >= 0) & np.frombuffer(self._alive, dtype=np.bool_)[all_owners[np.maximum(nn, 0)]]
        # the ratio test runs on the two nearest *live* keypoints: a deleted or re-registered work's
        # old keypoints stay in the graph until save() and must not veto a match
        order = np.argsort(~live, axis=1, kind="stable")
        dist, nn, live = (np.take_along_axis(a, order, axis=1) for a in (dist, nn, live))
        good = live[:, 0] & (dist[:, 0] <= ORB_MAX_DISTANCE)
        good &= ~live[:, 1] | (dist[:, 0] < ORB_RATIO * dist[:, 1])
        rows, hits = np.nonzero(good)[0], nn[good, 0]
        owners = all_owners[hits].astype(np.int64)
        candidates, votes = np.unique(owners, return_counts=True)
        registered_xy = self._local.column("xy")
        found: list[tuple[int, int]] = []
        best_dist = dist[good, 0]
        for owner in candidates[np.argsort(-votes, kind="stable")][:LOCAL_VERIFY].tolist():
            mine = np.nonzero(owners == owner)[0]
            if len(mine) < LOCAL_MIN_VOTES:
                break
            # one-to-one: each registered keypoint keeps its closest query keypoint
            mine = mine[np.lexsort((best_dist[mine], hits[mine]))]
            mine = mine[np.r_[True, hits[mine][1:] != hits[mine][:-1]]]
            if len(mine) < LOCAL_MIN_VOTES:
                continue
            source = xy[rows[mine]].astype(np.float32)
            target = registered_xy[hits[mine]].astype(np.float32) / 16.0
            count = _verified_inliers(cv2, source, target)
            if count >= LOCAL_MIN_INLIERS:
                found.append((owner, count))
        found.sort(key=lambda item: (-item[1], self._keys[item[0]]))
        return [Match(self._keys[owner], count / (count + 10.0), "orb") for owner, count in found[:limit]]

    def search_codes(
        self, pdq: U8, phash: U8, limit: int = 10, *, quality: U8 | None = None
    ) -> list[list[Match]]:
        """Batched lookup: for each query row (PDQ, pHash, optional PDQ quality), matches best first.

        Rows of one call are answered together (FAISS amortises the table probes); the result for
        row ``i`` is ``result[i]``.
        """
        self._check_limit(limit)
        pdq = np.ascontiguousarray(pdq, dtype=np.uint8).reshape(-1, 32)
        phash = np.ascontiguousarray(phash, dtype=np.uint8).reshape(-1, 8)
        low = np.zeros(len(pdq), dtype=bool) if quality is None else np.asarray(quality) < PDQ_MIN_QUALITY
        best: list[dict[int, int]] = [{} for _ in range(len(pdq))]
        alive = np.frombuffer(self._alive, dtype=np.bool_)
        for shard in self._shards:
            if shard.size == 0:
                continue
            lims, dist, ids = shard._table().range_search(pdq, WEAK_PDQ + 1)
            if len(ids) == 0:
                continue
            owners = shard.column("owner")[ids].astype(np.int64)
            rows = np.repeat(np.arange(len(pdq)), np.diff(lims).astype(np.int64))
            dph = np.bitwise_count(shard.column("phash")[ids] ^ phash[rows]).sum(axis=1)
            strong, agree = dist <= STRONG_PDQ, dph <= WEAK_PHASH
            ok = np.where(low[rows], strong & agree, strong | agree) & alive[owners]
            for row, owner, d in zip(rows[ok].tolist(), owners[ok].tolist(), dist[ok].tolist(), strict=True):
                if d < best[row].get(owner, 257):
                    best[row][owner] = d
        return [self._ranked(found, limit) for found in best]

    def _ranked(self, found: dict[int, int], limit: int) -> list[Match]:
        ranked = sorted(found.items(), key=lambda item: (item[1], self._keys[item[0]]))[:limit]
        return [Match(self._keys[key_id], max(0.0, 1.0 - d / 128.0), "pdq") for key_id, d in ranked]

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    @property
    def num_items(self) -> int:
        """Registered items (variants) in all shards, dead ones included until saved."""
        return sum(shard.size for shard in self._shards)

    def nbytes(self) -> dict[str, int]:
        """Bytes held by the code arrays (FAISS tables are reported by the benchmark's RSS delta)."""
        total = 0
        for shard in self._shards:
            for name in ("pdq", "phash", "owner", "part", "quality"):
                column = shard.column(name)
                total += 0 if column is None else int(column.nbytes)
        local = sum(
            int(self._local.column(name).nbytes) for name in ("xy", "des", "owner") if self._local.size
        )
        return {"codes": total, "local_features": local}

    # persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        with atomic_directory(Path(path), prefix=".image-index-") as staging:
            live = [key_id for key_id, alive in enumerate(self._alive) if alive]
            renumber = np.full(len(self._keys) + 1, -1, dtype=np.int64)
            renumber[live] = np.arange(len(live))
            columns: dict[str, list[Any]] = {
                name: [] for name in ("pdq", "phash", "owner", "part", "quality")
            }
            for shard in self._shards:
                if shard.size == 0:
                    continue
                keep = renumber[shard.column("owner")] >= 0
                for name in columns:
                    values = shard.column(name)[keep]
                    columns[name].append(renumber[values].astype(np.uint32) if name == "owner" else values)
            merged = {
                name: (np.concatenate(parts) if parts else _empty(name)) for name, parts in columns.items()
            }
            items = len(merged["pdq"])
            shards = 0
            for shards, start in enumerate(range(0, items, self.shard_size), start=1):
                folder = staging / f"shard-{shards - 1:05d}"
                folder.mkdir()
                for name, values in merged.items():
                    np.save(
                        folder / f"{name}.npy", np.ascontiguousarray(values[start : start + self.shard_size])
                    )
            local_items = 0
            if self._local.size:
                keep = renumber[self._local.column("owner")] >= 0
                local = {name: self._local.column(name)[keep] for name in ("xy", "des", "owner")}
                local["owner"] = renumber[local["owner"]].astype(np.uint32)
                local_items = len(local["des"])
                for name, values in local.items():
                    np.save(staging / f"local.{name}.npy", np.ascontiguousarray(values))
            (staging / "keys.json").write_text(json.dumps([self._keys[key_id] for key_id in live]))
            manifest = {
                "format": FORMAT, "version": FORMAT_VERSION, "hash": "pdq+phash64", "canonical": "draft-L-192-area64",
                "strong_pdq": STRONG_PDQ, "weak_pdq": WEAK_PDQ, "weak_phash": WEAK_PHASH,
                "shard_size": self.shard_size, "nhash": self.nhash, "nbits": self.nbits, "nflip": self.nflip,
                "shards": shards, "items": items, "local_items": local_items,
                "local_features": self.local_features,
            }  # fmt: skip
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=1))

    @classmethod
    def load(cls, path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> Self:
        source = Path(path)
        manifest = read_index_manifest(source, fmt=FORMAT, version=FORMAT_VERSION)
        keys = read_index_keys(source)
        index = cls(
            limits=limits,
            shard_size=int(manifest["shard_size"]),
            nhash=int(manifest["nhash"]),
            nbits=int(manifest["nbits"]),
            nflip=int(manifest["nflip"]),
            local_features=bool(manifest.get("local_features", True)),
        )
        index._keys = list(keys)
        index._ids = {key: key_id for key_id, key in enumerate(keys)}
        index._alive = bytearray(b"\x01" * len(keys))
        for number in range(int(manifest["shards"])):
            folder = source / f"shard-{number:05d}"
            arrays = {
                name: np.load(folder / f"{name}.npy", mmap_mode="r")
                for name in ("pdq", "phash", "owner", "part", "quality")
            }
            shard = _Shard(index.nhash, index.nbits, index.nflip)
            shard.append(
                np.asarray(arrays["pdq"]), arrays["phash"], arrays["owner"], arrays["part"], arrays["quality"]
            )
            index._shards.append(shard)
        if int(manifest.get("local_items", 0)):
            local = {
                name: np.load(source / f"local.{name}.npy", mmap_mode="r") for name in ("xy", "des", "owner")
            }
            index._local.append(np.asarray(local["xy"]), np.asarray(local["des"]), np.asarray(local["owner"]))
        if index.num_items != int(manifest["items"]) or index._local.size != int(
            manifest.get("local_items", 0)
        ):
            raise IntegrityError(
                f"{source}: manifest says {manifest['items']} items, shards hold {index.num_items}"
            )
        return index


def _verified_inliers(cv2: Any, source: npt.NDArray[np.float32], target: npt.NDArray[np.float32]) -> int:
    """Inliers of a sane RANSAC similarity from query to registered keypoints; 0 when it is not sane."""
    cv2.setRNGSeed(RANSAC_SEED)  # same inputs, same verdict: save/load must not change answers
    model, inliers = cv2.estimateAffinePartial2D(
        source, target, method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PIXELS
    )
    if model is None or inliers is None:
        return 0
    scale = float(np.hypot(model[0, 0], model[1, 0]))
    if not LOCAL_MIN_SCALE <= scale <= LOCAL_MAX_SCALE:
        return 0
    keep = inliers.ravel().astype(bool)
    # distinct positions (whole pixels): ORB finds one corner at several pyramid levels
    distinct = min(
        len(np.unique(np.round(points[keep]).astype(np.int32), axis=0)) for points in (source, target)
    )
    if distinct < LOCAL_MIN_INLIERS:
        return 0
    spread = float(np.sqrt(np.prod(target[keep].std(axis=0))))
    return distinct if spread >= LOCAL_MIN_SPREAD else 0


def _empty(name: str) -> npt.NDArray[Any]:
    widths = {"pdq": (0, 32), "phash": (0, 8)}
    return np.zeros(widths.get(name, (0,)), dtype=np.uint32 if name == "owner" else np.uint8)


def _codes(fps: Sequence[Fingerprint], *, query: bool) -> tuple[U8, U8, U8, U8]:
    """Pair each part's PDQ and pHash; a query uses part 0 (the image as given) and its trimmed part."""
    pdq: dict[int, tuple[bytes, int]] = {}
    phash: dict[int, bytes] = {}
    for fp in fps:
        if query and fp.part not in QUERY_PARTS:
            continue
        try:
            if fp.kind == "pdq":
                code = bytes.fromhex(fp.value)
                if len(code) != 32:
                    raise ValueError("PDQ codes are 32 bytes")
                pdq[fp.part] = (code, 100 if fp.size is None else int(fp.size))
            elif fp.kind == "phash":
                code = bytes.fromhex(fp.value)
                if len(code) != 8:
                    raise ValueError("pHash codes are 8 bytes")
                phash[fp.part] = code
        except ValueError as exc:
            raise InvalidFingerprintError(f"malformed {fp.kind} fingerprint (part {fp.part}): {exc}") from exc
    parts = sorted(set(pdq) & set(phash))
    if not parts:
        return (
            np.zeros((0, 32), np.uint8),
            np.zeros((0, 8), np.uint8),
            np.zeros(0, np.uint8),
            np.zeros(0, np.uint8),
        )
    return (
        np.frombuffer(b"".join(pdq[p][0] for p in parts), dtype=np.uint8).reshape(-1, 32).copy(),
        np.frombuffer(b"".join(phash[p] for p in parts), dtype=np.uint8).reshape(-1, 8).copy(),
        np.asarray([min(p, 255) for p in parts], dtype=np.uint8),
        np.asarray([min(max(pdq[p][1], 0), 100) for p in parts], dtype=np.uint8),
    )
