"""The scan pipeline as one function of a batch: what every executor runs, locally or on Ray."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from mediamanager.scan.config import ScanConfig
from mediamanager.scan.record import Record
from mediamanager.scan.steps import DEFAULT_STEPS, Step, StepContext
from mediamanager.scan.writers.decisions import decision_row

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


def process_batch(config: ScanConfig, records: list[Record]) -> list[dict[str, Any]]:
    """Decide a batch and return its decisions.parquet rows, in input order."""
    ctx = worker_context(config)
    return [decision_row(r) for r in run_steps(records, ctx)]
