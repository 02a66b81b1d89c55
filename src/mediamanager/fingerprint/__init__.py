"""Fingerprints and indexes for text, images and audio: one code path for registry and scanner.

``fingerprint_content`` turns raw content into :class:`ContentFingerprints`: the exact id
(sha256), the interoperable ISCC code, and the matching-grade fingerprints that the indexes
(:class:`TextIndex`, ``ImageIndex``, ``AudioIndex`` in :mod:`mediamanager.fingerprint.index`)
search. Pure computation: no network, no database. See ``docs/fingerprint.md``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mediamanager.errors import CorruptMediaError, InputError, MediaTooLargeError, UnsupportedMediaError
from mediamanager.fingerprint.detect import decode_text, detect_media_type
from mediamanager.fingerprint.exact import sha256_hex
from mediamanager.fingerprint.limits import DEFAULT_LIMITS, Limits
from mediamanager.model import Fingerprint, MediaType

__all__ = [
    "ContentFingerprints",
    "Limits",
    "detect_media_type",
    "exact_only_warning",
    "fingerprint_content",
    "fingerprint_text",
    "fingerprint_texts",
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
    # Set by ``fingerprint_content(..., query=True, local=False)`` for images: computes the query's
    # ORB fingerprints from the pixels already decoded (not serialised, not compared).
    deferred: Callable[[], list[Fingerprint]] | None = field(default=None, compare=False, repr=False)

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


def exact_only_warning(
    media_type: MediaType | str, fingerprints: Sequence[Fingerprint | dict[str, Any]]
) -> str | None:
    """Why a work with these fingerprints can only be found as a byte-exact copy, or ``None``.

    Chromaprint needs about 1.6 s of sound (its 4,096-sample window plus filters); shorter or
    silent audio gets no matching fingerprint. Repeating a short clip until it is long enough
    was measured and refused: re-encoded copies matched (58 of 60 spoken digits) but so did 8
    of 600 other recordings, so such works are registered by their sha256 alone and the owner
    is told.
    """
    from mediamanager.fingerprint.check import EXACT_KINDS

    kinds = {fp.kind if isinstance(fp, Fingerprint) else str(fp.get("kind")) for fp in fingerprints}
    if kinds - EXACT_KINDS:
        return None
    media = media_type.value if isinstance(media_type, MediaType) else str(media_type)
    why = {
        "audio": "it is silent or shorter than about 1.6 s, too short for a Chromaprint fingerprint",
        "image": "it is too small or too flat for a perceptual hash",
        "text": "it has no words to fingerprint",
    }.get(media, "its media type has no matching fingerprint")
    return f"only byte-exact copies of this {media} work will be found: {why}"


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
    text: str,
    data: bytes | None = None,
    limits: Limits = DEFAULT_LIMITS,
    *,
    with_iscc: bool = True,
    query: bool = False,
) -> ContentFingerprints:
    """ContentFingerprints of a text (``data``: its raw bytes when it came as bytes; else UTF-8).

    ``query=True`` adds the probe windows that find short excerpts inside long texts
    (:func:`mediamanager.fingerprint.text.sketch_batch`); registration never stores them.
    """
    from mediamanager.fingerprint import iscc
    from mediamanager.fingerprint.text import text_fingerprints

    if len(text) > limits.max_text_chars:
        raise MediaTooLargeError(f"text is {len(text)} characters, over the limit of {limits.max_text_chars}")
    raw = text.encode("utf-8", errors="surrogatepass") if data is None else data
    return ContentFingerprints(
        media_type=MediaType.TEXT,
        sha256=sha256_hex(raw),
        iscc=iscc.iscc_for_text(text, raw, limits.iscc_text_max_chars) if with_iscc else "",
        fingerprints=tuple(text_fingerprints(text, probes=query)),
        size_bytes=len(raw),
    )


def fingerprint_content(
    content: bytes | str | Path,
    media_type: MediaType | None = None,
    *,
    filename: str | None = None,
    limits: Limits | None = None,
    with_iscc: bool = True,
    query: bool = False,
    local: bool = True,
) -> ContentFingerprints:
    """Identify and fingerprint one piece of content: the single entry point for registry and scanner.

    ``content`` is raw bytes, a text (``str``, always text) or a path. The media type is
    detected from magic bytes (then the name) unless given. Raises
    :class:`~mediamanager.errors.CorruptMediaError` (empty or undecodable),
    :class:`~mediamanager.errors.MediaTooLargeError` (over ``limits``) or
    :class:`~mediamanager.errors.UnsupportedMediaError` (binary of no known type, video).
    The same fingerprints serve registration and lookup. ``with_iscc=False`` leaves ``iscc``
    empty: iscc-core's Text-Code costs about 9 ms per e-mail-sized text, 100 times the rest,
    and a scanner matching content does not need it (the registry does, for exports).
    ``query=True`` computes what a lookup needs and no more: for images the untransformed
    PDQ/pHash (part 0) plus the query's ORB local features, not the registration set of
    dihedral, rotated and cropped variants. The ORB features travel with the query because
    the registry uses them exactly when the global hashes miss (crops, 10 degree rotations,
    frames, caption bars): a scan that left them out let such copies through as unknown
    (issue 10). Texts get probe windows besides their passages, which find an excerpt of 100
    words inside a long article. Audio fingerprints are the same either way. ``local=False``
    (queries only) leaves an image's ORB features out of ``fingerprints`` and puts a function that
    computes them from the same decoded pixels in ``deferred``: a scanner calls it only for the
    images its global hashes did not match.
    """
    limits = limits or DEFAULT_LIMITS
    if isinstance(content, Path) and filename is None:
        filename = content.name
    raw = read_content(content, limits)
    if isinstance(raw, str):
        if media_type not in (None, MediaType.TEXT):
            raise InputError(f"a str is text; it cannot be fingerprinted as {media_type}")
        if not raw:
            raise CorruptMediaError("empty text: nothing to fingerprint")
        return fingerprint_text(raw, None, limits, with_iscc=with_iscc, query=query)
    kind = media_type or detect_media_type(raw, filename)
    if not raw:
        raise CorruptMediaError("empty content (0 bytes): nothing to fingerprint")
    if kind is MediaType.TEXT:
        return fingerprint_text(decode_text(raw), raw, limits, with_iscc=with_iscc, query=query)
    if kind is MediaType.IMAGE:
        from mediamanager.fingerprint import image

        if query and not local:
            grey = image.decode_luminance(raw, limits)
            fps = image.global_fingerprints(grey, variants=False)
            result = _binary_result(kind, raw, fps, image.image_iscc, limits, with_iscc)
            return replace(result, deferred=lambda: image.local_fingerprints(grey, query=True))
        fps = image.image_fingerprints(raw, limits, variants=not query, local=True)
        return _binary_result(kind, raw, fps, getattr(image, "image_iscc", None), limits, with_iscc)
    if kind is MediaType.AUDIO:
        from mediamanager.fingerprint import audio

        fps = audio.audio_fingerprints(raw, limits)
        return _binary_result(kind, raw, fps, getattr(audio, "audio_iscc", None), limits, with_iscc)
    raise UnsupportedMediaError(f"{kind.value} content is not supported yet (text, image and audio are)")


def _binary_result(
    kind: MediaType, raw: bytes, fps: list[Fingerprint], iscc_fn: Any, limits: Limits, with_iscc: bool
) -> ContentFingerprints:
    from mediamanager.fingerprint import iscc

    # The media module gives the ISCC-CODE with its content code when it can (image_iscc /
    # audio_iscc); otherwise the ISCC-SUM of the bytes is still a valid interoperable code.
    if not with_iscc:
        return ContentFingerprints(kind, sha256_hex(raw), "", tuple(fps), len(raw))
    code = iscc_fn(raw, limits) if iscc_fn is not None else iscc.sum_code(raw)
    return ContentFingerprints(kind, sha256_hex(raw), str(code), tuple(fps), len(raw))


def fingerprint_texts(
    texts: Sequence[str | bytes],
    *,
    limits: Limits | None = None,
    with_iscc: bool = False,
    query: bool = False,
) -> list[ContentFingerprints | InputError]:
    """Batch path for scanners: ``fingerprint_content`` of many texts, MinHashed in one native call.

    Same fingerprints as :func:`fingerprint_content` item by item (``bytes`` are decoded the same
    way); an item that cannot be fingerprinted yields its error object in its place, so one bad
    record never fails the batch. ``with_iscc`` defaults to ``False`` here (see
    :func:`fingerprint_content`), as does ``query`` (probe windows for lookups).
    """
    from mediamanager.fingerprint import iscc
    from mediamanager.fingerprint.text import sketch_batch

    limits = limits or DEFAULT_LIMITS
    out: list[ContentFingerprints | InputError | None] = [None] * len(texts)
    decoded: list[tuple[int, str, bytes]] = []
    for i, item in enumerate(texts):
        try:
            raw = read_content(item, limits)
            if not raw:
                raise CorruptMediaError("empty text: nothing to fingerprint")
            if isinstance(raw, str):
                text, data = raw, raw.encode("utf-8", errors="surrogatepass")
            else:
                text, data = decode_text(raw), raw
                if len(text) > limits.max_text_chars:
                    raise MediaTooLargeError(f"text is {len(text)} characters, over the limit")
        except InputError as exc:
            out[i] = exc
            continue
        decoded.append((i, text, data))
    per_text = sketch_batch((text for _, text, _ in decoded), probes=query).fingerprints()
    for (i, text, data), fps in zip(decoded, per_text, strict=True):
        out[i] = ContentFingerprints(
            media_type=MediaType.TEXT,
            sha256=sha256_hex(data),
            iscc=iscc.iscc_for_text(text, data, limits.iscc_text_max_chars) if with_iscc else "",
            fingerprints=tuple(fps),
            size_bytes=len(data),
        )
    return [r for r in out if r is not None]
