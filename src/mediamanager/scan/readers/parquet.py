"""Reads Parquet with text or image-bytes columns: each file one shard, streamed by record batch."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow.parquet as pq

from mediamanager.scan.readers.base import ShardedFileReader, record_from_mapping
from mediamanager.scan.record import Record

__all__ = ["ParquetReader"]

BATCH_ROWS = 1024


class ParquetReader(ShardedFileReader):
    """A Parquet file, or a folder of them; rows stream in batches so memory stays bounded."""

    format = "parquet"
    suffixes = (".parquet",)

    def count(self) -> int | None:
        total = 0
        for shard in self.shards():
            with self.fs.open(self.shard_path(shard), "rb") as fh:
                total += pq.ParquetFile(fh).metadata.num_rows
        return total

    def read_shard(self, shard: str, start: int = 0) -> Iterator[Record]:
        offset = 0
        with self.fs.open(self.shard_path(shard), "rb") as fh:
            pf = pq.ParquetFile(fh)
            for group in range(pf.num_row_groups):
                rows = pf.metadata.row_group(group).num_rows
                if offset + rows <= start:  # skip whole row groups when resuming
                    offset += rows
                    continue
                for batch in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=[group]):
                    for row in batch.to_pylist():
                        if offset >= start:
                            yield record_from_mapping(row, self.columns, shard=shard, offset=offset)
                        offset += 1
