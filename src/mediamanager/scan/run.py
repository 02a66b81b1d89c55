"""Runs one scan end to end: plan, execute with checkpoints, then write every output and sign them.

Outputs in ``OUT`` (see each writer's docstring for its format)::

    data/                 the filtered dataset, in the input's format and sharding
    decisions.parquet     one row per input item (writers/decisions.py)
    report.json           totals and breakdowns (report/build.py)
    report.html           the same, for people (report/html.py)
    datacard.md           the data card (report/datacard.py)
    usage-report.json     registered works kept under licence conditions (writers/usage.py)
    urls.txt, urls.parquet  URL-only rows that may be downloaded, for img2dataset (writers/urls.py)
    attestation.json      sha256 of every output, Ed25519-signed (attest.py)
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mediamanager.errors import InputError, IntegrityError
from mediamanager.lookup import RegistryInfo
from mediamanager.scan.checkpoint import Checkpoint, atomic_write
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.executors.base import Executor, ReaderSpec, ShardPlan
from mediamanager.scan.readers import detect_format
from mediamanager.scan.writers.decisions import DECISION_SCHEMA

__all__ = ["ScanSummary", "scan"]

Progress = Callable[[int], None]


@dataclass
class ScanSummary:
    """What a finished scan did."""

    out: Path
    total: int
    counts: dict[str, int]
    registry: RegistryInfo
    elapsed_s: float
    resumed: bool = False
    files: list[str] = field(default_factory=list)


def _executor(engine: str, workers: int, ray_address: str | None) -> Executor:
    if engine == "local":
        from mediamanager.scan.executors.local import LocalExecutor

        return LocalExecutor(workers)
    if engine == "ray":
        from mediamanager.scan.executors.ray import RayExecutor

        return RayExecutor(workers, address=ray_address)
    raise InputError(f"unknown engine {engine!r}; expected local or ray")


def _check_same(state: dict[str, Any], key: str, value: Any) -> None:
    if state.get(key) != value:
        raise InputError(
            f"--resume: this output folder was started with {key}={state.get(key)!r}, not {value!r}; "
            "use the same arguments or a new --out"
        )


def _record_registry_change(
    state: dict[str, Any], ckpt: Checkpoint, shards: list[str], batch_size: int, info: RegistryInfo
) -> None:
    """A resume against a registry that changed since the crash (a live registry was written to).

    Decided items keep their decisions (they were right against the registry of their time);
    only the unfinished ones are looked up, against the registry as it is now. The state and then
    report.json / usage-report.json record every registry state and from which item on it applied.
    """
    history: list[dict[str, Any]] = state.setdefault(
        "registry_history",
        [
            {
                "source": state.get("registry_source"),
                "version": state.get("registry_version"),
                "sha256": state.get("registry_sha256"),
                "items_decided_before": 0,
            }
        ],
    )
    decided = sum(ckpt.batches_written(i) for i in range(len(shards)) if not ckpt.is_done(i)) * batch_size
    decided += sum(_done_count(ckpt, i) for i in range(len(shards)) if ckpt.is_done(i))
    history.append(
        {
            "source": info.source,
            "version": info.version,
            "sha256": info.sha256,
            "items_decided_before": decided,
        }
    )
    state["registry_source"], state["registry_version"], state["registry_sha256"] = (
        info.source,
        info.version,
        info.sha256,
    )


def _done_count(ckpt: Checkpoint, shard_index: int) -> int:
    return int((ckpt.parts / f"{shard_index:05d}.done").read_text() or 0)


def _plan(ckpt: Checkpoint, shards: list[str], batch_size: int) -> list[ShardPlan]:
    return [
        ShardPlan(i, s, ckpt.batches_written(i) * batch_size)
        for i, s in enumerate(shards)
        if not ckpt.is_done(i)
    ]


def _items_done(ckpt: Checkpoint, shard_count: int) -> int:
    """Rows already in the checkpoint's part files (from Parquet footers; no row is read)."""
    return sum(pq.ParquetFile(p).metadata.num_rows for i in range(shard_count) for p in ckpt.part_files(i))


def _drive(
    ckpt: Checkpoint,
    executor: Executor,
    config: ScanConfig,
    spec: ReaderSpec,
    plan: list[ShardPlan],
    progress: Progress | None,
) -> None:
    """Stream row tables from the executor into checkpoint parts, one part per batch of ``batch_size`` offsets."""
    size = config.batch_size
    pending = {sp.index: sp for sp in plan}
    current: int | None = None
    parts: list[pa.Table] = []
    buffered = 0
    batch_index = 0
    count = 0

    def flush() -> None:
        nonlocal parts, buffered, batch_index
        if current is not None and buffered:
            ckpt.write_part(current, batch_index, pa.concat_tables(parts) if len(parts) > 1 else parts[0])
            batch_index += 1
            parts, buffered = [], 0

    def finish_until(index: int | None) -> None:
        """Mark every planned shard before ``index`` (all of them when None) complete."""
        for i in sorted(pending):
            if index is not None and i >= index:
                break
            sp = pending.pop(i)
            n = count if i == current else sp.start
            ckpt.mark_done(i, n)

    for shard_index, chunk in executor.run(config, spec, plan):
        if shard_index != current:
            flush()
            finish_until(shard_index)
            current = shard_index
            batch_index = pending[shard_index].start // size
            count = pending[shard_index].start
        n = chunk.num_rows
        offsets = chunk.column("offset").to_numpy()
        wrong = np.flatnonzero(offsets != np.arange(count, count + n))
        if len(wrong):
            i = int(wrong[0])
            raise IntegrityError(
                f"shard {chunk.column('shard')[i].as_py()!r}: got item offset {int(offsets[i])} "
                f"where {count + i} was due"
            )
        pos = 0
        while pos < n:
            take = min(size - buffered, n - pos)
            parts.append(chunk.slice(pos, take))
            buffered += take
            pos += take
            count += take
            if buffered == size:
                flush()
        if progress is not None:
            progress(n)
    flush()
    finish_until(None)


