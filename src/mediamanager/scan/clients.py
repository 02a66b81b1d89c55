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
from pathlib import Path
from typing import Any

import httpx

from mediamanager.errors import InputError, RegistryUnavailableError
from mediamanager.lookup import LookupQuery, LookupResult, RegistryClient, RegistryInfo, WorkMatch
from mediamanager.model import Fingerprint, MediaType, Preferences

__all__ = ["HttpRegistryClient", "SnapshotRegistryClient", "open_registry_client"]

_SNAPSHOT_FORMAT = "mediamanager-registry-snapshot"
_SUPPORTED_VERSIONS = (1,)
_EXACT_KINDS = frozenset({"sha256", "iscc"})


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


class SnapshotRegistryClient:
    """Looks works up in a snapshot directory written by ``mediamanager export``; works fully offline.

    The snapshot is read and checked (every file against the manifest's sha256)
    on first use; near-duplicate indexes are built from its fingerprints with the
    same fingerprint package the registry uses.
    """

    def __init__(self, path: str | Path, *, match_limit: int = 10) -> None:
        self.path = Path(path)
        self.match_limit = match_limit
        self._lock = threading.Lock()
        self._loaded = False
        self._info: RegistryInfo | None = None
        self._works: dict[str, dict[str, Any]] = {}
        self._owners: dict[str, str] = {}
        self._by_sha: dict[str, list[str]] = defaultdict(list)
        self._indexes: dict[MediaType, Any] = {}
        self._matches: dict[str, WorkMatch] = {}

    def _load(self) -> None:
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
            if manifest.get("format_version") not in _SUPPORTED_VERSIONS:
                raise RegistryUnavailableError(
                    f"snapshot format version {manifest.get('format_version')!r} is not supported "
                    f"(this version reads {_SUPPORTED_VERSIONS})"
                )
            files = manifest.get("files") or {}
            try:
                owners = self._read_jsonl("owners.jsonl", files)
                works = self._read_jsonl("works.jsonl", files)
                if hashlib.sha256(_canonical(files).encode()).hexdigest() != manifest.get("sha256"):
                    raise RegistryUnavailableError(f"snapshot {self.path}: manifest checksum does not match")
                self._owners = {o["id"]: o.get("display_name", "") for o in owners}
                grouped: dict[MediaType, list[tuple[str, list[Fingerprint]]]] = defaultdict(list)
                for w in works:
                    wid = str(w["id"])
                    self._works[wid] = w
                    self._by_sha[str(w["sha256"]).lower()].append(wid)
                    fps = [Fingerprint.from_dict(f) for f in w.get("fingerprints", ())]
                    fps = [f for f in fps if f.kind not in _EXACT_KINDS]
                    if fps:
                        grouped[MediaType(w["media_type"])].append((wid, fps))
            except (KeyError, TypeError, ValueError) as exc:
                raise RegistryUnavailableError(f"corrupt snapshot {self.path}: {exc}") from None
            for media, entries in grouped.items():
                index = self._new_index(media)
                for wid, fps in entries:
                    index.add_fingerprints(wid, fps)
                self._indexes[media] = index
            self._info = RegistryInfo(
                source=f"snapshot:{self.path}",
                version=str(manifest.get("registry_version", "")),
                sha256=manifest["sha256"],
            )
            self._loaded = True

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
    def _new_index(media: MediaType) -> Any:
        from mediamanager.fingerprint import index as fx

        name = {
            MediaType.TEXT: "TextIndex",
            MediaType.IMAGE: "ImageIndex",
            MediaType.AUDIO: "AudioIndex",
        }.get(media)
        try:
            return getattr(fx, name or "")()
        except (AttributeError, ImportError) as exc:
            raise RegistryUnavailableError(f"cannot index {media.value} fingerprints: {exc}") from None

    def _match(self, wid: str, score: float, kind: str) -> WorkMatch:
        base = self._matches.get(wid)
        if base is None:
            w = self._works[wid]
            base = WorkMatch(
                work_id=wid,
                score=1.0,
                kind="",
                owner_id=w["owner_id"],
                owner_name=self._owners.get(w["owner_id"], ""),
                title=w.get("title", ""),
                iscc=w.get("iscc", ""),
                preferences=Preferences.from_dict(w.get("preferences", {})),
                disputed=bool(w.get("disputed", False)),
                claimants=tuple(w.get("claimants", ())),
            )
            self._matches[wid] = base
        from dataclasses import replace

        return replace(base, score=round(float(score), 6), kind=kind)

    def info(self) -> RegistryInfo:
        self._load()
        assert self._info is not None
        return self._info

    def lookup(self, queries: Sequence[LookupQuery]) -> list[LookupResult]:
        self._load()
        out: list[LookupResult] = []
        for q in queries:
            hits: dict[str, tuple[float, str]] = {}
            sha = q.sha256 or next((f.value for f in q.fingerprints if f.kind == "sha256"), None)
            if sha:
                for wid in self._by_sha.get(sha.lower(), ()):
                    hits[wid] = (1.0, "sha256")
            fps = [f for f in q.fingerprints if f.kind not in _EXACT_KINDS]
            if fps:
                targets = (
                    [self._indexes[q.media_type]]
                    if q.media_type in self._indexes
                    else ([] if q.media_type is not None else list(self._indexes.values()))
                )
                for index in targets:
                    for m in index.search_fingerprints(fps, self.match_limit):
                        if m.key not in hits or hits[m.key][0] < m.score:
                            hits[m.key] = (float(m.score), m.kind)
            matches = sorted(
                (self._match(w, s, k) for w, (s, k) in hits.items()), key=lambda m: (-m.score, m.work_id)
            )
            out.append(LookupResult(q.item_id, tuple(matches)))
        return out


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
