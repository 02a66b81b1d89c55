"""Export the registry as an offline snapshot directory that scanners read with no network.

The format (file names, version, schemas, manifest, reader) is specified in
:mod:`mediamanager.snapshot_format`, which the scanner's reader shares. The prebuilt indexes
and the Arrow tables are memory-mapped by readers, so opening a 1 M-work snapshot takes seconds
and worker processes share its pages through the page cache.
``checkpoint.json`` beside the manifest holds the audit head the snapshot was taken at, signed
(:mod:`mediamanager.registry.checkpoint`).

The snapshot never contains registered content, e-mail addresses, tokens, source URLs or
domain-verification tokens: only fingerprints (inside the indexes), effective preferences,
owner display names, titles, ISCC codes and the sha256 of each normalised source URL (which
lets anyone holding a URL test whether a work names it, the point of a lookup by URL, and
nothing more). The directory is written beside its target and
renamed into place, so a reader never sees half a snapshot.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from mediamanager.errors import InputError
from mediamanager.fingerprint.check import EXACT_KINDS
from mediamanager.lookup import DisputeStatus
from mediamanager.model import Fingerprint, MediaType, Preferences, utcnow
from mediamanager.progress import ProgressLine
from mediamanager.registry.audit import canonical_json
from mediamanager.registry.export import ExportReader
from mediamanager.registry.uow import UnitOfWork
from mediamanager.registry.work_urls import hashes_of
from mediamanager.snapshot_format import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    OWNERS,
    PREFERENCES,
    SHA256,
    SHA256_ROWS,
    URLS,
    URLS_ROWS,
    WORKS,
    canonical,
    index_dir,
    preferences_schema,
    works_schema,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "SnapshotManifest",
    "SnapshotWork",
    "export_snapshot",
    "write_snapshot",
]

_TEXT_CHUNK = 4096
WORKS_SCHEMA = works_schema()
PREFERENCES_SCHEMA = preferences_schema()


@dataclass(frozen=True)
class SnapshotManifest:
    """What :func:`export_snapshot` wrote."""

    path: Path
    registry_version: str
    sha256: str
    owners: int
    works: int


@dataclass(frozen=True)
class SnapshotWork:
    """One work's public fields, as a snapshot stores them (nothing else is ever written)."""

    id: str
    owner_id: str
    media_type: str
    title: str
    sha256: str
    iscc: str
    fingerprints: tuple[Fingerprint, ...]
    preferences: dict[str, Any]  # Preferences.to_dict(effective=True)
    disputed: bool = False
    claimants: tuple[str, ...] = ()
    dispute: DisputeStatus | None = None  # as of the export
    url_hashes: tuple[str, ...] = ()  # sha256 hex of each normalised source URL (urlnorm.url_hash)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _IndexBuilder:
    """Adds works' fingerprints to one index per media type; texts a chunk at a time."""

    def __init__(self) -> None:
        self.indexes: dict[MediaType, Any] = {}
        self._texts: list[tuple[str, list[Fingerprint]]] = []

    def _index(self, media: MediaType) -> Any:
        if media not in self.indexes:
            from mediamanager.fingerprint import index as fx

            name = {MediaType.TEXT: "TextIndex", MediaType.IMAGE: "ImageIndex", MediaType.AUDIO: "AudioIndex"}
            self.indexes[media] = getattr(fx, name[media])()
        return self.indexes[media]

    def add(self, key: str, media: MediaType, fps: Iterable[Fingerprint]) -> None:
        near = [f for f in fps if f.kind not in EXACT_KINDS]
        if not near or media not in (MediaType.TEXT, MediaType.IMAGE, MediaType.AUDIO):
            return
        if media is MediaType.TEXT:
            self._texts.append((key, near))
            if len(self._texts) >= _TEXT_CHUNK:
                self._flush_texts()
        else:
            self._index(media).add_fingerprints(key, near)

    def _flush_texts(self) -> None:
        from mediamanager.fingerprint.text import SketchBatch, sketches_from_fingerprints

        keys: list[str] = []
        sigs, sizes, parts, docs = [], [], [], []
        for key, fps in self._texts:
            sketches = sketches_from_fingerprints(fps)
            if not sketches:
                continue
            doc = len(keys)
            keys.append(key)
            for s in sketches:
                sigs.append(np.asarray(s.signature, dtype=np.uint32))
                sizes.append(s.size)
                parts.append(s.part)
                docs.append(doc)
        self._texts = []
        if keys:
            batch = SketchBatch(
                np.stack(sigs),
                np.asarray(sizes, np.uint32),
                np.asarray(parts, np.uint32),
                np.asarray(docs, np.uint32),
                len(keys),
            )
            self._index(MediaType.TEXT).add_batch(keys, batch)

    def save(self, root: Path) -> dict[str, str]:
        self._flush_texts()
        out = {}
        for media, index in sorted(self.indexes.items(), key=lambda kv: kv[0].value):
            rel = index_dir(media)
            index.save(root / rel)
            out[media.value] = rel
        return out


