"""Step: compute each record's fingerprints through the fingerprint package the registry also uses.

Texts are fingerprinted a batch at a time with :func:`mediamanager.fingerprint.fingerprint_texts`
(the same results as ``fingerprint_content`` item by item, MinHashed in one native call), which
is several times faster than one call per text. Their ISCC code is computed only when the scan asks for it
(``ScanConfig.iscc``): iscc-core's pure-Python code costs about 30 ms per e-mail, ten
times the matching fingerprints, and a third of an image's time; matching does not use it.
Everything else goes through ``fingerprint_content(..., query=True, local=False)``: images get
the fingerprints a lookup uses (untransformed PDQ/pHash from one reduced decode), not the 25
registration variants (the embedded-signal readers parse the bytes' metadata without decoding
pixels). Their ORB local features, which the registry falls back on for crops, rotations and
frames, are deferred: the match step computes them from the same decoded pixels only for the
images the global hashes did not match (``Record.extra["deferred_local"]``).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

from mediamanager.errors import MediaManagerError
from mediamanager.model import MediaType
from mediamanager.scan.record import Record
from mediamanager.scan.steps.context import StepContext

if TYPE_CHECKING:
    from mediamanager.fingerprint import ContentFingerprints

__all__ = ["DEFERRED_LOCAL", "fingerprint_records"]

DEFERRED_LOCAL = "deferred_local"  # Record.extra key: computes an image query's ORB fingerprints

TEXT_BATCH = 256
_PROGRAMMING_ERRORS = (TypeError, AttributeError, NameError, ImportError)


def _one(rec: Record, iscc: bool) -> None:
    from mediamanager.fingerprint import fingerprint_content

    content: bytes | str | None = rec.content if rec.content is not None else rec.text
    if content is None:
        rec.error = "item has no content"
        return
    try:
        # query=True: what a lookup needs (an image's untransformed PDQ/pHash), not the registration
        # set of 25 variants; local=False defers its ORB features to the match step.
        fp = fingerprint_content(
            content, rec.media_type, filename=rec.filename, with_iscc=iscc, query=True, local=False
        )
    except MediaManagerError as exc:
        rec.error = f"{type(exc).__name__}: {exc}"
    except _PROGRAMMING_ERRORS:
        raise  # a broken install or API mismatch must stop the scan, not turn every item into an error
    except (
        Exception
    ) as exc:  # a decoder choking on hostile bytes becomes an error row, not the end of the scan
        rec.error = f"fingerprinting failed ({type(exc).__name__}): {exc}"
    else:
        _apply(rec, fp)


def _apply(rec: Record, fp: ContentFingerprints) -> None:
    rec.media_type = fp.media_type
    rec.sha256 = fp.sha256
    rec.iscc = fp.iscc or None
    rec.fingerprints = tuple(fp.fingerprints)
    if fp.deferred is not None:
        rec.extra[DEFERRED_LOCAL] = fp.deferred


def _texts(recs: list[Record], iscc: bool) -> None:
    """Fingerprint plain texts together; a text the batch refuses gets its error, as registration would."""
    from mediamanager.fingerprint import fingerprint_texts

    if not recs:
        return
    try:
        results = fingerprint_texts([r.text or "" for r in recs], with_iscc=iscc, query=True)
    except _PROGRAMMING_ERRORS:
        raise
    except Exception:  # one odd text must not fail its neighbours: redo them singly
        for rec in recs:
            _one(rec, iscc)
        return
    for rec, result in zip(recs, results, strict=True):
        if isinstance(result, MediaManagerError):
            rec.error = f"{type(result).__name__}: {result}"
        else:
            _apply(rec, result)


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
            # A URL-only row has no content to fingerprint: the registry is asked by its URL.
            if rec.error is None and rec.sha256 is None and not rec.extra.get("url_only"):
                _one(rec, iscc)
        yield from chunk
