"""Renders the data card (``datacard.md``) from report.json: what was scanned, under which policy, with what limits."""

from __future__ import annotations

from typing import Any

__all__ = ["KNOWN_LIMITS", "render_datacard"]

KNOWN_LIMITS = (
    "Matching is near-duplicate matching: text by MinHash containment, images by PDQ/pHash, audio by "
    "Chromaprint. Heavy crops, paraphrases, re-recordings and style imitation are not detected.",
    "Web signals are read from the evidence captured with each item (or the evidence cache) at the time "
    "it was captured; a site may have changed its signals since.",
    "Only the registry snapshot named above was consulted; works registered later are not covered.",
    "Items whose preferences are unknown were handled by the stated policy, not by anyone's permission.",
    "Items that could not be read or checked are reported as errors and left out of the dataset.",
)


def _rows(table: dict[str, dict[str, int]]) -> str:
    lines = ["| | items | keep | drop | license | error |", "|---|---:|---:|---:|---:|---:|"]
    for key, counts in table.items():
        lines.append(
            f"| {key} | {sum(counts.values()):,} | "
            + " | ".join(f"{counts.get(o, 0):,}" for o in ("keep", "drop", "license", "error"))
            + " |"
        )
    return "\n".join(lines)


def _status_rows(table: dict[str, dict[str, int]]) -> str:
    from mediamanager.scan.report.build import STATUSES

    lines = ["| | items | " + " | ".join(STATUSES) + " |", "|---|---:|" + "---:|" * len(STATUSES)]
    for key, counts in table.items():
        lines.append(
            f"| {key} | {sum(counts.values()):,} | "
            + " | ".join(f"{counts.get(k, 0):,}" for k in STATUSES)
            + " |"
        )
    return "\n".join(lines)


def render_datacard(report: dict[str, Any]) -> str:
    """The data card as Markdown."""
    t, pol, reg, inp = report["totals"], report["policy"], report["registry"], report["input"]
    limits = "\n".join(f"- {x}" for x in KNOWN_LIMITS)
    refused = "\n".join(f"- {k}: {n:,}" for k, n in report["refused_by_source"].items()) or "- none"
    return f"""# Data card: consent scan for `{pol["purpose"]}`

## What was scanned

- Input: `{inp["path"]}` ({inp["format"]}, {inp["shards"]} shard(s))
- Items: {t["items"]:,}; scanned on {report["generated_at"]}
- Kept: {t["keep"]:,}; needs licence: {t["license"]:,}; dropped: {t["drop"]:,}; errors: {t["error"]:,}
- {report["headline"]}

## Refused items, by deciding source

{refused}

## Per media type

{_status_rows(report["by_media"])}

## Registry

- Source: `{reg["source"]}`
- Snapshot version: `{reg["version"]}`
- Snapshot sha256: `{reg["sha256"]}`

## Policy

- Declared purpose: `{pol["purpose"]}`
- Combining: {pol["combine"]}; every signal (registry, C2PA/CAWG, IPTC/XMP, headers, robots.txt,
  ai.txt, TDMRep, HTML meta) and every matched work counts.
- Items with no stated preference (unknown): **{pol["unknown"]}**
- Items under licence conditions (allow-if) are {"kept in" if pol["licensed_items_in_output"] else "left out of"}
  the filtered dataset and listed in `usage-report.json`.
- Crawler user agent considered for robots.txt: `{pol.get("user_agent") or "any"}`

## Counts by source category

{_rows(report["by_category"])}

## Counts by deciding source

{_rows(report["by_source"])}

## Known limits

{limits}
"""
