"""The scanner's registry clients: an offline snapshot directory, or a registry server over HTTP.

Both implement :class:`mediamanager.lookup.RegistryClient`. A failure to read the
snapshot or reach the server raises
:class:`~mediamanager.errors.RegistryUnavailableError`; it is never reported as
"no match". The snapshot format is documented in
:mod:`mediamanager.registry.snapshot` (read here without importing the registry).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from mediamanager.errors import InputError, MediaManagerError, RegistryUnavailableError
from mediamanager.fingerprint.check import EXACT_KINDS
from mediamanager.lookup import LookupQuery, LookupResult, RegistryClient, RegistryInfo, WorkMatch
from mediamanager.model import Fingerprint, MediaType, Preferences

__all__ = ["HttpRegistryClient", "SnapshotRegistryClient", "open_registry_client"]

_SNAPSHOT_FORMAT = "mediamanager-registry-snapshot"
_SUPPORTED_VERSIONS = (1, 2)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


class SnapshotRegistryClient:
    """Looks works up in a snapshot directory written by ``mediamanager export``; works fully offline.

    The snapshot is opened and checked (every file against the manifest's sha256) on first
    use. A version-2 snapshot's indexes and tables are memory-mapped (processes share them
    through the page cache); a version-1 snapshot's indexes are rebuilt in memory from
    ``works.jsonl``. Lookups go a batch at a time: text queries are searched together in
    one :meth:`TextIndex.search_batch` call, sha256 digests with one ``searchsorted``.
    """

    def __init__(self, path: str | Path, *, match_limit: int = 10) -> None:
        self.path = Path(path)
        self.match_limit = match_limit
        self._lock = threading.Lock()
        self._loaded = False
        self._info: RegistryInfo | None = None
        self._owners: dict[str, str] = {}
        self._indexes: dict[MediaType, Any] = {}
        self._matches: dict[str, WorkMatch] = {}
        # version 1: every work in memory
        self._works: dict[str, dict[str, Any]] = {}
        self._by_sha: dict[str, list[str]] = defaultdict(list)
        # version 2: memory-mapped tables
        self._version = 0
        self._table: Any = None
        self._prefs_json: Any = None
        self._prefs: dict[int, Preferences] = {}
        self._sha_sorted: Any = None
        self._sha_rows: Any = None

    # -- opening -------------------------------------------------------------------------------

    def _load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            manifest_path = self.path / "manifest.json"
            try:
                manifest = json.loads(manifest_path.read_text())
            except FileNotFoundError:
                raise RegistryUnavailableError(
                    f"no registry snapshot at {self.path} (manifest.json missing)"
                ) from None
            except (OSError, ValueError) as exc:
                raise RegistryUnavailableError(
                    f"unreadable snapshot manifest {manifest_path}: {exc}"
                ) from None
            if not isinstance(manifest, dict) or manifest.get("format") != _SNAPSHOT_FORMAT:
                raise RegistryUnavailableError(f"{manifest_path} is not a Media Manager registry snapshot")
            version = manifest.get("format_version")
            if version not in _SUPPORTED_VERSIONS:
                raise RegistryUnavailableError(
                    f"snapshot format version {version!r} is not supported "
                    f"(this version reads {_SUPPORTED_VERSIONS})"
                )
            files = manifest.get("files") or {}
            if not isinstance(files, dict) or hashlib.sha256(
                _canonical(files).encode()
            ).hexdigest() != manifest.get("sha256"):
                raise RegistryUnavailableError(f"snapshot {self.path}: manifest checksum does not match")
            if version == 1:
                self._load_v1(files)
            else:
                self._load_v2(manifest, files)
            self._version = int(version)
            self._info = RegistryInfo(
                source=f"snapshot:{self.path}",
                version=str(manifest.get("registry_version", "")),
                sha256=manifest["sha256"],
            )
            self._loaded = True

    def _load_v1(self, files: dict[str, str]) -> None:
        owners = self._read_jsonl("owners.jsonl", files)
        works = self._read_jsonl("works.jsonl", files)
        try:
            self._owners = {o["id"]: o.get("display_name", "") for o in owners}
            grouped: dict[MediaType, list[tuple[str, list[Fingerprint]]]] = defaultdict(list)
            for w in works:
                wid = str(w["id"])
                self._works[wid] = w
                self._by_sha[str(w["sha256"]).lower()].append(wid)
                fps = [Fingerprint.from_dict(f) for f in w.get("fingerprints", ())]
                fps = [f for f in fps if f.kind not in EXACT_KINDS]
                if fps:
                    grouped[MediaType(w["media_type"])].append((wid, fps))
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryUnavailableError(f"corrupt snapshot {self.path}: {exc}") from None
        for media, entries in grouped.items():
            index = self._new_index(media)
            for wid, fps in entries:
                index.add_fingerprints(wid, fps)
            self._indexes[media] = index

    def _verify_files(self, files: dict[str, str], required: Sequence[str]) -> None:
        """Every listed file exists and has its sha256 (read in 1 MiB chunks: memory stays flat)."""
        for name in required:
            if name not in files:
                raise RegistryUnavailableError(f"snapshot {self.path}: manifest lists no {name}")
        for name, expected in files.items():
            path = self.path / name
            if ".." in Path(name).parts or Path(name).is_absolute():
                raise RegistryUnavailableError(f"snapshot {self.path}: bad file name {name!r} in manifest")
            digest = hashlib.sha256()
            try:
                with open(path, "rb") as fh:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
            except OSError as exc:
                raise RegistryUnavailableError(f"cannot read snapshot file {path}: {exc}") from None
            if digest.hexdigest() != expected:
                raise RegistryUnavailableError(
                    f"snapshot file {path} does not match its checksum (corrupt or edited)"
                )

    def _load_v2(self, manifest: dict[str, Any], files: dict[str, str]) -> None:
        import numpy as np
        import pyarrow as pa

        required = ("owners.jsonl", "works.arrow", "preferences.arrow", "sha256.npy", "sha256-rows.npy")
        self._verify_files(files, required)
        try:
            owners = self._read_jsonl("owners.jsonl", files)
            self._owners = {o["id"]: o.get("display_name", "") for o in owners}
            self._table = pa.ipc.open_file(pa.memory_map(str(self.path / "works.arrow"))).read_all()
            self._table = self._table.combine_chunks()
            prefs = pa.ipc.open_file(pa.memory_map(str(self.path / "preferences.arrow"))).read_all()
            self._prefs_json = prefs.column("json").combine_chunks()
            self._sha_sorted = np.load(self.path / "sha256.npy", mmap_mode="r")
            self._sha_rows = np.load(self.path / "sha256-rows.npy", mmap_mode="r")
            if len(self._sha_sorted) != self._table.num_rows or len(self._sha_rows) != self._table.num_rows:
                raise ValueError("sha256 index and works table disagree in length")
            indexes = manifest.get("indexes") or {}
            for media_name, rel in indexes.items():
                media = MediaType(media_name)
                # Only the writer's own layout: an index must be checked by the file list above.
                if rel != f"index/{media.value}" or f"{rel}/manifest.json" not in files:
                    raise ValueError(f"index {rel!r} for {media.value} is not part of the checked files")
                self._indexes[media] = self._open_index(media, self.path / rel)
        except RegistryUnavailableError:
            raise
        except (KeyError, TypeError, ValueError, OSError, pa.ArrowException, MediaManagerError) as exc:
            raise RegistryUnavailableError(f"corrupt snapshot {self.path}: {exc}") from None

    def _read_jsonl(self, name: str, files: dict[str, str]) -> list[dict[str, Any]]:
        path = self.path / name
        expected = files.get(name)
        if not expected:
            raise RegistryUnavailableError(f"snapshot {self.path}: manifest lists no {name}")
        digest = hashlib.sha256()
        records: list[dict[str, Any]] = []
        try:
            with open(path, "rb") as fh:
                for line in fh:
                    digest.update(line)
                    if line.strip():
                        records.append(json.loads(line))
        except OSError as exc:
            raise RegistryUnavailableError(f"cannot read snapshot file {path}: {exc}") from None
        except ValueError as exc:
            raise RegistryUnavailableError(f"corrupt snapshot file {path}: {exc}") from None
        if digest.hexdigest() != expected:
            raise RegistryUnavailableError(
                f"snapshot file {path} does not match its checksum (corrupt or edited)"
            )
        return records

    @staticmethod
    def _index_class(media: MediaType) -> Any:
        from mediamanager.fingerprint import index as fx

        name = {
            MediaType.TEXT: "TextIndex",
            MediaType.IMAGE: "ImageIndex",
            MediaType.AUDIO: "AudioIndex",
        }.get(media)
        try:
            return getattr(fx, name or "")
        except (AttributeError, ImportError) as exc:
            raise RegistryUnavailableError(f"cannot index {media.value} fingerprints: {exc}") from None

    @classmethod
    def _new_index(cls, media: MediaType) -> Any:
        return cls._index_class(media)()

    @classmethod
    def _open_index(cls, media: MediaType, path: Path) -> Any:
        return cls._index_class(media).load(path)

    # -- answers -------------------------------------------------------------------------------

    def _preferences(self, row: int) -> Preferences:
        prefs = self._prefs.get(row)
        if prefs is None:
            prefs = Preferences.from_dict(json.loads(self._prefs_json[row].as_py()))
            self._prefs[row] = prefs
        return prefs

    def _base_match(self, key: str) -> WorkMatch:
        """The match for a work id (v1) or a works.arrow row number (v2), without score and kind."""
        base = self._matches.get(key)
        if base is not None:
            return base
        if self._version == 1:
            w = self._works[key]
            wid, owner = key, w["owner_id"]
            title, iscc = w.get("title", ""), w.get("iscc", "")
            prefs = Preferences.from_dict(w.get("preferences", {}))
            disputed, claimants = bool(w.get("disputed", False)), tuple(w.get("claimants", ()))
        else:
            row = int(key)
            rec = self._table.slice(row, 1).to_pylist()[0]
            wid, owner, title, iscc = rec["id"], rec["owner_id"], rec["title"] or "", rec["iscc"] or ""
            prefs = self._preferences(int(rec["preferences"]))
            disputed, claimants = bool(rec["disputed"]), tuple(rec["claimants"] or ())
        base = WorkMatch(
            work_id=wid,
            score=1.0,
            kind="",
            owner_id=owner,
            owner_name=self._owners.get(owner, ""),
            title=title,
            iscc=iscc,
            preferences=prefs,
            disputed=disputed,
            claimants=claimants,
        )
        self._matches[key] = base
        return base

    def _sha_keys(self, shas: list[str | None]) -> list[list[str]]:
        """For each sha256 (hex), the keys of the works holding it."""
        if self._version == 1:
            return [list(self._by_sha.get(s.lower(), ())) if s else [] for s in shas]
        import numpy as np

        out: list[list[str]] = [[] for _ in shas]
        wanted = [(i, bytes.fromhex(s)) for i, s in enumerate(shas) if s and len(s) == 64 and _is_hex(s)]
        if not wanted or not len(self._sha_sorted):
            return out
        needles = np.array([d for _, d in wanted], dtype="S32")
        pos = np.searchsorted(self._sha_sorted, needles, side="left")
        n = len(self._sha_sorted)
        for (i, digest), p in zip(wanted, pos.tolist(), strict=True):
            while p < n and bytes(self._sha_sorted[p]).ljust(32, b"\0") == digest:
                out[i].append(str(int(self._sha_rows[p])))
                p += 1
        return out

    def info(self) -> RegistryInfo:
        self._load()
        assert self._info is not None
        return self._info

    def lookup(self, queries: Sequence[LookupQuery]) -> list[LookupResult]:
        self._load()
        hits: list[dict[str, tuple[float, str]]] = [{} for _ in queries]
        shas = [
            q.sha256 or next((f.value for f in q.fingerprints if f.kind == "sha256"), None) for q in queries
        ]
        for h, keys in zip(hits, self._sha_keys(shas), strict=True):
            for key in keys:
                h[key] = (1.0, "sha256")
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
        for q, h in zip(queries, hits, strict=True):
            matches = sorted(
                (
                    replace(self._base_match(k), score=round(float(s), 6), kind=kind)
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
        import numpy as np

        from mediamanager.fingerprint.text import SketchBatch, sketches_from_fingerprints

        sigs, sizes, parts, docs = [], [], [], []
        for doc, fps in enumerate(fps_per_query):
            for s in sketches_from_fingerprints(fps):
                sigs.append(np.asarray(s.signature, dtype=np.uint32))
                sizes.append(s.size)
                parts.append(s.part)
                docs.append(doc)
        if not sigs:
            return [[] for _ in fps_per_query]
        batch = SketchBatch(
            np.stack(sigs),
            np.asarray(sizes, np.uint32),
            np.asarray(parts, np.uint32),
            np.asarray(docs, np.uint32),
            len(fps_per_query),
        )
        result: list[list[Any]] = index.search_batch(batch, self.match_limit)
        return result


def _is_hex(value: str) -> bool:
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


class HttpRegistryClient:
    """Asks a registry server (``POST /lookup``) in batches; unreachable or failing servers raise."""

    def __init__(
        self, url: str, timeout: float = 30.0, *, batch_size: int = 2000, token: str | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.batch_size = max(1, min(batch_size, 10_000))
        headers = {"User-Agent": "mediamanager-scan"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(base_url=self.url, timeout=timeout, headers=headers, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpRegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            resp = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RegistryUnavailableError(
                f"registry {self.url} unreachable: {type(exc).__name__}: {exc}"
            ) from None
        if 400 <= resp.status_code < 500 and resp.status_code not in (404, 408, 429):
            try:
                detail = resp.json().get("detail")
            except ValueError:
                detail = resp.text[:500]
            raise InputError(f"registry {self.url} refused the request (HTTP {resp.status_code}): {detail}")
        if resp.status_code != 200:
            raise RegistryUnavailableError(f"registry {self.url}{path} answered HTTP {resp.status_code}")
        try:
            return resp.json()
        except ValueError:
            raise RegistryUnavailableError(
                f"registry {self.url}{path} answered something that is not JSON"
            ) from None

    def info(self) -> RegistryInfo:
        data = self._request("GET", "/info")
        try:
            return RegistryInfo(source=self.url, version=str(data["version"]), sha256=str(data["sha256"]))
        except (KeyError, TypeError):
            raise RegistryUnavailableError(f"registry {self.url}/info answered an unexpected shape") from None

    def lookup(self, queries: Sequence[LookupQuery]) -> list[LookupResult]:
        out: list[LookupResult] = []
        for i in range(0, len(queries), self.batch_size):
            batch = queries[i : i + self.batch_size]
            data = self._request("POST", "/lookup", json={"items": [q.to_dict() for q in batch]})
            try:
                results = data["results"]
                if len(results) != len(batch):
                    raise ValueError(f"{len(results)} results for {len(batch)} items")
                for q, r in zip(batch, results, strict=True):
                    if r["id"] != q.item_id:
                        raise ValueError(f"result for {r['id']!r} where {q.item_id!r} was expected")
                    out.append(LookupResult(q.item_id, tuple(WorkMatch.from_dict(m) for m in r["matches"])))
            except (KeyError, TypeError, ValueError) as exc:
                raise RegistryUnavailableError(
                    f"registry {self.url} answered an unexpected lookup shape: {exc}"
                ) from None
        return out


def open_registry_client(spec: str, *, timeout: float = 30.0) -> RegistryClient:
    """An ``http(s)://`` URL gives :class:`HttpRegistryClient`; anything else is a snapshot directory."""
    if spec.startswith(("http://", "https://")):
        return HttpRegistryClient(spec, timeout)
    path = Path(spec).expanduser()
    if not path.is_dir():
        raise RegistryUnavailableError(
            f"registry {spec!r} is neither an http(s) URL nor a snapshot directory"
        )
    return SnapshotRegistryClient(path)
