"""Step: compute each record's fingerprints through the one code path the registry also uses."""

from __future__ import annotations

from collections.abc import Iterator

from mediamanager.errors import MediaManagerError
from mediamanager.scan.record import Record
from mediamanager.scan.steps.context import StepContext

__all__ = ["fingerprint_records"]


def fingerprint_records(records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
    """Set ``sha256``, ``iscc``, ``media_type`` and ``fingerprints``; a bad item gets ``error`` instead."""
    from mediamanager.fingerprint import fingerprint_content

    for rec in records:
        if rec.error is None:
            content: bytes | str | None = rec.content if rec.content is not None else rec.text
            if content is None:
                rec.error = "item has no content"
            else:
                try:
                    fp = fingerprint_content(content, rec.media_type, filename=rec.filename)
                except MediaManagerError as exc:
                    rec.error = f"{type(exc).__name__}: {exc}"
                except Exception as exc:  # a decoder bug must become an error row, not end the scan
                    rec.error = f"fingerprinting failed ({type(exc).__name__}): {exc}"
                else:
                    rec.media_type = fp.media_type
                    rec.sha256 = fp.sha256
                    rec.iscc = fp.iscc or None
                    rec.fingerprints = tuple(fp.fingerprints)
        yield rec
