"""Reads a Hugging Face ``datasets`` dataset saved with ``save_to_disk``: one record per row.

A plain ``Dataset`` is one shard (``""``); a ``DatasetDict`` has one shard per
split. Rows are read through Arrow memory maps, so memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mediamanager.errors import require_extra
from mediamanager.scan.readers.base import Columns, record_from_mapping
from mediamanager.scan.record import Record

__all__ = ["HfDiskReader", "load_hf"]

BATCH_ROWS = 512


def load_hf(path: str) -> Any:
    """The dataset (or dataset dict) saved at ``path``, without decoding images."""
    datasets: Any = require_extra("datasets", "datasets")
    return datasets.load_from_disk(path)


class HfDiskReader:
    """Rows of a dataset saved to disk, with image/audio columns read as raw bytes."""

    format = "hf"

    def __init__(self, path: str, columns: Columns | None = None) -> None:
        self.root = path
        self.columns = columns or Columns()
        self.ds = load_hf(path)

    def split(self, shard: str) -> Any:
        ds = self.ds if shard == "" else self.ds[shard]
        datasets: Any = require_extra("datasets", "datasets")
        # Keep encoded bytes: decoding every image would dominate the scan and change nothing we hash.
        casts = {}
        for name, feat in ds.features.items():
            if isinstance(feat, datasets.Image):
                casts[name] = datasets.Image(decode=False)
            elif isinstance(feat, datasets.Audio):
                casts[name] = datasets.Audio(decode=False)
        for name, feat in casts.items():
            ds = ds.cast_column(name, feat)
        return ds

    def shards(self) -> list[str]:
        return (
            sorted(self.ds.keys()) if hasattr(self.ds, "keys") and not hasattr(self.ds, "features") else [""]
        )

    def count(self) -> int | None:
        return sum(len(self.ds if s == "" else self.ds[s]) for s in self.shards())

    def read_shard(self, shard: str, start: int = 0) -> Iterator[Record]:
        ds = self.split(shard)
        for begin in range(start - start % BATCH_ROWS, len(ds), BATCH_ROWS):
            batch = ds[begin : begin + BATCH_ROWS]
            names = list(batch)
            for i in range(len(batch[names[0]]) if names else 0):
                offset = begin + i
                if offset < start:
                    continue
                row = {n: batch[n][i] for n in names}
                yield record_from_mapping(row, self.columns, shard=shard, offset=offset)
