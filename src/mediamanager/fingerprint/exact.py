"""Exact content identity: the sha256 of the raw bytes."""

from __future__ import annotations

import hashlib

from mediamanager.model import Fingerprint

__all__ = ["SHA256_KIND", "sha256_fingerprint", "sha256_hex"]

SHA256_KIND = "sha256"


def sha256_hex(data: bytes) -> str:
    """Lower-case hex sha256 of ``data``: the exact content id used everywhere."""
    return hashlib.sha256(data).hexdigest()


def sha256_fingerprint(data: bytes) -> Fingerprint:
    """The sha256 of ``data`` as a :class:`Fingerprint` (kind ``sha256``)."""
    return Fingerprint(SHA256_KIND, sha256_hex(data))
