"""The scan's checkpoint: what is done, kept under ``OUT/.scan/`` until the scan completes.

Layout::

    OUT/.scan/state.json                  the scan's config, input, format, shards, registry info
    OUT/.scan/parts/SSSSS-BBBBBB.parquet  decision rows of batch B of shard S (batch_size rows,
                                          fewer for a shard's last batch); rows of offsets
                                          [B*batch_size, (B+1)*batch_size)
    OUT/.scan/parts/SSSSS.done            shard S is complete

Every file is written to a temporary name and renamed into place, so a process
killed at any moment leaves either the whole file or none of it. Batches are
written in order, so a shard resumes at ``(number of parts) * batch_size``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from mediamanager.scan.writers.decisions import DECISION_SCHEMA

__all__ = ["Checkpoint", "atomic_write"]

_PART = re.compile(r"^(\d{5})-(\d{6})\.parquet$")


def atomic_write(path: Path, write: Callable[[IO[bytes]], Any], *, durable: bool = False) -> None:
    """Write a file through ``write`` under a temporary name, then rename it into place.

    The rename alone makes the file all-or-nothing for a killed process (the page
    cache outlives it); ``durable=True`` also fsyncs, for power loss, at a cost of
    tens of milliseconds per file on a busy disk.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        write(fh)
        fh.flush()
        if durable:
            os.fsync(fh.fileno())
    os.replace(tmp, path)


class Checkpoint:
    """Reads and writes the checkpoint folder of one output directory."""

    def __init__(self, out: Path) -> None:
        self.dir = out / ".scan"
        self.parts = self.dir / "parts"
        self.state_path = self.dir / "state.json"

    def exists(self) -> bool:
        return self.state_path.is_file()

    def load_state(self) -> dict[str, Any]:
        return dict(json.loads(self.state_path.read_text()))

    def save_state(self, state: dict[str, Any]) -> None:
        data = json.dumps(state, indent=2, sort_keys=True).encode()
        atomic_write(self.state_path, lambda fh: fh.write(data))

    def part_path(self, shard_index: int, batch_index: int) -> Path:
        return self.parts / f"{shard_index:05d}-{batch_index:06d}.parquet"

    def write_part(self, shard_index: int, batch_index: int, rows: list[dict[str, Any]] | pa.Table) -> None:
        table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=DECISION_SCHEMA)
        atomic_write(self.part_path(shard_index, batch_index), lambda fh: pq.write_table(table, fh))

    def mark_done(self, shard_index: int, count: int) -> None:
        atomic_write(self.parts / f"{shard_index:05d}.done", lambda fh: fh.write(str(count).encode()))

    def is_done(self, shard_index: int) -> bool:
        return (self.parts / f"{shard_index:05d}.done").is_file()

    def batches_written(self, shard_index: int) -> int:
        """How many consecutive batches of a shard are on disk (later ones are ignored and rewritten)."""
        if not self.parts.is_dir():
            return 0
        have = set()
        for p in self.parts.iterdir():
            m = _PART.match(p.name)
            if m and int(m[1]) == shard_index:
                have.add(int(m[2]))
        k = 0
        while k in have:
            k += 1
        return k

    def part_files(self, shard_index: int) -> Iterator[Path]:
        """The shard's part files in batch order."""
        for k in range(self.batches_written(shard_index)):
            yield self.part_path(shard_index, k)
