"""Runs the scan on this machine: the driver reads, worker processes fingerprint, look up and decide.

Batches go to a process pool through a bounded window, so at most
``2 * workers`` batches are in memory however large the dataset is, and results
come back in input order. ``workers <= 1`` runs in the driver process.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice

import pyarrow as pa

from mediamanager.scan.config import ScanConfig
from mediamanager.scan.executors.base import ReaderSpec, ShardPlan
from mediamanager.scan.pipeline import process_batch
from mediamanager.scan.record import Record

__all__ = ["BATCH_BYTES", "LocalExecutor", "iter_batches"]

# A batch is cut early once its items hold this many bytes: 256 items of 30 MB each must not sit in
# memory (and in a pickle to a worker) at once. Smaller batches still fall within one checkpoint part.
BATCH_BYTES = 64 * 1024 * 1024


def _size(rec: Record) -> int:
    return len(rec.content or b"") + len(rec.text or "")


def iter_batches(
    reader: ReaderSpec, plan: list[ShardPlan], batch_size: int
) -> Iterator[tuple[int, list[Record]]]:
    """``(shard index, records)`` batches, aligned so that a batch never spans two checkpoint parts.

    A batch ends at a part boundary (every ``batch_size`` offsets) or once it holds
    :data:`BATCH_BYTES` of content, whichever comes first.
    """
    r = reader.open()
    for sp in plan:
        records = r.read_shard(sp.shard, sp.start)
        offset = sp.start
        while True:
            room = batch_size - offset % batch_size
            batch: list[Record] = []
            held = 0
            for rec in islice(records, room):
                batch.append(rec)
                held += _size(rec)
                if held >= BATCH_BYTES:
                    break
            if not batch:
                break
            offset += len(batch)
            yield sp.index, batch


class LocalExecutor:
    """Worker processes on this machine."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)

    def run(
        self, config: ScanConfig, reader: ReaderSpec, plan: list[ShardPlan]
    ) -> Iterator[tuple[int, pa.Table]]:
        batches = iter_batches(reader, plan, config.batch_size)
        if self.workers == 1:
            for index, batch in batches:
                yield index, process_batch(config, batch)
            return
        # spawn, not fork: the driver has live thread pools (OpenMP, Rayon, SQLite) and a forked
        # child that inherits one of their locks mid-use hangs forever.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx) as pool:
            window: deque[tuple[int, Future[pa.Table]]] = deque()
            for index, batch in batches:
                window.append((index, pool.submit(process_batch, config, batch)))
                if len(window) >= 2 * self.workers:
                    i, fut = window.popleft()
                    yield i, fut.result()
            while window:
                i, fut = window.popleft()
                yield i, fut.result()
