"""Export the registry as an offline snapshot directory that scanners read with no network.

Format (``format_version`` 1). A snapshot is a directory holding three files::

    manifest.json   written last; its presence means the snapshot is complete
    owners.jsonl    one JSON object per line: {"id", "kind", "display_name"}
    works.jsonl     one JSON object per line, in work-id order:
                    {"id", "owner_id", "media_type", "title", "sha256", "iscc",
                     "fingerprints": [{"kind", "value", "size", "part"}, ...],
                     "preferences": Preferences.to_dict(effective=True)   # every purpose, with evidence
                     "disputed": bool, "claimants": [owner_id, ...]}

``manifest.json`` is::

    {"format": "mediamanager-registry-snapshot", "format_version": 1,
     "created_at": ISO-8601, "registry_version": "audit-<seq>", "registry_head": "<audit head sha256>",
     "counts": {"owners": int, "works": int},
     "files": {"owners.jsonl": "<sha256 hex>", "works.jsonl": "<sha256 hex>"},
     "sha256": "<sha256 hex of the canonical JSON of files>"}

A reader checks every file against ``files`` and refuses a snapshot that does
not match (:class:`~mediamanager.errors.RegistryUnavailableError`). The snapshot
never contains registered content, e-mail addresses, tokens, source URLs or
domain-verification tokens: only fingerprints, effective preferences, owner
display names, titles and ISCC codes. The directory is written beside its target
and renamed into place, so a reader never sees half a snapshot.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mediamanager.errors import InputError
from mediamanager.model import utcnow
from mediamanager.registry.audit import canonical_json
from mediamanager.registry.service import RegistryService

__all__ = ["FORMAT", "FORMAT_VERSION", "SnapshotManifest", "export_snapshot"]

FORMAT = "mediamanager-registry-snapshot"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class SnapshotManifest:
    """What :func:`export_snapshot` wrote."""

    path: Path
    registry_version: str
    sha256: str
    owners: int
    works: int


class _HashingWriter:
    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()
        self.count = 0

    def write_record(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self.digest.update(line)
        self.fh.write(line)
        self.count += 1


def export_snapshot(service: RegistryService, out: str | Path) -> SnapshotManifest:
    """Write a snapshot of the whole registry to the directory ``out`` (replacing an older snapshot there)."""
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not (target / "manifest.json").is_file():
        raise InputError(f"{target} is not empty and holds no snapshot; refusing to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    info = service.info()
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        files: dict[str, str] = {}
        with open(tmp / "owners.jsonl", "wb") as fh:
            ow = _HashingWriter(fh)
            for o in service.iter_owners():
                ow.write_record({"id": o.id, "kind": o.kind, "display_name": o.display_name})
        files["owners.jsonl"] = ow.digest.hexdigest()
        with open(tmp / "works.jsonl", "wb") as fh:
            ww = _HashingWriter(fh)
            for row, fps, prefs, claimants in service.iter_public_works():
                ww.write_record(
                    {
                        "id": row.id,
                        "owner_id": row.owner_id,
                        "media_type": row.media_type,
                        "title": row.title,
                        "sha256": row.sha256,
                        "iscc": row.iscc,
                        "fingerprints": [f.to_dict() for f in fps],
                        "preferences": prefs.to_dict(effective=True),
                        "disputed": row.status == "disputed",
                        "claimants": list(claimants),
                    }
                )
        files["works.jsonl"] = ww.digest.hexdigest()
        digest = hashlib.sha256(canonical_json(files).encode()).hexdigest()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": utcnow().isoformat(),
            "registry_version": info.version,
            "registry_head": info.sha256,
            "counts": {"owners": ow.count, "works": ww.count},
            "files": files,
            "sha256": digest,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{digest[:8]}")
            target.rename(old)
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SnapshotManifest(target, info.version, digest, ow.count, ww.count)
