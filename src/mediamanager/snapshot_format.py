"""The offline registry snapshot format, in one place: its file names, version, schemas and reader.

The registry writes it (:mod:`mediamanager.registry.snapshot`); the scanner reads it
(:class:`mediamanager.scan.clients.SnapshotRegistryClient`), without importing the registry.

Format (``format_version`` 4). A snapshot is a directory::

    manifest.json            written last; its presence means the snapshot is complete
    owners.jsonl             one JSON object per line: {"id", "kind", "display_name"}
    works.arrow              Arrow IPC file (uncompressed, one record batch, memory-mappable), one row
                             per work in export order; row ``r`` is the work with index key ``str(r)``:
                             see :func:`works_schema`
    preferences.arrow        Arrow IPC file: sha256 string (of the canonical JSON), json string
                             (``Preferences.to_dict(effective=True)``, every purpose with evidence);
                             each distinct preferences object is stored once
    sha256.npy               ``|S32`` sorted raw sha256 digests of every work (memory-mapped)
    sha256-rows.npy          ``<u4`` the works.arrow row of each entry of sha256.npy
    urls.npy                 ``|S32`` sorted sha256 digests of each work's normalised source URLs
                             (:func:`mediamanager.urlnorm.url_hash`); never the URLs themselves
    urls-rows.npy            ``<u4`` the works.arrow row of each entry of urls.npy
    index/<media>/           ``TextIndex``/``ImageIndex``/``AudioIndex.save`` layout, keys = works.arrow rows

``manifest.json`` is::

    {"format": "mediamanager-registry-snapshot", "format_version": 4,
     "created_at": ISO-8601, "registry_version": "audit-<seq>", "registry_head": "<audit head sha256>",
     "counts": {"owners": int, "works": int, "preferences": int},
     "indexes": {"text": "index/text", ...},
     "files": {"<relative path>": "<sha256 hex>", ...},      # every other file, index files included
     "sha256": "<sha256 hex of the canonical JSON of files>"}

:func:`open_snapshot` checks every file against ``files`` (and that no listed file is missing)
and refuses a snapshot that does not match, or of another version, with
:class:`~mediamanager.errors.RegistryUnavailableError`. Version 3 added the ``dispute`` column
(each work's dispute state as of the export); a version-2 snapshot, which lacks it, is refused
rather than read as "never disputed": export it again. Version 4 added ``urls.npy`` and
``urls-rows.npy`` (lookup by source URL); a version-3 snapshot is refused rather than answering
every URL query with "no match". A URL hash is public by design: anyone holding a URL can test
whether some work names it, which is what a lookup by URL is for; the URL text is not in the
snapshot and cannot be read back from it except by guessing. Version 1 (``works.jsonl``) was never
released and is not read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediamanager.errors import MediaManagerError, RegistryUnavailableError
from mediamanager.model import MediaType

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "OWNERS",
    "PREFERENCES",
    "REQUIRED_FILES",
    "SHA256",
    "SHA256_ROWS",
    "URLS",
    "URLS_ROWS",
    "WORKS",
    "OpenSnapshot",
    "canonical",
    "index_dir",
    "open_snapshot",
    "preferences_schema",
    "works_schema",
]

FORMAT = "mediamanager-registry-snapshot"
FORMAT_VERSION = 4
MANIFEST = "manifest.json"
OWNERS = "owners.jsonl"
WORKS = "works.arrow"
PREFERENCES = "preferences.arrow"
SHA256 = "sha256.npy"
SHA256_ROWS = "sha256-rows.npy"
URLS = "urls.npy"
URLS_ROWS = "urls-rows.npy"
REQUIRED_FILES = (OWNERS, WORKS, PREFERENCES, SHA256, SHA256_ROWS, URLS, URLS_ROWS)


def index_dir(media: MediaType) -> str:
    """Where the prebuilt index of ``media`` lives, relative to the snapshot."""
    return f"index/{media.value}"


def canonical(value: Any) -> str:
    """JSON with sorted keys, no spaces, ASCII only: what ``manifest["sha256"]`` is computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def works_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.string()),
            ("owner_id", pa.string()),
            ("media_type", pa.string()),
            ("title", pa.string()),
            ("sha256", pa.string()),
            ("iscc", pa.string()),
            ("disputed", pa.bool_()),
            ("claimants", pa.list_(pa.string())),
            # DisputeStatus.to_dict() as of the export; null for a work never disputed (added in version 3)
            (
                "dispute",
                pa.struct(
                    [
                        ("state", pa.string()),
                        ("deadline_at", pa.string()),
                        ("role", pa.string()),
                        ("outcome", pa.string()),
                    ]
                ),
            ),
            ("preferences", pa.int32()),
        ]
    )


def preferences_schema() -> Any:
    import pyarrow as pa

    return pa.schema([("sha256", pa.string()), ("json", pa.string())])


