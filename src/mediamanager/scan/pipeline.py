"""The scan pipeline as one function of a batch: what every executor runs, locally or on Ray."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa

from mediamanager.scan.config import ScanConfig
from mediamanager.scan.record import Record
from mediamanager.scan.steps import DEFAULT_STEPS, Step, StepContext
from mediamanager.scan.writers.decisions import decision_table

__all__ = ["process_batch", "run_steps", "worker_context"]

_CONTEXT: StepContext | None = None


def run_steps(
    records: Iterable[Record], ctx: StepContext, steps: Sequence[Step] = DEFAULT_STEPS
) -> Iterator[Record]:
    """Chain the steps over a stream of records."""
    it: Iterator[Record] = iter(records)
    for step in steps:
        it = step(it, ctx)
    return it


def worker_context(config: ScanConfig) -> StepContext:
    """This process's context, opened once (the registry client is expensive to open)."""
    global _CONTEXT
    if _CONTEXT is None or _CONTEXT.config != config:
        _CONTEXT = StepContext(config)
    return _CONTEXT


def process_batch(config: ScanConfig, records: list[Record]) -> pa.Table:
    """Decide a batch and return its decisions.parquet rows (an Arrow table), in input order.

    A table, not row dicts: it crosses the process boundary as a few buffers and the driver
    writes it to its checkpoint part as is.
    """
    ctx = worker_context(config)
    return decision_table(run_steps(records, ctx))
