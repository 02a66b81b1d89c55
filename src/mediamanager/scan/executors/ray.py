"""Runs the same scan steps on Ray Data, on a local Ray or a real cluster (``pip install 'mediamanager[ray]'``).

The plan's shards become a dataset; ``flat_map`` reads each shard on a worker
(so input bytes never pass through the driver) and cuts it into the local
engine's batches (``iter_batches``: at most ``batch_size`` items, and cut early
at :data:`~mediamanager.scan.executors.local.BATCH_BYTES` of content), one row
per batch; ``map_batches`` runs the pipeline on one such row at a time in
actors, each of which opens the registry client once. With
``preserve_order`` the driver gets decision rows back in input order, which is
what makes checkpoints, resume and the outputs identical to the local engine.

Pointing it at a cluster: start Ray there (``ray start --head`` and
``ray start --address HEAD:6379`` on each node), make the input and the
registry snapshot reachable from every node (any fsspec URL, e.g. ``s3://``, or
a shared file system; or use an HTTP registry URL), then run
``mediamanager scan ... --engine ray --ray-address HEAD:6379 --workers N``
(or set ``RAY_ADDRESS``). ``--workers`` is the number of scanning actors.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from mediamanager.errors import require_extra
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.executors.base import ReaderSpec, ShardPlan
from mediamanager.scan.executors.local import iter_batches
from mediamanager.scan.writers.decisions import DECISION_SCHEMA

__all__ = ["RayExecutor"]

OUT_SCHEMA = DECISION_SCHEMA.append(pa.field("shard_index", pa.int64()))


class _ReadShard:
    """flat_map: one planned shard in, its batches out (one pickled list of records per row), in order.

    Batching by count alone let 256 items of up to 256 MiB each sit in one Ray batch (red-team D7);
    the local engine's cut bounds a batch by bytes as well.
    """

    def __init__(self, reader: ReaderSpec, batch_size: int) -> None:
        self.reader = reader
        self.batch_size = batch_size

    def __call__(self, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
        plan = [ShardPlan(int(item["index"]), item["shard"], int(item["start"]))]
        for index, records in iter_batches(self.reader, plan, self.batch_size):
            yield {"shard_index": index, "records": pickle.dumps(records, protocol=5)}


class _ScanActor:
    """map_batches actor: the scan pipeline over each pickled batch of records."""

    def __init__(self, config: ScanConfig) -> None:
        self.config = config

    def __call__(self, batch: pa.Table) -> pa.Table:
        from mediamanager.scan.pipeline import process_batch

        tables = []
        for index, blob in zip(
            batch.column("shard_index").to_pylist(), batch.column("records").to_pylist(), strict=True
        ):
            table = process_batch(self.config, pickle.loads(blob))
            tables.append(table.append_column("shard_index", pa.array([index] * table.num_rows, pa.int64())))
        return pa.concat_tables(tables).cast(OUT_SCHEMA) if tables else OUT_SCHEMA.empty_table()


class RayExecutor:
    """Ray Data: ``workers`` scanning actors on the cluster at ``address`` (a local one when None)."""

    def __init__(self, workers: int = 2, *, address: str | None = None, cpus_per_worker: float = 0.8) -> None:
        self.workers = max(1, workers)
        self.address = address
        self.cpus_per_worker = cpus_per_worker

    def _ray(self) -> Any:
        ray: Any = require_extra("ray", "ray")
        require_extra("ray.data", "ray")
        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
        return ray

    def run(
        self, config: ScanConfig, reader: ReaderSpec, plan: list[ShardPlan]
    ) -> Iterator[tuple[int, pa.Table]]:
        if not plan:
            return
        ray = self._ray()
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        items = [{"index": sp.index, "shard": sp.shard, "start": sp.start} for sp in plan]
        ds = ray.data.from_items(items, override_num_blocks=len(items))
        # Small CPU fractions for reading: Ray Data stalls on few CPUs when readers and actors both ask for whole ones.
        ds = ds.flat_map(_ReadShard(reader, config.batch_size), num_cpus=0.1)
        ds = ds.map_batches(
            _ScanActor,
            fn_constructor_kwargs={"config": config},
            batch_size=1,  # one row is already one byte-bounded batch of records
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=self.workers),
            num_cpus=self.cpus_per_worker,
        )
        for batch in ds.iter_batches(batch_size=None, batch_format="pyarrow"):
            if batch.num_rows == 0:
                continue
            indexes = batch.column("shard_index").to_pylist()
            rows = batch.drop_columns(["shard_index"]).cast(DECISION_SCHEMA)
            start = 0
            for i in range(1, len(indexes) + 1):
                if i == len(indexes) or indexes[i] != indexes[start]:
                    yield indexes[start], rows.slice(start, i - start)
                    start = i
