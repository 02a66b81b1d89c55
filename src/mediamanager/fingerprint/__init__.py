"""Fingerprints and indexes for text, images and audio: one code path for registry and scanner.

``fingerprint_content`` turns raw content into :class:`ContentFingerprints`: the exact id
(sha256), the interoperable ISCC code, and the matching-grade fingerprints that the indexes
(:class:`TextIndex`, ``ImageIndex``, ``AudioIndex`` in :mod:`mediamanager.fingerprint.index`)
search. Pure computation: no network, no database. See ``docs/fingerprint.md``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediamanager.errors import InputError, MediaTooLargeError, UnsupportedMediaError
from mediamanager.fingerprint.detect import decode_text, detect_media_type
from mediamanager.fingerprint.exact import sha256_hex
from mediamanager.fingerprint.limits import DEFAULT_LIMITS, Limits
from mediamanager.model import Fingerprint, MediaType

__all__ = [
    "ContentFingerprints",
    "Limits",
    "detect_media_type",
    "fingerprint_content",
    "fingerprint_text",
    "read_content",
]


@dataclass(frozen=True, slots=True)
class ContentFingerprints:
    """Everything Media Manager computes to identify one piece of content.

    ``fingerprints`` holds the matching-grade fingerprints only (text: ``minhash`` per passage;
    images: ``pdq``/``phash`` variants; audio: ``chromaprint``); ``sha256`` and ``iscc`` are the
    exact and interoperable ids. ``size_bytes`` is the length of the raw input (UTF-8 for text
    passed as ``str``).
    """

    media_type: MediaType
    sha256: str
    iscc: str
    fingerprints: tuple[Fingerprint, ...]
    size_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "media_type": self.media_type.value,
            "sha256": self.sha256,
            "iscc": self.iscc,
            "size_bytes": self.size_bytes,
            "fingerprints": [fp.to_dict() for fp in self.fingerprints],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContentFingerprints:
        return cls(
            media_type=MediaType(data["media_type"]),
            sha256=str(data["sha256"]),
            iscc=str(data["iscc"]),
            fingerprints=tuple(Fingerprint.from_dict(f) for f in data.get("fingerprints", ())),
            size_bytes=int(data["size_bytes"]),
        )


def read_content(content: bytes | str | Path, limits: Limits = DEFAULT_LIMITS) -> bytes | str:
    """Raw bytes of a path (size checked *before* reading), or the bytes/str given, size-checked."""
    if isinstance(content, Path):
        try:
            size = os.stat(content).st_size
        except OSError as exc:
            raise InputError(f"cannot read {content}: {exc.strerror or exc}") from None
        if size > limits.max_bytes:
            raise MediaTooLargeError(f"{content} is {size} bytes, over the limit of {limits.max_bytes} bytes")
        with open(content, "rb") as fh:
            return fh.read(limits.max_bytes + 1)
    if isinstance(content, bytes | bytearray | memoryview):
        data = bytes(content)
        if len(data) > limits.max_bytes:
            raise MediaTooLargeError(
                f"content is {len(data)} bytes, over the limit of {limits.max_bytes} bytes"
            )
        return data
    if isinstance(content, str):
        if len(content) > limits.max_text_chars:
            raise MediaTooLargeError(
                f"text is {len(content)} characters, over the limit of {limits.max_text_chars} characters"
            )
        return content
    raise InputError(f"content must be bytes, str or a Path, got {type(content).__name__}")


def fingerprint_text(
    text: str, data: bytes | None = None, limits: Limits = DEFAULT_LIMITS
) -> ContentFingerprints:
    """ContentFingerprints of a text (``data``: its raw bytes when it came as bytes; else UTF-8)."""
    from mediamanager.fingerprint import iscc
    from mediamanager.fingerprint.text import text_fingerprints

    if len(text) > limits.max_text_chars:
        raise MediaTooLargeError(f"text is {len(text)} characters, over the limit of {limits.max_text_chars}")
    raw = text.encode("utf-8", errors="surrogatepass") if data is None else data
    return ContentFingerprints(
        media_type=MediaType.TEXT,
        sha256=sha256_hex(raw),
        iscc=iscc.iscc_for_text(text, raw, limits.iscc_text_max_chars),
        fingerprints=tuple(text_fingerprints(text)),
        size_bytes=len(raw),
    )


def fingerprint_content(
    content: bytes | str | Path,
    media_type: MediaType | None = None,
    *,
    filename: str | None = None,
    limits: Limits | None = None,
) -> ContentFingerprints:
    """Identify and fingerprint one piece of content: the single entry point for registry and scanner.

    ``content`` is raw bytes, a text (``str``, always text) or a path. The media type is
    detected from magic bytes (then the name) unless given. Raises
    :class:`~mediamanager.errors.CorruptMediaError` (empty or undecodable),
    :class:`~mediamanager.errors.MediaTooLargeError` (over ``limits``) or
    :class:`~mediamanager.errors.UnsupportedMediaError` (binary of no known type, video).
    The same fingerprints serve registration and lookup.
    """
    limits = limits or DEFAULT_LIMITS
    if isinstance(content, Path) and filename is None:
        filename = content.name
    raw = read_content(content, limits)
    if isinstance(raw, str):
        if media_type not in (None, MediaType.TEXT):
            raise InputError(f"a str is text; it cannot be fingerprinted as {media_type}")
        if not raw:
            from mediamanager.errors import CorruptMediaError

            raise CorruptMediaError("empty text: nothing to fingerprint")
        return fingerprint_text(raw, None, limits)
    kind = media_type or detect_media_type(raw, filename)
    if not raw:
        from mediamanager.errors import CorruptMediaError

        raise CorruptMediaError("empty content (0 bytes): nothing to fingerprint")
    if kind is MediaType.TEXT:
        return fingerprint_text(decode_text(raw), raw, limits)
    if kind is MediaType.IMAGE:
        from mediamanager.fingerprint import image

        fps = image.image_fingerprints(raw, limits)
        return _binary_result(kind, raw, fps, getattr(image, "image_iscc", None), limits)
    if kind is MediaType.AUDIO:
        from mediamanager.fingerprint import audio

        fps = audio.audio_fingerprints(raw, limits)
        return _binary_result(kind, raw, fps, getattr(audio, "audio_iscc", None), limits)
    raise UnsupportedMediaError(f"{kind.value} content is not supported yet (text, image and audio are)")


def _binary_result(
    kind: MediaType, raw: bytes, fps: list[Fingerprint], iscc_fn: Any, limits: Limits
) -> ContentFingerprints:
    from mediamanager.fingerprint import iscc

    # The media module gives the ISCC-CODE with its content code when it can (image_iscc /
    # audio_iscc); otherwise the ISCC-SUM of the bytes is still a valid interoperable code.
    code = iscc_fn(raw, limits) if iscc_fn is not None else iscc.sum_code(raw)
    return ContentFingerprints(kind, sha256_hex(raw), str(code), tuple(fps), len(raw))
