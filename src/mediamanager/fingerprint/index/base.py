"""The one shape every fingerprint index has (text, image, audio), so callers never branch on media."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Self

from mediamanager.errors import InputError, IntegrityError
from mediamanager.model import Fingerprint, Match, MediaType

__all__ = ["FingerprintIndex", "atomic_directory", "read_index_keys", "read_index_manifest"]


@contextmanager
def atomic_directory(target: Path, *, prefix: str) -> Iterator[Path]:
    """Yield a staging directory beside ``target``; on success it takes ``target``'s place.

    A reader never sees half an index: the staging directory is renamed over the old one
    (kept aside for the instant of the swap), and removed again if writing fails.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    try:
        yield staging
        if target.exists():
            old = target.with_name(f"{staging.name}.old")
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def read_index_manifest(source: Path, *, fmt: str, version: int) -> dict[str, Any]:
    """Read ``manifest.json`` of an index directory, refusing anything but ``fmt`` at ``version``."""
    try:
        manifest: dict[str, Any] = json.loads((source / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise IntegrityError(f"{source} is not a readable {fmt} directory: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != fmt or manifest.get("version") != version:
        raise IntegrityError(f"{source} is not a version-{version} {fmt} directory")
    return manifest


def read_index_keys(source: Path) -> list[str]:
    """Read ``keys.json`` of an index directory: the work keys, in item-number order."""
    try:
        keys = json.loads((source / "keys.json").read_text())
    except (OSError, ValueError) as exc:
        raise IntegrityError(f"not a readable index at {source}: {exc}") from exc
    if not isinstance(keys, list):
        raise IntegrityError(f"{source}/keys.json is not a list of keys")
    return [str(k) for k in keys]


class FingerprintIndex(ABC):
    """A persistent index from registered works (``key``) to their matching-grade fingerprints.

    Subclasses implement the fingerprint-level methods; the content-level ``add`` and
    ``search`` compute fingerprints with :meth:`fingerprints_of`, which must be the same
    code path the registry and scanner use (``mediamanager.fingerprint``).

    Contract:

    * ``add_fingerprints`` replaces whatever ``key`` had before (re-registering is an update);
    * ``search*`` returns :class:`Match` objects best first, at most ``limit``, one per key,
      scores in [0, 1]; ``[]`` when nothing matches (never raises for "no match");
    * ``remove`` of an unknown key is a no-op returning ``False``;
    * ``save(path)`` writes a directory; ``load(path)`` reads it back (memory-mapped where
      the subclass can), and ``save``-``load`` preserves every search result.
    """

    media_type: ClassVar[MediaType]
    #: Fingerprint kinds this index consumes; other kinds in a list are ignored.
    kinds: ClassVar[frozenset[str]]

    @abstractmethod
    def fingerprints_of(self, content: Any) -> list[Fingerprint]:
        """Matching-grade fingerprints of ``content`` (text: str; image/audio: bytes or a path)."""

    @abstractmethod
    def add_fingerprints(self, key: str, fps: Sequence[Fingerprint]) -> None:
        """Register ``key`` under the given fingerprints (kinds outside :attr:`kinds` are ignored)."""

    @abstractmethod
    def remove(self, key: str) -> bool:
        """Forget ``key``; ``True`` when it was present."""

    @abstractmethod
    def search_fingerprints(self, fps: Sequence[Fingerprint], limit: int = 10) -> list[Match]:
        """Registered works matching the given query fingerprints, best first."""

    @abstractmethod
    def save(self, path: str | Path) -> None:
        """Write the index to the directory ``path`` (created if missing, replaced if present)."""

    @classmethod
    @abstractmethod
    def load(cls, path: str | Path) -> Self:
        """Read an index written by :meth:`save`."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of registered keys (works), not of passages or variants."""

    @abstractmethod
    def __contains__(self, key: object) -> bool: ...

    def add(self, key: str, content: Any) -> None:
        """Fingerprint ``content`` and register it as ``key``."""
        fps = [fp for fp in self.fingerprints_of(content) if fp.kind in self.kinds]
        if not fps:
            raise InputError(f"content for {key!r} yields no {self.media_type.value} fingerprint to register")
        self.add_fingerprints(key, fps)

    def search(self, content: Any, limit: int = 10) -> list[Match]:
        """Registered works found in ``content``, best first; ``[]`` when nothing matches."""
        return self.search_fingerprints(self.fingerprints_of(content), limit)

    @staticmethod
    def _check_key(key: str) -> None:
        if not isinstance(key, str) or not key:
            raise InputError("an index key must be a non-empty string")

    @staticmethod
    def _check_limit(limit: int) -> None:
        if limit < 1:
            raise InputError(f"limit must be at least 1, got {limit}")
