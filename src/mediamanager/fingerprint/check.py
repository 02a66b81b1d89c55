"""Cheap shape checks of fingerprint values, so input can be validated at the edge without decoding.

A lookup batch carries up to 10,000 items; decoding each value into a scratch index
would cost more than the lookup itself. These checks accept exactly the encodings this
package writes (see each module's docstring) and reject anything else with a message
that names the kind and what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mediamanager.errors import InvalidFingerprintError
from mediamanager.model import Fingerprint

__all__ = ["EXACT_KINDS", "KNOWN_KINDS", "check_fingerprint"]

# Identifiers of exact identity: looked up by equality, never put in a near-duplicate index.
EXACT_KINDS = frozenset({"sha256", "iscc"})

_HEX = re.compile(r"[0-9a-fA-F]*")
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_ISCC = re.compile(r"ISCC:[A-Z2-7]{10,}")
_MINHASH_CHARS = 4 * ((128 * 4 + 2) // 3)  # base64 of 128 little-endian uint32 values


def _hex(length: int) -> Callable[[Fingerprint], str | None]:
    def check(fp: Fingerprint) -> str | None:
        ok = len(fp.value) == length and _HEX.fullmatch(fp.value)
        return None if ok else f"{length} hexadecimal digits"

    return check


def _minhash(fp: Fingerprint) -> str | None:
    body = fp.value[4:]
    if not (fp.value.startswith("mh1:") and len(body) == _MINHASH_CHARS and _B64.fullmatch(body)):
        return f'"mh1:" followed by {_MINHASH_CHARS} base64 characters'
    if not fp.size or fp.size <= 0:
        return "a shingle-set size greater than 0"
    return None


def _b64url(multiple: int = 1) -> Callable[[Fingerprint], str | None]:
    def check(fp: Fingerprint) -> str | None:
        if not _B64URL.fullmatch(fp.value) or len(fp.value) < 4:
            return "URL-safe base64"
        if multiple > 1 and (len(fp.value.rstrip("=")) * 3 // 4) % multiple:
            return f"URL-safe base64 of a multiple of {multiple} bytes"
        return None

    return check


def _iscc(fp: Fingerprint) -> str | None:
    return None if _ISCC.fullmatch(fp.value) else "an ISCC code (ISCC: followed by base32)"


_CHECKS: dict[str, Callable[[Fingerprint], str | None]] = {
    "sha256": _hex(64),
    "iscc": _iscc,
    "minhash": _minhash,
    "pdq": _hex(64),
    "phash": _hex(16),
    "orb": _b64url(36),
    "chromaprint": _b64url(),
}
KNOWN_KINDS = frozenset(_CHECKS)


def check_fingerprint(fp: Fingerprint) -> None:
    """Raise :class:`InvalidFingerprintError` unless ``fp`` has the shape its kind is written in."""
    check = _CHECKS.get(fp.kind)
    if check is None:
        raise InvalidFingerprintError(
            f"unknown fingerprint kind {fp.kind!r}; expected one of: {', '.join(sorted(KNOWN_KINDS))}"
        )
    expected = check(fp)
    if expected is not None:
        raise InvalidFingerprintError(
            f"malformed {fp.kind} fingerprint (part {fp.part}): expected {expected}"
        )
