"""Reads WebDataset tar shards, including img2dataset output: one record per sample.

A sample is the run of tar members sharing a key (the member path up to the
first dot of its file name), as WebDataset defines it. The media member
(``jpg``, ``png``, ``txt``...) is the item; a ``json`` member carries the
``url``, captured ``headers`` and any other evidence, as img2dataset writes it.

We stream the tar with the standard library's ``tarfile`` rather than the
``webdataset`` package: it needs no extra, streams from any fsspec file, and
keeps every member's bytes exactly as they were for the filtered output.

Decompression amplification is bounded: a member larger than
:func:`max_member_bytes` (32 MiB, setting ``MEDIAMANAGER_SCAN_MAX_MEMBER_BYTES``)
is never read into memory (the tar header gives its size, and a compressed stream
is skipped through in chunks); its sample becomes an ``error`` row. The local
executor also cuts batches by bytes (:data:`mediamanager.scan.executors.local.BATCH_BYTES`).
"""

from __future__ import annotations

import json
import os
import tarfile
from collections.abc import Iterator
from typing import Any

from mediamanager.scan.readers.base import MAX_ITEM_BYTES, ShardedFileReader, record_from_mapping
from mediamanager.scan.record import Record

__all__ = ["WebDatasetReader", "iter_samples", "max_member_bytes", "sample_key"]

DEFAULT_MAX_MEMBER_BYTES = 32 * 1024 * 1024

MEDIA_EXTS = ("jpg", "jpeg", "png", "webp", "gif", "tif", "tiff", "bmp", "flac", "mp3", "wav", "ogg", "pdf")
TEXT_EXTS = ("txt", "text", "md", "html")


def sample_key(name: str) -> tuple[str, str]:
    """Split a member name into (sample key, extension) the WebDataset way."""
    folder, _, base = name.rpartition("/")
    stem, _, ext = base.partition(".")
    return (f"{folder}/{stem}" if folder else stem), ext


def max_member_bytes() -> int:
    """The largest tar member read into memory (``MEDIAMANAGER_SCAN_MAX_MEMBER_BYTES``, default 32 MiB)."""
    raw = os.environ.get("MEDIAMANAGER_SCAN_MAX_MEMBER_BYTES")
    try:
        value = int(raw) if raw else DEFAULT_MAX_MEMBER_BYTES
    except ValueError:
        value = DEFAULT_MAX_MEMBER_BYTES
    return max(1, min(value, MAX_ITEM_BYTES))


def iter_samples(
    fileobj: Any, limit: int | None = None
) -> Iterator[tuple[str, list[tuple[tarfile.TarInfo, bytes]]]]:
    """(key, [(member, bytes), ...]) per sample, in tar order; a member over ``limit`` bytes comes with ``b""``."""
    cap = max_member_bytes() if limit is None else limit
    key: str | None = None
    members: list[tuple[tarfile.TarInfo, bytes]] = []
    with tarfile.open(fileobj=fileobj, mode="r|*") as tar:
        for info in tar:
            if not info.isfile():
                continue
            k, _ = sample_key(info.name)
            if info.size > cap:
                data = b""
            else:
                fh = tar.extractfile(info)
                data = fh.read() if fh is not None else b""
            if key is not None and k != key:
                yield key, members
                members = []
            key = k
            members.append((info, data))
    if key is not None:
        yield key, members


class WebDatasetReader(ShardedFileReader):
    """A ``.tar`` shard or a folder of them; each shard keeps its own name in the output."""

    format = "webdataset"
    suffixes = (".tar",)

    def count(self) -> int | None:
        """Samples of every shard from the tar headers alone (members' data is seeked over, not read).

        None when a shard cannot be read this way; the scan then reports that shard's error itself.
        """
        total = 0
        try:
            for shard in self.shards():
                with (
                    self.fs.open(self.shard_path(shard), "rb") as fh,
                    tarfile.open(fileobj=fh, mode="r:") as tar,
                ):
                    key: str | None = None
                    for info in tar:
                        if not info.isfile():
                            continue
                        k, _ = sample_key(info.name)
                        total += k != key
                        key = k
        except (tarfile.TarError, OSError, EOFError):
            return None
        return total

    def read_shard(self, shard: str, start: int = 0) -> Iterator[Record]:
        offset = 0
        cap = max_member_bytes()
        with self.fs.open(self.shard_path(shard), "rb") as fh:
            samples = iter_samples(fh, cap)
            while True:
                try:
                    key, members = next(samples)
                except StopIteration:
                    return
                except (tarfile.TarError, OSError, EOFError) as exc:
                    yield Record(
                        id=f"{shard}:{offset}",
                        shard=shard,
                        offset=offset,
                        error=f"shard unreadable from sample {offset} on: {exc}",
                    )
                    return
                if offset >= start:
                    rec = self._record(key, members, shard, offset)
                    big = [(i.name, i.size) for i, _ in members if i.size > cap]
                    if big:
                        name, size = big[0]
                        rec.error = (
                            f"tar member {name} is {size:,} bytes; members over {cap:,} bytes are not read "
                            "(MEDIAMANAGER_SCAN_MAX_MEMBER_BYTES)"
                        )
                        rec.content, rec.text = None, None
                    yield rec
                offset += 1

    def _record(
        self, key: str, members: list[tuple[tarfile.TarInfo, bytes]], shard: str, offset: int
    ) -> Record:
        by_ext = {sample_key(info.name)[1].lower(): (info, data) for info, data in members}
        meta: dict[str, Any] = {}
        meta_error = None
        if "json" in by_ext:
            try:
                loaded = json.loads(by_ext["json"][1])
                meta = loaded if isinstance(loaded, dict) else {}
            except ValueError as exc:
                meta_error = f"sample json is invalid: {exc}"
        row: dict[str, Any] = {
            k: v for k, v in meta.items() if k not in ("text", "content", "image", "bytes")
        }
        rec_filename = None
        for ext in MEDIA_EXTS:
            if ext in by_ext:
                info, data = by_ext[ext]
                row["bytes"] = data
                rec_filename = info.name
                break
        else:
            for ext in TEXT_EXTS:
                if ext in by_ext:
                    info, data = by_ext[ext]
                    row["text"] = data.decode("utf-8", "replace")
                    rec_filename = info.name
                    break
        row.setdefault("id", meta.get("key") or key)
        rec = record_from_mapping(row, self.columns, shard=shard, offset=offset)
        rec.filename = rec_filename
        if meta_error and rec.error is None:
            rec.error = meta_error
        return rec
