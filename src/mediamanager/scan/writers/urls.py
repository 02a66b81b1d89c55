"""Writes ``urls.txt`` (and ``urls.parquet``) for a URL-only scan: what img2dataset should download.

``urls.txt`` holds one URL per line, in input order, for every URL-only row whose outcome lets
it be used (``keep``, and ``license`` unless licensed items are excluded): feed it to
``img2dataset --url_list urls.txt``. When the input carried captions, ``urls.parquet`` has the
same rows with ``url`` and ``caption`` columns (``img2dataset --input_format parquet
--url_col url --caption_col caption``). Rows with content are not listed: they need no download.
Nothing is written when the input has no URL-only row.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mediamanager.errors import IntegrityError
from mediamanager.scan.readers import Reader

__all__ = ["write_url_list"]

READ_BATCH = 65536


def _outcomes(decisions: Path) -> Iterator[tuple[str, int, str]]:
    pf = pq.ParquetFile(decisions)
    for batch in pf.iter_batches(columns=["shard", "offset", "outcome"], batch_size=READ_BATCH):
        cols = batch.to_pydict()
        yield from zip(cols["shard"], cols["offset"], cols["outcome"], strict=True)


def write_url_list(reader: Reader, decisions: Path, out: Path, *, licensed: bool = True) -> list[str]:
    """Write the URL list(s) into ``out``; returns the names written (none without URL-only rows)."""
    allowed = {"keep", "license"} if licensed else {"keep"}
    rows = _outcomes(decisions)
    urls: list[str] = []
    captions: list[str | None] = []
    url_only = 0
    any_caption = False
    for shard in reader.shards():
        for rec in reader.read_shard(shard):
            shard_d, offset, outcome = next(rows, ("", -1, ""))
            if (shard_d, offset) != (rec.shard, rec.offset):
                raise IntegrityError(
                    f"decisions.parquet is out of step with the input at {rec.shard!r}:{rec.offset}"
                )
            if not rec.extra.get("url_only"):
                continue
            url_only += 1
            if outcome in allowed and rec.url:
                caption = rec.extra.get("caption")
                any_caption = any_caption or caption is not None
                urls.append(rec.url)
                captions.append(caption)
    if not url_only:
        return []
    tmp = out / "urls.txt.tmp"
    tmp.write_text("".join(f"{u}\n" for u in urls), encoding="utf-8")
    tmp.replace(out / "urls.txt")
    names = ["urls.txt"]
    if any_caption:
        table = pa.table({"url": pa.array(urls, pa.string()), "caption": pa.array(captions, pa.string())})
        pq.write_table(table, out / "urls.parquet.tmp", compression="zstd")
        (out / "urls.parquet.tmp").replace(out / "urls.parquet")
        names.append("urls.parquet")
    return names
