"""The executor contract: run the pipeline over planned shards and stream back decision rows in order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

from mediamanager.scan.config import ScanConfig
from mediamanager.scan.readers import Columns, Reader, open_reader

__all__ = ["Executor", "ReaderSpec", "ShardPlan"]


@dataclass(frozen=True)
class ReaderSpec:
    """How to open the input again in another process or on another machine."""

    path: str
    format: str
    columns: dict[str, str] = field(default_factory=dict)

    def open(self) -> Reader:
        return open_reader(self.path, self.format, Columns.from_options(self.columns))


@dataclass(frozen=True)
class ShardPlan:
    """One shard still to scan, from item ``start`` on."""

    index: int
    shard: str
    start: int


class Executor(Protocol):
    """Runs the steps; yields ``(shard index, decision rows)`` chunks, shards in plan order, rows in offset order.

    A chunk is an Arrow table with :data:`~mediamanager.scan.writers.decisions.DECISION_SCHEMA`.
    """

    def run(
        self, config: ScanConfig, reader: ReaderSpec, plan: list[ShardPlan]
    ) -> Iterator[tuple[int, pa.Table]]: ...