def _merge_decisions(ckpt: Checkpoint, n_shards: int, out: Path) -> int:
    """Concatenate every part into decisions.parquet, streaming; returns the row count."""
    total = 0

    def write(fh: Any) -> None:
        nonlocal total
        with pq.ParquetWriter(fh, DECISION_SCHEMA, compression="zstd") as w:
            for i in range(n_shards):
                for part in ckpt.part_files(i):
                    t = pq.read_table(part, schema=DECISION_SCHEMA)
                    total += t.num_rows
                    w.write_table(t)

    atomic_write(out / "decisions.parquet", write)
    return total


def scan(
    input_path: str,
    out: str | Path,
    config: ScanConfig,
    *,
    fmt: str | None = None,
    engine: str = "local",
    workers: int = 1,
    resume: bool = False,
    key_path: str | Path | None = None,
    ray_address: str | None = None,
    progress: Progress | None = None,
    on_total: Callable[[int | None], None] | None = None,
) -> ScanSummary:
    """Scan ``input_path`` for ``config.purpose`` and write every output into ``out``.

    Raises :class:`~mediamanager.errors.RegistryUnavailableError` (nothing is
    written as kept) when the registry cannot be reached, and
    :class:`~mediamanager.errors.InputError` for bad arguments.
    """
    from mediamanager.scan.attest import sign_outputs
    from mediamanager.scan.pipeline import worker_context
    from mediamanager.scan.report.build import write_reports
    from mediamanager.scan.steps import StepContext
    from mediamanager.scan.writers.filtered import write_filtered
    from mediamanager.scan.writers.urls import write_url_list

    started = time.perf_counter()
    out = Path(out)
    ckpt = Checkpoint(out)
    fmt = fmt or detect_format(input_path)
    resumed = False
    if ckpt.exists():
        if not resume:
            raise InputError(f"{out} holds an unfinished scan; rerun with --resume, or choose a new --out")
        state = ckpt.load_state()
        _check_same(state, "input", input_path)
        _check_same(state, "format", fmt)
        saved = ScanConfig.from_dict(state["config"])
        for key in (
            "purpose",
            "registry",
            "unknown",
            "user_agent",
            "evidence_cache",
            "licensed_in_output",
            "url_only",
        ):
            _check_same(state["config"], key, config.to_dict()[key])
        config = saved  # keeps the first run's scan time and batch size
        resumed = True
    elif out.exists() and any(out.iterdir()):
        if resume and (out / "attestation.json").is_file():
            raise InputError(f"{out} already holds a finished scan; nothing to resume")
        raise InputError(f"output folder {out} is not empty; choose a new --out")
    if config.evidence_cache and not Path(config.evidence_cache).is_file():
        raise InputError(
            f"evidence cache {config.evidence_cache} not found; build it with `mediamanager evidence fetch`"
        )
    spec = ReaderSpec(input_path, fmt, dict(config.columns))
    reader = spec.open()
    # Ask the registry first: an unreachable registry must stop the scan before anything is written.
    in_process = engine == "local" and workers <= 1
    # In-process scans reuse this client; otherwise the workers open their own and the driver's is dropped.
    ctx = worker_context(config, fresh=resumed) if in_process else StepContext(config)
    info = ctx.client.info()
    del ctx
    shards = reader.shards()
    if resumed:
        _check_same(state, "shards", shards)
        if state.get("registry_sha256") != info.sha256:
            _record_registry_change(state, ckpt, shards, config.batch_size, info)
            ckpt.save_state(state)
    else:
        out.mkdir(parents=True, exist_ok=True)
        state = {
            "input": input_path,
            "format": fmt,
            "shards": shards,
            "config": config.to_dict(),
            "registry_source": info.source,
            "registry_version": info.version,
            "registry_sha256": info.sha256,
        }
        ckpt.save_state(state)
    plan = _plan(ckpt, shards, config.batch_size)
    if on_total is not None:
        # what this run will do: after --resume, the items already in checkpoint parts are not counted again
        count = reader.count()
        on_total(None if count is None else max(count - _items_done(ckpt, len(shards)), 0))
    _drive(ckpt, _executor(engine, workers, ray_address), config, spec, plan, progress)

    total = _merge_decisions(ckpt, len(shards), out)
    decisions = out / "decisions.parquet"
    staging = ckpt.dir / "data"
    for stale in (staging, out / "data"):
        if stale.exists():
            shutil.rmtree(stale)
    write_filtered(reader, fmt, decisions, staging, licensed=config.licensed_in_output)
    staging.replace(out / "data")
    write_url_list(reader, decisions, out, licensed=config.licensed_in_output)
    counts = write_reports(
        decisions,
        out,
        config=config,
        registry=info,
        input_path=input_path,
        fmt=fmt,
        shards=shards,
        registry_history=state.get("registry_history"),
        reader=reader,
    )
    files = sign_outputs(out, key_path=key_path, scan_time=config.scan_time)
    shutil.rmtree(ckpt.dir)
    return ScanSummary(out, total, counts, info, time.perf_counter() - started, resumed, files)