def write_snapshot(
    out: str | Path,
    owners: Iterable[dict[str, Any]],
    works: Iterable[SnapshotWork],
    *,
    registry_version: str,
    registry_head: str,
) -> SnapshotManifest:
    """Write a snapshot (:data:`FORMAT_VERSION`) into the directory ``out`` (replacing an older snapshot there).

    ``owners`` are ``{"id", "kind", "display_name"}`` objects. Works are streamed: only their
    small public columns and the indexes are held in memory while writing.
    """
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise InputError(f"{target} is not empty and holds no snapshot; refusing to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        n_owners = 0
        with open(tmp / OWNERS, "wb") as fh:
            for o in owners:
                record = {"id": o["id"], "kind": o["kind"], "display_name": o["display_name"]}
                fh.write((json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode())
                n_owners += 1
        cols: dict[str, list[Any]] = {name: [] for name in WORKS_SCHEMA.names}
        prefs_rows: dict[str, int] = {}
        prefs_json: list[str] = []
        digests: list[bytes] = []
        url_digests: list[bytes] = []
        url_of: list[int] = []
        builder = _IndexBuilder()
        for row, w in enumerate(works):
            text = canonical_json(w.preferences)
            key = hashlib.sha256(text.encode()).hexdigest()
            if key not in prefs_rows:
                prefs_rows[key] = len(prefs_json)
                prefs_json.append(text)
            cols["id"].append(w.id)
            cols["owner_id"].append(w.owner_id)
            cols["media_type"].append(w.media_type)
            cols["title"].append(w.title)
            cols["sha256"].append(w.sha256.lower())
            cols["iscc"].append(w.iscc or "")
            cols["disputed"].append(bool(w.disputed))
            cols["claimants"].append(list(w.claimants))
            cols["dispute"].append(None if w.dispute is None else w.dispute.to_dict())
            cols["preferences"].append(prefs_rows[key])
            digests.append(bytes.fromhex(w.sha256))
            for h in sorted(set(w.url_hashes)):
                url_digests.append(bytes.fromhex(h))
                url_of.append(row)
            builder.add(str(row), MediaType(w.media_type), w.fingerprints)
        n_works = len(digests)
        _write_arrow(tmp / WORKS, pa.table(cols, schema=WORKS_SCHEMA))
        del cols
        prefs_table = pa.table({"sha256": list(prefs_rows), "json": prefs_json}, schema=PREFERENCES_SCHEMA)
        _write_arrow(tmp / PREFERENCES, prefs_table)
        shas = np.array(digests, dtype="S32") if digests else np.zeros(0, dtype="S32")
        del digests
        order = np.argsort(shas, kind="stable")
        np.save(tmp / SHA256, shas[order])
        np.save(tmp / SHA256_ROWS, order.astype("<u4"))
        urls = np.array(url_digests, dtype="S32") if url_digests else np.zeros(0, dtype="S32")
        url_order = np.argsort(urls, kind="stable")
        np.save(tmp / URLS, urls[url_order])
        np.save(tmp / URLS_ROWS, np.asarray(url_of, dtype="<u4")[url_order])
        indexes = builder.save(tmp)
        del builder
        files = {
            p.relative_to(tmp).as_posix(): _file_sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        digest = hashlib.sha256(canonical(files).encode()).hexdigest()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": utcnow().isoformat(),
            "registry_version": registry_version,
            "registry_head": registry_head,
            "counts": {"owners": n_owners, "works": n_works, "preferences": len(prefs_json)},
            "indexes": indexes,
            "files": files,
            "sha256": digest,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{digest[:8]}")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SnapshotManifest(target, registry_version, digest, n_owners, n_works)


def _write_arrow(path: Path, table: pa.Table) -> None:
    """One uncompressed record batch, so readers memory-map it with zero copies."""
    table = table.combine_chunks()
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=max(1, table.num_rows))


def _counted(works: Iterator[SnapshotWork], progress: ProgressLine) -> Iterator[SnapshotWork]:
    for w in works:
        yield w
        progress.advance()


def _public_works(reader: ExportReader) -> Iterator[SnapshotWork]:
    for row, fps, prefs, claimants, dispute in reader.iter_public_works():
        assert isinstance(prefs, Preferences)
        yield SnapshotWork(
            id=row.id,
            owner_id=row.owner_id,
            media_type=row.media_type,
            title=row.title,
            sha256=row.sha256,
            iscc=row.iscc or "",
            fingerprints=tuple(fps),
            preferences=prefs.to_dict(effective=True),
            disputed=bool(claimants),  # live disputes only: closed and lapsed ones are not
            claimants=tuple(claimants),
            dispute=dispute,
            url_hashes=tuple(sorted(hashes_of(row.source_urls))),
        )


def export_snapshot(
    uow: UnitOfWork, out: str | Path, *, progress: ProgressLine | None = None
) -> SnapshotManifest:
    """Write a snapshot of the whole registry to the directory ``out`` (replacing an older snapshot there).

    ``progress`` is told the number of works up front and advanced per work written.
    """
    reader = ExportReader(uow)
    info = reader.info()
    owners = ({"id": o.id, "kind": o.kind, "display_name": o.display_name} for o in reader.iter_owners())
    works: Iterator[SnapshotWork] = _public_works(reader)
    if progress is not None:
        progress.set_total(reader.count_works())
        works = _counted(works, progress)
    manifest = write_snapshot(out, owners, works, registry_version=info.version, registry_head=info.sha256)
    # The head the snapshot was taken at, signed (not in ``files``: readers need not trust it).
    from mediamanager.registry.checkpoint import load_or_create_key, sign_checkpoint

    seq = int(info.version.removeprefix("audit-"))
    signed = sign_checkpoint(load_or_create_key(uow.settings, uow.engine.url), seq, info.sha256)
    (manifest.path / "checkpoint.json").write_text(json.dumps(signed, indent=2) + "\n")
    return manifest
