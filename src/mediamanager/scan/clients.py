"""The scanner's registry clients: an offline snapshot directory, or a registry server over HTTP.

Both implement :class:`mediamanager.lookup.RegistryClient`. A failure to read the
snapshot or reach the server raises
:class:`~mediamanager.errors.RegistryUnavailableError`; it is never reported as
"no match". The snapshot format and its reader live in :mod:`mediamanager.snapshot_format`
(shared with the registry's writer); the HTTP client is :class:`mediamanager.client.RegistryApi`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from mediamanager.errors import RegistryUnavailableError
from mediamanager.fingerprint.check import EXACT_KINDS
from mediamanager.lookup import (
    DisputeStatus,
    LookupQuery,
    LookupResult,
    RegistryClient,
    RegistryInfo,
    WorkMatch,
)
from mediamanager.model import Fingerprint, MediaType, Preferences
from mediamanager.snapshot_format import OpenSnapshot, open_snapshot
from mediamanager.urlnorm import url_hash

__all__ = ["SnapshotRegistryClient", "open_registry_client"]


class SnapshotRegistryClient:
    """Looks works up in a snapshot directory written by ``mediamanager export``; works fully offline.

    The snapshot is opened and checked (every file against the manifest's sha256) on first
    use. Its indexes and tables are memory-mapped (processes share them through the page
    cache). Lookups go a batch at a time: text queries are searched together in one
    :meth:`TextIndex.search_batch` call, sha256 digests with one ``searchsorted``.
    """

    def __init__(self, path: str | Path, *, match_limit: int = 10) -> None:
        self.path = Path(path)
        self.match_limit = match_limit
        self._lock = threading.Lock()
        self._snap: OpenSnapshot | None = None
        self._info: RegistryInfo | None = None
        self._indexes: dict[MediaType, Any] = {}
        self._matches: dict[str, WorkMatch] = {}
        self._prefs: dict[int, Preferences] = {}

    # -- opening -------------------------------------------------------------------------------

    def _load(self) -> OpenSnapshot:
        if self._snap is not None:
            return self._snap
        with self._lock:
            if self._snap is None:
                snap = open_snapshot(self.path)
                self._indexes = {media: self._open_index(media, rel) for media, rel in snap.indexes.items()}
                self._info = RegistryInfo(
                    source=f"snapshot:{self.path}", version=snap.registry_version, sha256=snap.sha256
                )
                self._snap = snap
        return self._snap

    @staticmethod
    def _open_index(media: MediaType, path: Path) -> Any:
        from mediamanager.fingerprint import index as fx

        name = {
            MediaType.TEXT: "TextIndex",
            MediaType.IMAGE: "ImageIndex",
            MediaType.AUDIO: "AudioIndex",
        }.get(media)
        try:
            return getattr(fx, name or "").load(path)
        except (AttributeError, ImportError) as exc:
            raise RegistryUnavailableError(f"cannot index {media.value} fingerprints: {exc}") from None
        except (OSError, ValueError, KeyError) as exc:
            raise RegistryUnavailableError(f"corrupt snapshot index {path}: {exc}") from None

    # -- answers -------------------------------------------------------------------------------

    def _preferences(self, snap: OpenSnapshot, row: int) -> Preferences:
        prefs = self._prefs.get(row)
        if prefs is None:
            prefs = Preferences.from_dict(json.loads(snap.preferences_json[row].as_py()))
            self._prefs[row] = prefs
        return prefs

    def _base_match(self, snap: OpenSnapshot, key: str) -> WorkMatch:
        """The match for a works.arrow row number, without score and kind."""
        base = self._matches.get(key)
        if base is not None:
            return base
        rec = snap.works.slice(int(key), 1).to_pylist()[0]
        owner = rec["owner_id"]
        base = WorkMatch(
            work_id=rec["id"],
            score=1.0,
            kind="",
            owner_id=owner,
            owner_name=snap.owners.get(owner, ""),
            title=rec["title"] or "",
            iscc=rec["iscc"] or "",
            preferences=self._preferences(snap, int(rec["preferences"])),
            disputed=bool(rec["disputed"]),
            claimants=tuple(rec["claimants"] or ()),
            dispute=DisputeStatus.from_dict(rec["dispute"]),
        )
        self._matches[key] = base
        return base

    @staticmethod
    def _sha_keys(snap: OpenSnapshot, shas: list[str | None]) -> list[list[str]]:
        """For each sha256 (hex), the keys of the works holding it."""
        return _sorted_keys(snap.sha_sorted, snap.sha_rows, shas)

    @staticmethod
    def _url_keys(
        snap: OpenSnapshot, queries: Sequence[LookupQuery]
    ) -> tuple[list[list[str]], dict[int, str]]:
        """For each query's URL, the keys of the works naming it; and the queries whose URL is refused."""
        hashes: list[str | None] = []
        refused: dict[int, str] = {}
        for i, q in enumerate(queries):
            h = None
            if q.url is not None:
                try:
                    h = url_hash(q.url)
                except ValueError as exc:
                    refused[i] = f"bad lookup URL {q.url[:100]!r}: {exc}"
            hashes.append(h)
        return _sorted_keys(snap.url_sorted, snap.url_rows, hashes), refused

    def info(self) -> RegistryInfo:
        self._load()
        assert self._info is not None
        return self._info

    def lookup(self, queries: Sequence[LookupQuery]) -> list[LookupResult]:
        snap = self._load()
        hits: list[dict[str, tuple[float, str]]] = [{} for _ in queries]
        shas = [
            q.sha256 or next((f.value for f in q.fingerprints if f.kind == "sha256"), None) for q in queries
        ]
        for h, keys in zip(hits, self._sha_keys(snap, shas), strict=True):
            for key in keys:
                h[key] = (1.0, "sha256")
        by_url, refused = self._url_keys(snap, queries)
        for h, keys in zip(hits, by_url, strict=True):
            for key in keys:
                h.setdefault(key, (1.0, "url"))  # sha256 first, as the registry does
        near = [[f for f in q.fingerprints if f.kind not in EXACT_KINDS] for q in queries]
        text_index = self._indexes.get(MediaType.TEXT)
        text_batch: list[int] = []
        for i, (q, fps) in enumerate(zip(queries, near, strict=True)):
            if not fps:
                continue
            if q.media_type is MediaType.TEXT and text_index is not None:
                text_batch.append(i)
                continue
            targets = (
                [self._indexes[q.media_type]]
                if q.media_type in self._indexes
                else ([] if q.media_type is not None else list(self._indexes.values()))
            )
            for index in targets:
                self._merge(hits[i], index.search_fingerprints(fps, self.match_limit))
        if text_batch:
            found = self._search_texts(text_index, [near[i] for i in text_batch])
            for i, matches in zip(text_batch, found, strict=True):
                self._merge(hits[i], matches)
        out: list[LookupResult] = []
        for i, (q, h) in enumerate(zip(queries, hits, strict=True)):
            if i in refused:
                out.append(LookupResult(q.item_id, (), error=refused[i]))
                continue
            matches = sorted(
                (
                    replace(self._base_match(snap, k), score=round(float(s), 6), kind=kind)
                    for k, (s, kind) in h.items()
                ),
                key=lambda m: (-m.score, m.work_id),
            )
            out.append(LookupResult(q.item_id, tuple(matches)))
        return out

    @staticmethod
    def _merge(hits: dict[str, tuple[float, str]], matches: Sequence[Any]) -> None:
        for m in matches:
            if m.key not in hits or hits[m.key][0] < m.score:
                hits[m.key] = (float(m.score), m.kind)

    def _search_texts(self, index: Any, fps_per_query: list[list[Fingerprint]]) -> list[list[Any]]:
        """Every text query in one batch search (the per-query path costs 24 ``searchsorted`` each)."""
        from mediamanager.fingerprint.text import batch_from_fingerprints

        batch = batch_from_fingerprints(fps_per_query)
        if not len(batch.docs):
            return [[] for _ in fps_per_query]
        result: list[list[Any]] = index.search_batch(batch, self.match_limit)
        return result


def _sorted_keys(sorted_digests: Any, rows: Any, hexes: list[str | None]) -> list[list[str]]:
    """For each hex digest, the works.arrow rows (as keys) of its entries in a sorted ``|S32`` array."""
    import numpy as np

    out: list[list[str]] = [[] for _ in hexes]
    wanted = [(i, bytes.fromhex(s)) for i, s in enumerate(hexes) if s and len(s) == 64 and _is_hex(s)]
    if not wanted or not len(sorted_digests):
        return out
    needles = np.array([d for _, d in wanted], dtype="S32")
    pos = np.searchsorted(sorted_digests, needles, side="left")
    n = len(sorted_digests)
    for (i, digest), p in zip(wanted, pos.tolist(), strict=True):
        while p < n and bytes(sorted_digests[p]).ljust(32, b"\0") == digest:
            out[i].append(str(int(rows[p])))
            p += 1
    return out


def _is_hex(value: str) -> bool:
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def open_registry_client(spec: str, *, timeout: float = 30.0) -> RegistryClient:
    """An ``http(s)://`` URL gives :class:`~mediamanager.client.RegistryApi`; anything else is a snapshot
    directory."""
    if spec.startswith(("http://", "https://")):
        from mediamanager.client import RegistryApi

        return RegistryApi(spec, "", timeout=timeout, user_agent="mediamanager-scan")
    path = Path(spec).expanduser()
    if not path.is_dir():
        raise RegistryUnavailableError(
            f"registry {spec!r} is neither an http(s) URL nor a snapshot directory"
        )
    return SnapshotRegistryClient(path)
