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
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mediamanager.errors import InputError
from mediamanager.scan.readers import Reader

__all__ = ["kept_offsets", "write_filtered"]


def kept_offsets(decisions: Path, *, licensed: bool) -> dict[str, set[int]]:
    """Offsets of the items to write, per shard, read from decisions.parquet in row-group chunks."""
    allowed = ["keep", "license"] if licensed else ["keep"]
    out: dict[str, set[int]] = defaultdict(set)
    pf = pq.ParquetFile(decisions)
    for batch in pf.iter_batches(columns=["shard", "offset", "outcome"], batch_size=65536):
        t = pa.Table.from_batches([batch])
        t = t.filter(pc.is_in(t["outcome"], pa.array(allowed)))
        for shard, offset in zip(t["shard"].to_pylist(), t["offset"].to_pylist(), strict=True):
            out[shard].add(offset)
    return out


def write_filtered(reader: Reader, fmt: str, decisions: Path, dest: Path, *, licensed: bool = True) -> None:
    """Write the kept items of every shard under ``dest``."""
    keep = kept_offsets(decisions, licensed=licensed)
    dest.mkdir(parents=True, exist_ok=True)
    if fmt == "files":
        _files(reader, keep.get("", set()), dest)
    elif fmt == "jsonl":
        for shard in reader.shards():
            _jsonl(reader, shard, keep.get(shard, set()), dest / shard)
    elif fmt == "parquet":
        for shard in reader.shards():
            _parquet(reader, shard, keep.get(shard, set()), dest / shard)
    elif fmt == "webdataset":
        for shard in reader.shards():
            _tar(reader, shard, keep.get(shard, set()), dest / shard)
    elif fmt == "hf":
        _hf(reader, keep, dest)
    else:
        raise InputError(f"no writer for format {fmt!r}")


def _files(reader: Reader, keep: set[int], dest: Path) -> None:
    fs, root = reader.fs, reader.root  # type: ignore[attr-defined]
    for offset, rel in enumerate(reader.paths()):  # type: ignore[attr-defined]
        if offset in keep:
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with fs.open(f"{root}/{rel}", "rb") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)


def _jsonl(reader: Reader, shard: str, keep: set[int], target: Path) -> None:
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


def _parquet(reader: Reader, shard: str, keep: set[int], target: Path) -> None:
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


def _tar(reader: Reader, shard: str, keep: set[int], target: Path) -> None:
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


def _hf(reader: Reader, keep: dict[str, set[int]], dest: Path) -> None:
    ds = reader.ds  # type: ignore[attr-defined]
    shards = reader.shards()
    if shards == [""]:
        ds.select(sorted(keep.get("", set()))).save_to_disk(str(dest))
        return
    import datasets

    selected = {s: ds[s].select(sorted(keep.get(s, set()))) for s in shards}
    datasets.DatasetDict(selected).save_to_disk(str(dest))
