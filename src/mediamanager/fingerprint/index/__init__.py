"""Fingerprint indexes, one per media type, all with the :class:`FingerprintIndex` shape.

``TextIndex`` (MinHash bands, containment) lives here; ``ImageIndex`` and ``AudioIndex`` are
imported lazily from :mod:`.binary` and :mod:`.audio` so that this package imports without them.
"""

from __future__ import annotations

import importlib
from typing import Any

from mediamanager.fingerprint.index.base import FingerprintIndex
from mediamanager.fingerprint.index.text import TextIndex

__all__ = ["AudioIndex", "FingerprintIndex", "ImageIndex", "TextIndex"]

_LAZY = {
    "ImageIndex": "mediamanager.fingerprint.index.binary",
    "AudioIndex": "mediamanager.fingerprint.index.audio",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
