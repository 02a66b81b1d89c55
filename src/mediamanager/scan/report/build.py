"""Builds ``report.json`` (and from it the HTML report, data card and usage report) from decisions.parquet.

``report.json`` layout (``format: mediamanager-scan-report/1``)::

    generated_at   the scan's start time (stable across a resume)
    input          {path, format, shards}
    policy         {purpose, unknown, user_agent, licensed_items_in_output, combine}
    registry       {source, version, sha256}   the registry state the scan ended with
    registry_history  (only after a resume met a changed registry) [{source, version, sha256,
                   items_decided_before}], oldest first
    totals         {items, keep, drop, license, error}
    by_reason      {reason code: {outcome: count}}       e.g. "deny:registry", "unknown", "error"
    by_source      {deciding source: {outcome: count}}   registry, x-robots-tag, c2pa, ...
    by_owner       {registered owner: {outcome: count}}
    by_category    {source category: {outcome: count}}
    by_media_type  {media type: {outcome: count}}
    disputed       number of items matching a disputed registered work
    items          dropped, licensed and error items (first ITEM_CAP): item_id, outcome, reason,
                   owners, url, filename, conditions, disputed, first reasons
    items_truncated  true when there were more (decisions.parquet has them all)

The report is computed in one streaming pass, so its memory does not grow with
the dataset (apart from the capped item list and the breakdown keys).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from mediamanager.lookup import RegistryInfo
from mediamanager.scan.checkpoint import atomic_write
from mediamanager.scan.config import ScanConfig

__all__ = ["ITEM_CAP", "OUTCOMES", "build_report", "write_reports"]

ITEM_CAP = 10_000
READ_BATCH = 8192  # rows of decisions.parquet held at once
OUTCOMES = ("keep", "drop", "license", "error")
_COLUMNS = [
    "item_id", "outcome", "reason", "reasons", "owners", "url", "filename", "conditions", "disputed",
    "deciding_source", "source_category", "media_type", "matches",
]  # fmt: skip


def _table(counter: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
    return {
        k: {o: counter[k][o] for o in OUTCOMES if counter[k][o]}
        for k in sorted(counter, key=lambda k: (-sum(counter[k].values()), k))
    }


def build_report(
    decisions: Path,
    *,
    config: ScanConfig,
    registry: RegistryInfo,
    input_path: str,
    fmt: str,
    shards: list[str],
    registry_history: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report and the usage report, from one pass over decisions.parquet."""
    totals: Counter[str] = Counter()
    by: dict[str, dict[str, Counter[str]]] = {
        k: defaultdict(Counter) for k in ("reason", "source", "owner", "category", "media_type")
    }
    items: list[dict[str, Any]] = []
    truncated = False
    disputed = 0
    works: dict[str, dict[str, Any]] = {}
    signal_licensed = 0
    pf = pq.ParquetFile(decisions)
    for batch in pf.iter_batches(columns=_COLUMNS, batch_size=READ_BATCH):
        for row in batch.to_pylist():
            o = row["outcome"]
            totals[o] += 1
            by["reason"][row["reason"]][o] += 1
            by["source"][row["deciding_source"]][o] += 1
            by["category"][row["source_category"] or "unspecified"][o] += 1
            by["media_type"][row["media_type"] or "unknown"][o] += 1
            for owner in row["owners"] or []:
                by["owner"][owner][o] += 1
            disputed += bool(row["disputed"])
            if o != "keep":
                if len(items) < ITEM_CAP:
                    items.append(
                        {
                            "item_id": row["item_id"],
                            "outcome": o,
                            "reason": row["reason"],
                            "owners": row["owners"] or [],
                            "url": row["url"],
                            "filename": row["filename"],
                            "conditions": json.loads(row["conditions"]) if row["conditions"] else None,
                            "disputed": bool(row["disputed"]),
                            "reasons": (row["reasons"] or [])[:6],
                        }
                    )
                else:
                    truncated = True
            if o == "license":
                licensed_by_work = False
                for m in json.loads(row["matches"] or "[]"):
                    if m.get("use") != "allow-if":
                        continue
                    licensed_by_work = True
                    w = works.setdefault(
                        m["work_id"],
                        {
                            "work_id": m["work_id"],
                            "owner_id": m["owner_id"],
                            "owner_name": m["owner_name"],
                            "title": m["title"],
                            "iscc": m["iscc"],
                            "conditions": m.get("conditions"),
                            "items": 0,
                            "item_ids": [],
                        },
                    )
                    w["items"] += 1
                    if len(w["item_ids"]) < ITEM_CAP:
                        w["item_ids"].append(row["item_id"])
                signal_licensed += not licensed_by_work
    reg = {"source": registry.source, "version": registry.version, "sha256": registry.sha256}
    report = {
        "format": "mediamanager-scan-report/1",
        "generated_at": config.scan_time.isoformat(),
        "input": {"path": input_path, "format": fmt, "shards": len(shards)},
        "policy": config.policy(),
        "registry": reg,
        "totals": {"items": sum(totals.values()), **{o: totals[o] for o in OUTCOMES}},
        "by_reason": _table(by["reason"]),
        "by_source": _table(by["source"]),
        "by_owner": _table(by["owner"]),
        "by_category": _table(by["category"]),
        "by_media_type": _table(by["media_type"]),
        "disputed": disputed,
        "items": items,
        "items_truncated": truncated,
    }
    usage = {
        "format": "mediamanager-usage-report/1",
        "generated_at": config.scan_time.isoformat(),
        "purpose": config.purpose.value,
        "registry": reg,
        "licensed_items_in_output": config.licensed_in_output,
        "works": sorted(works.values(), key=lambda w: w["work_id"]),
        "items_licensed_by_signals_only": signal_licensed,
    }
    if registry_history:  # a resume met a changed registry: which items were decided against which state
        report["registry_history"] = registry_history
        usage["registry_history"] = registry_history
    return report, usage


def write_reports(
    decisions: Path,
    out: Path,
    *,
    config: ScanConfig,
    registry: RegistryInfo,
    input_path: str,
    fmt: str,
    shards: list[str],
    registry_history: list[dict[str, Any]] | None = None,
) -> dict[str, int]:
    """Write report.json, report.html, datacard.md and usage-report.json; return the outcome counts."""
    from mediamanager.scan.report.datacard import render_datacard
    from mediamanager.scan.report.html import render_html

    report, usage = build_report(
        decisions,
        config=config,
        registry=registry,
        input_path=input_path,
        fmt=fmt,
        shards=shards,
        registry_history=registry_history,
    )

    def dump(obj: Any) -> bytes:
        return (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode()

    atomic_write(out / "report.json", lambda fh: fh.write(dump(report)))
    atomic_write(out / "usage-report.json", lambda fh: fh.write(dump(usage)))
    atomic_write(out / "report.html", lambda fh: fh.write(render_html(report).encode()))
    atomic_write(out / "datacard.md", lambda fh: fh.write(render_datacard(report).encode()))
    return {o: report["totals"][o] for o in OUTCOMES}
