"""The scan pipeline as one function of a batch: what every executor runs, locally or on Ray."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa

from mediamanager.errors import IntegrityError, RegistryUnavailableError
from mediamanager.model import Decision, Outcome, Rule
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.record import Record
from mediamanager.scan.steps import DEFAULT_STEPS, Step, StepContext
from mediamanager.scan.writers.decisions import DECISION_SCHEMA, decision_row, decision_table

# Failures that are the scan's, not one item's: they stop the scan (nothing is written as kept).
# ImportError covers MissingExtraError; NameError is a broken install.
SCAN_FAILURES: tuple[type[BaseException], ...] = (
    RegistryUnavailableError,
    IntegrityError,
    ImportError,
    NameError,
)

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


def worker_context(config: ScanConfig, *, fresh: bool = False) -> StepContext:
    """This process's context, opened once (the registry client is expensive to open).

    ``fresh`` opens it again: a resumed scan must see the registry as it is now.
    """
    global _CONTEXT
    if fresh or _CONTEXT is None or _CONTEXT.config != config:
        _CONTEXT = StepContext(config)
    return _CONTEXT


def process_batch(
    config: ScanConfig, records: list[Record], steps: Sequence[Step] = DEFAULT_STEPS
) -> pa.Table:
    """Decide a batch and return its decisions.parquet rows (an Arrow table), in input order.

    A table, not row dicts: it crosses the process boundary as a few buffers and the driver
    writes it to its checkpoint part as is. One item that makes a step or the writer raise
    (a poison pill) becomes its own ``error`` row and its neighbours are decided as usual;
    only :data:`SCAN_FAILURES` stop the scan.
    """
    ctx = worker_context(config)
    pristine = [_copy(r) for r in records]
    try:
        return decision_table(run_steps(records, ctx, steps))
    except SCAN_FAILURES:
        raise
    except Exception:  # a poison pill: redo the batch one item at a time, so only it fails
        pass
    tables = [_one(rec, ctx, steps) for rec in pristine]
    return pa.concat_tables(tables) if tables else pa.Table.from_pylist([], schema=DECISION_SCHEMA)


def _copy(rec: Record) -> Record:
    """A copy the steps can fill in again (they set fields in place)."""
    twin = copy.copy(rec)
    twin.extra = dict(rec.extra)
    return twin


def _one(rec: Record, ctx: StepContext, steps: Sequence[Step]) -> pa.Table:
    """One item's row; any failure of a step or of the writer on it becomes its own ``error`` row."""
    try:
        return decision_table(run_steps([_copy(rec)], ctx, steps))
    except SCAN_FAILURES:
        raise
    except Exception as exc:
        return error_table(rec, ctx.config, f"item could not be processed ({type(exc).__name__}): {exc}")


def _printable(value: Any) -> Any:
    """Strings Arrow can store: a lone surrogate is written as its ``\\udXXX`` escape."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_printable(v) for v in value]
    return value


def error_table(rec: Record, config: ScanConfig, why: str) -> pa.Table:
    """The ``error`` row of an item no step could handle (its strings made storable)."""
    bare = Record(
        id=rec.id,
        shard=rec.shard,
        offset=rec.offset,
        url=rec.url,
        filename=rec.filename,
        source_category=rec.source_category,
        media_type=rec.media_type,
        error=why,
    )
    bare.decision = Decision(rec.id, Outcome.ERROR, config.purpose, (f"error: {why}",), Rule(), ())
    row = {k: _printable(v) for k, v in decision_row(bare).items()}
    return pa.Table.from_pylist([row], schema=DECISION_SCHEMA)
