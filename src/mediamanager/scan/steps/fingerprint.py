"""Step: compute each record's fingerprints through the fingerprint package the registry also uses.

Texts are fingerprinted a batch at a time with :func:`mediamanager.fingerprint.text.sketch_texts`
(the function ``fingerprint_content`` itself calls for one text), which is several times
faster than one call per text. Their ISCC code is computed only when the scan asks for it
(``ScanConfig.iscc``): iscc-core's pure-Python code costs about 30 ms per e-mail, ten
times the matching fingerprints, and a third of an image's time; matching does not use it.
Without it, bytes go through the same detection and fingerprint functions that
``fingerprint_content`` calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from mediamanager.errors import MediaManagerError
from mediamanager.model import MediaType
from mediamanager.scan.record import Record
from mediamanager.scan.steps.context import StepContext

__all__ = ["fingerprint_records"]

TEXT_BATCH = 256
_PROGRAMMING_ERRORS = (TypeError, AttributeError, NameError, ImportError)


def _one(rec: Record, iscc: bool) -> None:
    from mediamanager.fingerprint import fingerprint_content

    content: bytes | str | None = rec.content if rec.content is not None else rec.text
    if content is None:
        rec.error = "item has no content"
        return
    try:
        if not iscc and isinstance(content, bytes):
            media, sha, fps = _binary_without_iscc(content, rec)
            rec.media_type, rec.sha256, rec.fingerprints = media, sha, tuple(fps)
            return
        fp = fingerprint_content(content, rec.media_type, filename=rec.filename)
    except MediaManagerError as exc:
        rec.error = f"{type(exc).__name__}: {exc}"
    except _PROGRAMMING_ERRORS:
        raise  # a broken install or API mismatch must stop the scan, not turn every item into an error
    except (
        Exception
    ) as exc:  # a decoder choking on hostile bytes becomes an error row, not the end of the scan
        rec.error = f"fingerprinting failed ({type(exc).__name__}): {exc}"
    else:
        rec.media_type = fp.media_type
        rec.sha256 = fp.sha256
        rec.iscc = (fp.iscc or None) if iscc or fp.media_type is not MediaType.TEXT else None
        rec.fingerprints = tuple(fp.fingerprints)


def _binary_without_iscc(data: bytes, rec: Record) -> tuple[MediaType, str, list[Any]]:
    """What ``fingerprint_content`` computes for bytes, minus the ISCC (the same functions, in the same order)."""
    from mediamanager.errors import CorruptMediaError, UnsupportedMediaError
    from mediamanager.fingerprint import DEFAULT_LIMITS, detect_media_type, read_content
    from mediamanager.fingerprint.detect import decode_text
    from mediamanager.fingerprint.exact import sha256_hex
    from mediamanager.fingerprint.text import text_fingerprints

    raw = read_content(data, DEFAULT_LIMITS)
    assert isinstance(raw, bytes)
    kind = rec.media_type or detect_media_type(raw, rec.filename)
    if not raw:
        raise CorruptMediaError("empty content (0 bytes): nothing to fingerprint")
    if kind is MediaType.TEXT:
        fps = text_fingerprints(decode_text(raw))
    elif kind is MediaType.IMAGE:
        from mediamanager.fingerprint import image

        fps = image.image_fingerprints(raw, DEFAULT_LIMITS)
    elif kind is MediaType.AUDIO:
        from mediamanager.fingerprint import audio

        fps = audio.audio_fingerprints(raw, DEFAULT_LIMITS)
    else:
        raise UnsupportedMediaError(f"{kind.value} content is not supported yet (text, image and audio are)")
    return kind, sha256_hex(raw), fps


def _texts(recs: list[Record], iscc: bool) -> None:
    """Fingerprint plain texts together; any text the batch path cannot take goes one by one."""
    from mediamanager.fingerprint import DEFAULT_LIMITS
    from mediamanager.fingerprint.exact import sha256_hex
    from mediamanager.fingerprint.text import sketch_texts

    batch: list[Record] = []
    for rec in recs:
        text = rec.text or ""
        if iscc or not text or len(text) > DEFAULT_LIMITS.max_text_chars:
            _one(rec, iscc)  # the single path raises the same errors registration does
        else:
            batch.append(rec)
    if not batch:
        return
    try:
        sketches = sketch_texts([r.text or "" for r in batch])
    except _PROGRAMMING_ERRORS:
        raise
    except Exception:  # one odd text must not fail its neighbours: redo them singly
        for rec in batch:
            _one(rec, iscc)
        return
    for rec, sk in zip(batch, sketches, strict=True):
        rec.media_type = MediaType.TEXT
        rec.sha256 = sha256_hex((rec.text or "").encode("utf-8", errors="surrogatepass"))
        rec.fingerprints = tuple(s.to_fingerprint() for s in sk)


def fingerprint_records(records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
    """Set ``sha256``, ``media_type``, ``fingerprints`` (and ``iscc``); a bad item gets ``error`` instead."""
    iscc = ctx.config.iscc
    while True:
        chunk = list(islice(records, TEXT_BATCH))
        if not chunk:
            return
        texts = [
            r for r in chunk
            if r.error is None and r.content is None and r.text is not None and r.media_type in (None, MediaType.TEXT)
        ]  # fmt: skip
        _texts(texts, iscc)
        for rec in chunk:
            if rec.error is None and rec.sha256 is None:
                _one(rec, iscc)
        yield from chunk
