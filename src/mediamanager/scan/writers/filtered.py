"""Writes the filtered dataset: the input's own items, format and sharding, minus what may not be used.

The writer reads the input a second time and copies each kept item exactly as
it was (JSONL lines byte for byte, Parquet rows with the original schema, tar
members with their original headers, files with their paths), so columns the
scanner does not know survive untouched. Items whose outcome is ``keep`` are
written, and ``license`` items too unless ``licensed=False``; ``drop`` and
``error`` items never are.
"""

from __future__ import annotations

import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mediamanager.errors import InputError, require_extra
from mediamanager.scan.readers import Reader

__all__ = ["KeptOffsets", "write_filtered"]


READ_BATCH = 65536  # rows of decisions.parquet held at once


class _Cursor:
    """Streams ``(shard, offset, allowed)`` from decisions.parquet, in file order (shard order, then offset)."""

    def __init__(self, decisions: Path, allowed: list[str]) -> None:
        self.rows = self._rows(decisions, set(allowed))
        self.head: tuple[str, int, bool] | None = next(self.rows, None)

    @staticmethod
    def _rows(decisions: Path, allowed: set[str]) -> Iterator[tuple[str, int, bool]]:
        pf = pq.ParquetFile(decisions)
        for batch in pf.iter_batches(columns=["shard", "offset", "outcome"], batch_size=READ_BATCH):
            cols = batch.to_pydict()
            for shard, offset, outcome in zip(cols["shard"], cols["offset"], cols["outcome"], strict=True):
                yield shard, offset, outcome in allowed

    def advance(self) -> None:
        self.head = next(self.rows, None)


class KeptOffsets:
    """Membership of one shard's kept offsets, asked in increasing order: constant memory however big the shard."""

    def __init__(self, cursor: _Cursor, shard: str) -> None:
        self.cursor = cursor
        self.shard = shard

    def __contains__(self, offset: object) -> bool:
        c = self.cursor
        while c.head is not None and c.head[0] == self.shard and c.head[1] < offset:  # type: ignore[operator]
            c.advance()
        return c.head is not None and c.head[0] == self.shard and c.head[1] == offset and c.head[2]

    def finish(self) -> None:
        """Skip whatever is left of this shard's rows."""
        while self.cursor.head is not None and self.cursor.head[0] == self.shard:
            self.cursor.advance()

    def offsets(self) -> list[int]:
        """Every kept offset of the shard, as a list (for writers that need the whole selection)."""
        out = []
        while self.cursor.head is not None and self.cursor.head[0] == self.shard:
            if self.cursor.head[2]:
                out.append(self.cursor.head[1])
            self.cursor.advance()
        return out


def write_filtered(reader: Reader, fmt: str, decisions: Path, dest: Path, *, licensed: bool = True) -> None:
    """Write the kept items of every shard under ``dest`` (shards in the order decisions.parquet has them)."""
    cursor = _Cursor(decisions, ["keep", "license"] if licensed else ["keep"])
    dest.mkdir(parents=True, exist_ok=True)
    if fmt == "hf":
        _hf(reader, {s: KeptOffsets(cursor, s).offsets() for s in reader.shards()}, dest)
        return
    writers = {"files": _files, "jsonl": _jsonl, "parquet": _parquet, "webdataset": _tar}
    if fmt not in writers:
        raise InputError(f"no writer for format {fmt!r}")
    for shard in reader.shards():
        keep = KeptOffsets(cursor, shard)
        writers[fmt](reader, shard, keep, dest if fmt == "files" else dest / shard)
        keep.finish()


def _files(reader: Reader, shard: str, keep: KeptOffsets, dest: Path) -> None:
    fs, root = reader.fs, reader.root  # type: ignore[attr-defined]
    for offset, rel in enumerate(reader.paths()):  # type: ignore[attr-defined]
        if offset in keep:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with fs.open(f"{root}/{rel}", "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)


def _jsonl(reader: Reader, shard: str, keep: KeptOffsets, target: Path) -> None:
    from mediamanager.scan.readers.jsonl import iter_lines, open_jsonl

    lower = shard.lower()
    with reader.fs.open(reader.shard_path(shard), "rb") as raw, open(target, "wb") as out:  # type: ignore[attr-defined]
        sink: Any
        if lower.endswith(".gz"):
            import gzip

            sink = gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0)
        elif lower.endswith((".zst", ".zstd")):
            import zstandard

            sink = zstandard.ZstdCompressor().stream_writer(out)
        else:
            sink = out
        try:
            for offset, line in enumerate(iter_lines(open_jsonl(raw, shard))):
                if offset in keep and line is not None:
                    sink.write(line if line.endswith(b"\n") else line + b"\n")
        except (OSError, EOFError, ValueError):
            pass  # the unreadable tail was recorded as an error row and is never kept
        finally:
            if sink is not out:
                sink.close()


def _parquet(reader: Reader, shard: str, keep: KeptOffsets, target: Path) -> None:
    with reader.fs.open(reader.shard_path(shard), "rb") as fh:  # type: ignore[attr-defined]
        pf = pq.ParquetFile(fh)
        with pq.ParquetWriter(target, pf.schema_arrow) as w:
            offset = 0
            for batch in pf.iter_batches(batch_size=4096):
                n = batch.num_rows
                mask = pa.array([o in keep for o in range(offset, offset + n)])
                offset += n
                if n:
                    w.write_batch(batch.filter(mask))


def _tar(reader: Reader, shard: str, keep: KeptOffsets, target: Path) -> None:
    import io

    from mediamanager.scan.readers.webdataset import iter_samples

    with reader.fs.open(reader.shard_path(shard), "rb") as fh, tarfile.open(target, "w") as tar:  # type: ignore[attr-defined]
        try:
            for offset, (_key, members) in enumerate(iter_samples(fh)):
                if offset in keep:
                    for info, data in members:
                        tar.addfile(info, io.BytesIO(data))
        except (tarfile.TarError, OSError, EOFError):
            pass  # the unreadable tail was recorded as an error row and is never kept


def _hf(reader: Reader, keep: dict[str, list[int]], dest: Path) -> None:
    ds = reader.ds  # type: ignore[attr-defined]
    shards = reader.shards()
    if shards == [""]:
        ds.select(keep.get("", [])).save_to_disk(str(dest))
        return
    datasets: Any = require_extra("datasets", "datasets")

    selected = {s: ds[s].select(keep.get(s, [])) for s in shards}
    datasets.DatasetDict(selected).save_to_disk(str(dest))
