"""Builds ``report.json`` (and from it the HTML report, data card and usage report) from decisions.parquet.

``report.json`` layout (``format: mediamanager-scan-report/1``)::

    generated_at   the scan's start time (stable across a resume)
    input          {path, format, shards}
    policy         {purpose, unknown, user_agent, licensed_items_in_output, combine}
    registry       {source, version, sha256}   the registry state the scan ended with
    registry_history  (only after a resume met a changed registry) [{source, version, sha256,
                   items_decided_before}], oldest first
    totals         {items, keep, drop, license, error}
    statuses       {items, allowed, licence, refused, unknown, error}: what each outcome means for a
                   builder (see :func:`item_status`); ``refused`` is a deny someone stated,
                   ``unknown`` nobody spoke for the item, ``error`` it could not be read or checked
    headline       one sentence saying the above (report.html and the data card lead with it)
    refused_by_source  {deciding source: count} of the refused items (registry, X-Robots-Tag, c2pa...)
    by_media       {media: {status: count}}; media is text | image | audio | video | url-only | other
    by_reason      {reason code: {outcome: count}}       e.g. "deny:registry", "unknown", "error"
    by_source      {deciding source: {outcome: count}}   registry, x-robots-tag, c2pa, ...
    by_owner       {registered owner: {outcome: count}}
    by_category    {source category: {outcome: count}}
    by_media_type  {media type: {outcome: count}}
    disputed       number of items matching a disputed registered work
    matched        items that matched registered works (first MATCH_CAP): item_id, outcome, status,
                   media, url, filename, thumbnail (a ``data:`` URI made from the dataset's own item,
                   images only, see thumbs.py), works [{work_id, title, owner_name, kind, score, use}]
    matched_truncated  true when more items matched
    items          dropped, licensed and error items (first ITEM_CAP): item_id, outcome, status, media, reason,
                   owners, url, filename, conditions, disputed, first reasons
    items_truncated  true when there were more (decisions.parquet has them all)

The report is computed in one streaming pass, so its memory does not grow with
the dataset (apart from the capped item list and the breakdown keys).
"""

from __future__ import annotations

import json
import mimetypes
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from mediamanager.lookup import RegistryInfo
from mediamanager.scan.checkpoint import atomic_write
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.readers.base import Reader

__all__ = [
    "ITEM_CAP", "MATCH_CAP", "MEDIA", "OUTCOMES", "STATUSES", "add_thumbnails", "build_report", "headline", "item_status",
    "media_label", "write_reports",
]  # fmt: skip

ITEM_CAP = 10_000
MATCH_CAP = 2_000
STATUSES = ("allowed", "licence", "refused", "unknown", "error")
MEDIA = ("text", "image", "audio", "video", "url-only", "other")
READ_BATCH = 8192  # rows of decisions.parquet held at once
OUTCOMES = ("keep", "drop", "license", "error")
_COLUMNS = [
    "item_id", "outcome", "reason", "reasons", "owners", "url", "filename", "conditions", "disputed",
    "deciding_source", "source_category", "media_type", "matches", "use", "sha256", "shard", "offset",
]  # fmt: skip


def item_status(outcome: str, use: str, reason: str) -> str:
    """What an item's outcome means for a builder: allowed, licence, refused, unknown or error.

    ``unknown`` (nobody stated a preference) is told apart from ``refused`` (someone denied)
    whatever the ``--unknown`` policy did with it; an item kept under ``--unknown include``
    is still unknown, never "allowed".
    """
    if outcome == "error":
        return "error"
    if outcome == "license":
        return "licence"
    if reason == "unknown" or use == "unknown":
        return "unknown"
    return "refused" if outcome == "drop" else "allowed"


def media_label(media_type: str | None, url: str | None, filename: str | None, sha256: str | None) -> str:
    """The media an item is reported under: its detected type, else ``url-only`` or a guess from its name."""
    if media_type:
        return media_type
    if url and not filename and not sha256:
        return "url-only"
    guessed = mimetypes.guess_type(filename or "")[0] or ""
    top = guessed.split("/", 1)[0]
    return top if top in ("text", "image", "audio", "video") else "other"


