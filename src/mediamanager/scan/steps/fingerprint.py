"""Step: compute each record's fingerprints through the fingerprint package the registry also uses.

Texts are fingerprinted a batch at a time with :func:`mediamanager.fingerprint.text.sketch_texts`
(the function ``fingerprint_content`` itself calls for one text), which is several times
faster than one call per text. Their ISCC code is computed only when the scan asks for it
(``ScanConfig.iscc``): iscc-core's pure-Python code costs about 30 ms per e-mail, ten
times the matching fingerprints, and a third of an image's time; matching does not use it.
Everything else goes through ``fingerprint_content(..., query=True)``: images get only the
fingerprints a lookup uses, decoded once (the embedded-signal readers parse the bytes'
metadata without decoding pixels).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

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
        # query=True: what a lookup needs (an image's untransformed PDQ/pHash from one reduced
        # decode), not the registration set of 21 variants plus ORB features (4x the time).
        fp = fingerprint_content(content, rec.media_type, filename=rec.filename, with_iscc=iscc, query=True)
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
        rec.iscc = fp.iscc or None
        rec.fingerprints = tuple(fp.fingerprints)


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
