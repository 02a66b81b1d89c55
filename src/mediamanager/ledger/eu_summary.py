"""The builder's public summary of training content, shaped like the European Commission's template.

The template (Explanatory Notice and Template for the Public Summary of Training Content
for general-purpose AI models, July 2025, AI Act Article 53(1)(d)) has three sections:
1. general information, 2. list of data sources (2.1 publicly available datasets,
2.2 private datasets from third parties, 2.3 data crawled and scraped online, 2.4 user
data, 2.5 synthetic data, 2.6 other sources) and 3. data processing aspects (3.1
respect of reservations of rights from the text and data mining exception, 3.2 removal
of illegal content, 3.3 other information).

Every figure comes from the given scans (``report.json`` and ``decisions.parquet``):
items used are those the scans kept in their output. Fields the scans cannot know (the
provider, the model, illegal-content measures) are ``null`` for the builder to fill in;
nothing is guessed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow.parquet as pq

from mediamanager.ledger import LedgerError

__all__ = ["CATEGORY_SECTIONS", "SIGNALS_READ", "build_eu_summary"]

FORMAT = "mediamanager-eu-gpai-training-summary/1"
TEMPLATE = (
    "European Commission, Template for the Public Summary of Training Content for GPAI models, July 2025"
)
# source_category values -> the template's section 2 headings.
CATEGORY_SECTIONS = {
    "public-dataset": "2.1 publicly available datasets",
    "licensed": "2.2.1 private datasets licensed from rightsholders",
    "private": "2.2.2 other private datasets obtained from third parties",
    "public-web": "2.3 data crawled and scraped from online sources",
    "crawled": "2.3 data crawled and scraped from online sources",
    "user-contributed-opt-in": "2.4 user data",
    "user": "2.4 user data",
    "synthetic": "2.5 synthetic data",
}
OTHER_SECTION = "2.6 other sources of data"
# The machine-readable reservations the scanner reads (mediamanager.signals) and the registry.
SIGNALS_READ = (
    "robots.txt (per user agent)", "X-Robots-Tag header", "HTML robots/noai meta", "TDMRep (tdm-reservation)",
    "ai.txt", "IETF AIPREF / Content-Signal", "RSL licence terms", "C2PA/CAWG training-and-data-mining assertion",
    "IPTC/XMP data-mining field", "Media Manager registry of creators' declared works",
)  # fmt: skip


def _domain(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname
    return host.lower().removeprefix("www.") if host else None


def _scan(scan_dir: Path) -> tuple[dict[str, Any], Counter[str], Counter[str], Counter[str]]:
    try:
        report = json.loads((scan_dir / "report.json").read_text())
    except (OSError, ValueError) as exc:
        raise LedgerError(f"{scan_dir} is not a finished scan (report.json: {exc})") from None
    licensed_in = bool(report["policy"]["licensed_items_in_output"])
    used = {"keep", "license"} if licensed_in else {"keep"}
    domains: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    media: Counter[str] = Counter()
    pf = pq.ParquetFile(scan_dir / "decisions.parquet")
    for batch in pf.iter_batches(
        columns=["outcome", "url", "source_category", "media_type"], batch_size=65536
    ):
        cols = batch.to_pydict()
        for outcome, url, cat, mt in zip(
            cols["outcome"], cols["url"], cols["source_category"], cols["media_type"], strict=True
        ):
            if outcome not in used:
                continue
            categories[cat or "unspecified"] += 1
            media[mt or "unknown"] += 1
            d = _domain(url)
            if d:
                domains[d] += 1
    return report, domains, categories, media


def build_eu_summary(scan_dirs: list[Path], *, top_share: float = 0.10) -> dict[str, Any]:
    """The summary over one or more finished scans (figures summed across them)."""
    if not scan_dirs:
        raise LedgerError("give at least one scan folder")
    domains: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    media: Counter[str] = Counter()
    dropped_by: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    policies, times = [], []
    for d in scan_dirs:
        report, dom, cats, mt = _scan(Path(d))
        domains.update(dom)
        categories.update(cats)
        media.update(mt)
        for k in ("items", "keep", "drop", "license", "error"):
            totals[k] += int(report["totals"].get(k, 0))
        for source, outcomes in report.get("by_source", {}).items():
            if outcomes.get("drop"):
                dropped_by[source] += int(outcomes["drop"])
        policies.append(report["policy"])
        times.append(report["generated_at"])
    used = sum(categories.values())
    sections: dict[str, dict[str, Any]] = {}
    for cat, n in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0])):
        sec = sections.setdefault(
            CATEGORY_SECTIONS.get(cat, OTHER_SECTION), {"items": 0, "source_categories": {}}
        )
        sec["items"] += n
        sec["source_categories"][cat] = n
    for sec in sections.values():
        sec["share"] = round(sec["items"] / used, 6) if used else 0.0
    n_top = max(1, int(len(domains) * top_share + 0.999999)) if domains else 0
    crawled = sum(domains.values())
    top = [
        {"domain": dom, "items": n, "share": round(n / crawled, 6)}
        for dom, n in sorted(domains.items(), key=lambda kv: (-kv[1], kv[0]))[:n_top]
    ]
    unknown = sorted({p["unknown"] for p in policies})
    return {
        "format": FORMAT,
        "template": TEMPLATE,
        "1_general_information": {
            "provider": None,
            "model": None,
            "modalities": {k: v for k, v in sorted(media.items())},
            "training_items_used": used,
            "latest_scan": max(times),
            "scans": len(scan_dirs),
        },
        "2_list_of_data_sources": {
            "sections": dict(sorted(sections.items())),
            "2.3_top_domains": {
                "rule": f"top {int(top_share * 100)}% of {len(domains)} domains by items used (at least one)",
                "domains": top,
            },
        },
        "3_data_processing": {
            "3.1_reservations_of_rights": {
                "signals_honoured": list(SIGNALS_READ),
                "rule": policies[0]["combine"],
                "items_without_any_signal": f"{' / '.join(unknown)} (--unknown policy)",
                "items_checked": totals["items"],
                "items_excluded": totals["drop"],
                "items_excluded_by_source": dict(sorted(dropped_by.items(), key=lambda kv: (-kv[1], kv[0]))),
                "items_kept_under_licence_conditions": totals["license"],
                "items_unreadable_and_excluded": totals["error"],
            },
            "3.2_removal_of_illegal_content": None,
            "3.3_other_information": None,
        },
    }
