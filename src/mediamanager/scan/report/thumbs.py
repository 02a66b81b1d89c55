"""Small thumbnails of matched images for report.html, made from the *dataset's* items, never the registry's.

A thumbnail is a JPEG of at most :data:`THUMB_PX` pixels on its longer side, embedded as
a ``data:`` URI (report.html stays one self-contained file that opens offline under a
``img-src data:`` Content-Security-Policy). At most :data:`THUMB_CAP` are made, each at
most :data:`THUMB_MAX_BYTES`, so the page stays small whatever the dataset's size.

Pillow decodes with ``draft`` (JPEG DCT scaling); a header announcing more than
50 Mpx is not decoded at all, and an item that cannot be decoded simply has no thumbnail.
"""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from collections.abc import Iterable

from mediamanager.scan.readers.base import Reader

__all__ = ["THUMB_CAP", "THUMB_MAX_BYTES", "THUMB_PX", "make_thumbnails", "thumbnail_uri"]

THUMB_PX = 96
THUMB_CAP = 200
THUMB_MAX_BYTES = 12_000
_MAX_PIXELS = 50_000_000  # refuse to decode anything larger (a bomb, or not a photo a report needs)


def thumbnail_uri(content: bytes) -> str | None:
    """A ``data:image/jpeg`` URI of a small thumbnail of ``content``, or None when it is no decodable image."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as im:
            if im.width * im.height > _MAX_PIXELS:
                return None
            im.draft("RGB", (THUMB_PX * 2, THUMB_PX * 2))
            small = im.convert("RGB")
            small.thumbnail((THUMB_PX, THUMB_PX))
            buf = io.BytesIO()
            small.save(buf, "JPEG", quality=70, optimize=True)
    except Exception:  # any undecodable input: no thumbnail, the report still renders
        return None
    data = buf.getvalue()
    if len(data) > THUMB_MAX_BYTES:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def make_thumbnails(reader: Reader, wanted: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """Thumbnails of the dataset items at ``(shard, offset)``, read again from ``reader``.

    Each shard holding a wanted item is read from its first wanted offset to its last one only.
    """
    by_shard: dict[str, set[int]] = defaultdict(set)
    for shard, offset in wanted:
        by_shard[shard].add(offset)
    out: dict[tuple[str, int], str] = {}
    for shard, offsets in by_shard.items():
        last = max(offsets)
        for rec in reader.read_shard(shard, min(offsets)):
            if rec.offset in offsets and rec.content:
                uri = thumbnail_uri(rec.content)
                if uri is not None:
                    out[(shard, rec.offset)] = uri
            if rec.offset >= last:
                break
    return out