def headline(statuses: dict[str, int], refused_by_source: dict[str, int]) -> str:
    """One sentence a builder reads first: who spoke for how many items, and what they said."""
    n = statuses["items"]
    spoke = statuses["allowed"] + statuses["licence"] + statuses["refused"]
    sources = ", ".join(f"{k} {v:,}" for k, v in refused_by_source.items())
    return (
        f"{spoke:,} of {n:,} items carry a stated preference: {statuses['allowed']:,} allowed, "
        f"{statuses['licence']:,} need a licence, {statuses['refused']:,} refused"
        + (f" ({sources})" if sources else "")
        + f". Nobody spoke for {statuses['unknown']:,}; {statuses['error']:,} could not be read or checked."
    )


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
    statuses: Counter[str] = Counter()
    refused_by: Counter[str] = Counter()
    by_media: dict[str, Counter[str]] = defaultdict(Counter)
    matched: list[dict[str, Any]] = []
    matched_truncated = False
    pf = pq.ParquetFile(decisions)
    for batch in pf.iter_batches(columns=_COLUMNS, batch_size=READ_BATCH):
        for row in batch.to_pylist():
            o = row["outcome"]
            totals[o] += 1
            status = item_status(o, row["use"], row["reason"])
            statuses[status] += 1
            if status == "refused":
                refused_by[row["deciding_source"]] += 1
            media = media_label(row["media_type"], row["url"], row["filename"], row["sha256"])
            by_media[media][status] += 1
            row_matches = json.loads(row["matches"] or "[]")
            if row_matches:
                if len(matched) < MATCH_CAP:
                    matched.append(_matched_item(row, status, media, row_matches))
                else:
                    matched_truncated = True
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
                            "status": status,
                            "media": media,
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
                for m in row_matches:
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
    status_totals = {"items": sum(statuses.values()), **{k: statuses[k] for k in STATUSES}}
    refused_by_source = dict(sorted(refused_by.items(), key=lambda kv: (-kv[1], kv[0])))
    report = {
        "format": "mediamanager-scan-report/1",
        "generated_at": config.scan_time.isoformat(),
        "input": {"path": input_path, "format": fmt, "shards": len(shards)},
        "policy": config.policy(),
        "registry": reg,
        "totals": {"items": sum(totals.values()), **{o: totals[o] for o in OUTCOMES}},
        "statuses": status_totals,
        "headline": headline(status_totals, refused_by_source),
        "refused_by_source": refused_by_source,
        "by_media": {
            m: {k: by_media[m][k] for k in STATUSES if by_media[m][k]} for m in MEDIA if m in by_media
        },
        "by_reason": _table(by["reason"]),
        "by_source": _table(by["source"]),
        "by_owner": _table(by["owner"]),
        "by_category": _table(by["category"]),
        "by_media_type": _table(by["media_type"]),
        "disputed": disputed,
        "items": items,
        "items_truncated": truncated,
        "matched": matched,
        "matched_truncated": matched_truncated,
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


def _matched_item(
    row: dict[str, Any], status: str, media: str, matches: list[dict[str, Any]]
) -> dict[str, Any]:
    """A matched item as report.json lists it: where it is and which registered works it matched, how."""
    works = [
        {
            "work_id": m["work_id"],
            "title": m["title"],
            "owner_name": m["owner_name"] or m["owner_id"],
            "kind": m["kind"],
            "score": m["score"],
            "use": m["use"],
        }
        for m in sorted(matches, key=lambda m: (-m["score"], m["work_id"]))
    ]
    return {
        "item_id": row["item_id"],
        "outcome": row["outcome"],
        "status": status,
        "media": media,
        "url": row["url"],
        "filename": row["filename"],
        "shard": row["shard"],
        "offset": row["offset"],
        "thumbnail": None,
        "works": works,
    }


def add_thumbnails(report: dict[str, Any], reader: Reader) -> None:
    """Fill in ``thumbnail`` of the first THUMB_CAP matched images, from the dataset's own items."""
    from mediamanager.scan.report.thumbs import THUMB_CAP, make_thumbnails

    images = [m for m in report["matched"] if m["media"] == "image"][:THUMB_CAP]
    thumbs = make_thumbnails(reader, [(m["shard"], m["offset"]) for m in images])
    for m in images:
        m["thumbnail"] = thumbs.get((m["shard"], m["offset"]))


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
    reader: Reader | None = None,
) -> dict[str, int]:
    """Write report.json, report.html, datacard.md and usage-report.json; return the outcome counts.

    ``reader`` (the scanned dataset) lets report.html show thumbnails of matched images.
    """
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
    if reader is not None:
        add_thumbnails(report, reader)

    def dump(obj: Any) -> bytes:
        return (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode()

    atomic_write(out / "report.json", lambda fh: fh.write(dump(report)))
    atomic_write(out / "usage-report.json", lambda fh: fh.write(dump(usage)))
    atomic_write(out / "report.html", lambda fh: fh.write(render_html(report).encode()))
    atomic_write(out / "datacard.md", lambda fh: fh.write(render_datacard(report).encode()))
    return {o: report["totals"][o] for o in OUTCOMES}