@dataclass(frozen=True)
class OpenSnapshot:
    """A checked snapshot, its tables memory-mapped; ``indexes`` maps media to index directories."""

    path: Path
    manifest: dict[str, Any]
    owners: dict[str, str]  # id -> display name
    works: Any  # pyarrow.Table in works_schema()
    preferences_json: Any  # pyarrow string array: row -> Preferences JSON
    sha_sorted: Any  # numpy |S32, memory-mapped
    sha_rows: Any  # numpy <u4, memory-mapped
    url_sorted: Any  # numpy |S32, memory-mapped: sha256 of normalised source URLs
    url_rows: Any  # numpy <u4, memory-mapped
    indexes: dict[MediaType, Path]

    @property
    def registry_version(self) -> str:
        return str(self.manifest.get("registry_version", ""))

    @property
    def sha256(self) -> str:
        return str(self.manifest["sha256"])


def _read_manifest(path: Path) -> dict[str, Any]:
    manifest_path = path / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise RegistryUnavailableError(f"no registry snapshot at {path} ({MANIFEST} missing)") from None
    except (OSError, ValueError) as exc:
        raise RegistryUnavailableError(f"unreadable snapshot manifest {manifest_path}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RegistryUnavailableError(f"{manifest_path} is not a Media Manager registry snapshot")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise RegistryUnavailableError(
            f"snapshot format version {version!r} is not supported (this version reads {FORMAT_VERSION})"
        )
    files = manifest.get("files") or {}
    if not isinstance(files, dict) or hashlib.sha256(canonical(files).encode()).hexdigest() != manifest.get(
        "sha256"
    ):
        raise RegistryUnavailableError(f"snapshot {path}: manifest checksum does not match")
    return manifest


def _verify_files(path: Path, files: dict[str, str]) -> None:
    """Every listed file exists and has its sha256 (read in 1 MiB chunks: memory stays flat)."""
    for name in REQUIRED_FILES:
        if name not in files:
            raise RegistryUnavailableError(f"snapshot {path}: manifest lists no {name}")
    for name, expected in files.items():
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise RegistryUnavailableError(f"snapshot {path}: bad file name {name!r} in manifest")
        digest = hashlib.sha256()
        try:
            with open(path / name, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
        except OSError as exc:
            raise RegistryUnavailableError(f"cannot read snapshot file {path / name}: {exc}") from None
        if digest.hexdigest() != expected:
            raise RegistryUnavailableError(
                f"snapshot file {path / name} does not match its checksum (corrupt or edited)"
            )


def open_snapshot(path: str | Path) -> OpenSnapshot:
    """Check the snapshot at ``path`` and memory-map its tables; raises RegistryUnavailableError."""
    import numpy as np
    import pyarrow as pa

    root = Path(path)
    manifest = _read_manifest(root)
    files: dict[str, str] = manifest["files"]
    _verify_files(root, files)
    try:
        owners: dict[str, str] = {}
        with open(root / OWNERS, "rb") as fh:
            for line in fh:
                if line.strip():
                    o = json.loads(line)
                    owners[o["id"]] = o.get("display_name", "")
        works = pa.ipc.open_file(pa.memory_map(str(root / WORKS))).read_all().combine_chunks()
        prefs = pa.ipc.open_file(pa.memory_map(str(root / PREFERENCES))).read_all()
        sha_sorted = np.load(root / SHA256, mmap_mode="r")
        sha_rows = np.load(root / SHA256_ROWS, mmap_mode="r")
        if len(sha_sorted) != works.num_rows or len(sha_rows) != works.num_rows:
            raise ValueError("sha256 index and works table disagree in length")
        url_sorted = np.load(root / URLS, mmap_mode="r")
        url_rows = np.load(root / URLS_ROWS, mmap_mode="r")
        if url_sorted.dtype != np.dtype("S32") or len(url_rows) != len(url_sorted):
            raise ValueError("url index is malformed")
        if len(url_rows) and int(url_rows.max()) >= works.num_rows:
            raise ValueError("url index names a work row that does not exist")
        indexes: dict[MediaType, Path] = {}
        for media_name, rel in (manifest.get("indexes") or {}).items():
            media = MediaType(media_name)
            # Only the writer's own layout: an index must be covered by the checked file list.
            if rel != index_dir(media) or f"{rel}/manifest.json" not in files:
                raise ValueError(f"index {rel!r} for {media.value} is not part of the checked files")
            indexes[media] = root / rel
    except (KeyError, TypeError, ValueError, OSError, pa.ArrowException, MediaManagerError) as exc:
        raise RegistryUnavailableError(f"corrupt snapshot {root}: {exc}") from None
    return OpenSnapshot(
        root,
        manifest,
        owners,
        works,
        prefs.column("json").combine_chunks(),
        sha_sorted,
        sha_rows,
        url_sorted,
        url_rows,
        indexes,
    )
