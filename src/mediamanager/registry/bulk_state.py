"""The resume state of ``bulk-register``: which local files a run already registered.

A re-run skips a file whose path, size, modification time and item fields (title, creator,
collection, preferences, source URLs) are those recorded, without reading or fingerprinting it
again. The state is a JSONL file, one line appended (and flushed) per registered file, so a run
that is killed keeps what it did; a torn last line is ignored. Its default place is per registry,
owner and source under the user's cache directory (``$XDG_CACHE_HOME/mediamanager/bulk``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mediamanager.registry.bulk import BulkItem

__all__ = ["BulkState", "default_state_path"]


def default_state_path(registry: str, token: str | None, source: str) -> Path:
    """The state file for this registry, this owner (by a hash of the token) and this source."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    where = source if source.startswith(("http://", "https://")) else str(Path(source).resolve())
    owner = hashlib.sha256((token or "").encode()).hexdigest()
    key = hashlib.sha256("\0".join((registry.rstrip("/"), owner, where)).encode()).hexdigest()[:32]
    return cache / "mediamanager" / "bulk" / f"{key}.jsonl"


class BulkState:
    """Files already registered; ``scope`` (registry, mode) must match for a record to count."""

    def __init__(self, path: Path, scope: str = "") -> None:
        self.path = path
        self.scope = scope
        self._done: dict[str, str] = {}
        self._fh: IO[str] | None = None
        try:
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        rec = json.loads(line)
                        self._done[str(rec["path"])] = str(rec["stamp"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a torn line from a killed run
        except FileNotFoundError:
            pass

    def stamp(self, item: BulkItem) -> tuple[str, str] | None:
        """(resolved path, stamp) of a local file item, taken before it is read; None for a URL."""
        if item.path is None:
            return None
        try:
            st = item.path.stat()
        except OSError:
            return None
        fields: list[Any] = [
            self.scope,
            st.st_size,
            st.st_mtime_ns,
            item.title,
            item.creator,
            item.collection,
            item.preferences,
            list(item.source_urls),
        ]
        stamp = hashlib.sha256(json.dumps(fields, default=str).encode()).hexdigest()
        return str(item.path.resolve()), stamp

    def unchanged(self, stamp: tuple[str, str] | None) -> bool:
        """True when this file, unchanged, was registered by an earlier run."""
        return stamp is not None and self._done.get(stamp[0]) == stamp[1]

    def record(self, stamp: tuple[str, str] | None, outcome: str) -> None:
        if stamp is None:
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run
        self._fh.write(json.dumps({"path": stamp[0], "stamp": stamp[1], "outcome": outcome}) + "\n")
        self._fh.flush()
        self._done[stamp[0]] = stamp[1]

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
