"""Where a creator's works were found: the ledger's usage events, totalled for reading.

Input is :meth:`mediamanager.registry.ledger.LedgerService.usage_summary` (totals per scan and per
work, summed in SQL) and, for one work, its events (the evidence: which items, how they matched,
the conditions the scan saw, the grant it relied on).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mediamanager.ledger.events import DECISIONS
from mediamanager.web.views.chart import BarChart, stacked_bars

__all__ = [
    "DECISION_LABELS",
    "DatasetRow",
    "UsageOverview",
    "event_view",
    "month_of",
    "months",
    "usage_overview",
]

# In the order the chart stacks them (and the ledger names them: mediamanager.ledger.events).
DECISION_LABELS = {
    "kept-under-licence": "used under your licence terms",
    "kept-as-allowed": "used as you allowed",
    "dropped": "left out of the dataset",
}
assert set(DECISION_LABELS) == set(DECISIONS)
MAX_MONTHS = 36  # the chart's span; older months are still in the tables


def month_of(scan_time: str) -> str:
    """``YYYY-MM`` (UTC) of a scan time as the ledger stores it (ISO 8601 text)."""
    t = datetime.fromisoformat(scan_time)
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m")


def months(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` inclusive."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _by_decision() -> dict[str, int]:
    return dict.fromkeys(DECISION_LABELS, 0)


@dataclass
class DatasetRow:
    """One dataset version: who scanned it, when, and what the scans did with the creator's works."""

    dataset: str
    version: str
    builders: set[str] = field(default_factory=set)
    purposes: set[str] = field(default_factory=set)
    scans: set[str] = field(default_factory=set)
    items: dict[str, int] = field(default_factory=_by_decision)
    works: int = 0  # the most works one scan of it found

    @property
    def total(self) -> int:
        return sum(self.items.values())


@dataclass(frozen=True)
class UsageOverview:
    totals: dict[str, int]  # items per decision
    works_found: int
    datasets: list[DatasetRow]
    scans: list[dict[str, Any]]  # one per scan, newest first
    works: list[dict[str, Any]]  # one per work, most items first
    chart: BarChart
    labels: Mapping[str, str] = field(default_factory=lambda: DECISION_LABELS)

    @property
    def items(self) -> int:
        return sum(self.totals.values())


def usage_overview(summary: Mapping[str, Any]) -> UsageOverview:
    """Totals per decision, per dataset version, per scan and per work, and the items per month."""
    totals = _by_decision()
    datasets: dict[tuple[str, str], DatasetRow] = {}
    scans: dict[str, dict[str, Any]] = {}
    per_month: dict[tuple[str, int], int] = defaultdict(int)
    order = list(DECISION_LABELS)
    for r in summary["scans"]:
        items = int(r["items"])
        totals[r["decision"]] += items
        d = datasets.setdefault(
            (r["dataset"], r["dataset_version"]), DatasetRow(r["dataset"], r["dataset_version"])
        )
        d.builders.add(r["builder_name"] or r["builder_id"])
        d.purposes.add(r["purpose"])
        d.scans.add(r["scan_id"])
        d.items[r["decision"]] += items
        month = month_of(r["scan_time"])
        s = scans.setdefault(
            r["scan_id"],
            {
                "scan_id": r["scan_id"],
                "dataset": r["dataset"],
                "version": r["dataset_version"],
                "builder": r["builder_name"] or r["builder_id"],
                "purpose": r["purpose"],
                "scan_time": r["scan_time"],
                "month": month,
                "items": _by_decision(),
                "works": 0,
            },
        )
        s["items"][r["decision"]] += items
        s["works"] = max(s["works"], int(r["works"]))
        d.works = max(d.works, int(r["works"]))
        per_month[(month, order.index(r["decision"]))] += items
    works: dict[str, dict[str, Any]] = {}
    for r in summary["works"]:
        w = works.setdefault(
            r["work_id"],
            {
                "work_id": r["work_id"],
                "title": r["title"],
                "items": _by_decision(),
                "scans": 0,
                "gone": r["title"] is None,
            },
        )
        w["items"][r["decision"]] += int(r["items"])
        w["scans"] = max(w["scans"], int(r["scans"]))
    seen = sorted({m for m, _ in per_month})
    span = months(seen[0], seen[-1])[-MAX_MONTHS:] if seen else []
    chart = stacked_bars(span, [DECISION_LABELS[d] for d in order], per_month)
    return UsageOverview(
        totals=totals,
        works_found=len(works),
        datasets=sorted(datasets.values(), key=lambda d: (-d.total, d.dataset, d.version)),
        scans=sorted(scans.values(), key=lambda s: (s["scan_time"], s["scan_id"]), reverse=True),
        works=sorted(
            works.values(), key=lambda w: (-sum(w["items"].values()), w["title"] or "", w["work_id"])
        ),
        chart=chart,
    )


def _terms_text(conditions: Mapping[str, Any] | None) -> str:
    """The conditions a scan saw, in words (the ledger keeps them as JSON)."""
    if not conditions:
        return "none"
    parts = []
    pay = conditions.get("payment") or None
    if isinstance(pay, Mapping):
        amount = pay.get("amount")
        price = f"{amount} {pay.get('currency') or ''}".strip() if amount not in (None, "") else "unpriced"
        parts.append(f"payment {pay.get('model') or 'other'} {price}")
    if conditions.get("attribution"):
        parts.append("attribution")
    if conditions.get("licence_url"):
        parts.append(f"licence {conditions['licence_url']}")
    if conditions.get("expires"):
        parts.append(f"until {conditions['expires']}")
    return ", ".join(parts) or "none"


ITEM_IDS_SHOWN = 20


def event_view(events: Iterable[Mapping[str, Any]], builder_names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each event as the evidence a creator reads: dataset, scan, decision, items, match, terms, grant."""
    out = []
    for e in events:
        ids = list(e["item_ids"])
        out.append(
            {
                "seq": e["seq"],
                "dataset": e["dataset"],
                "version": e["dataset_version"],
                "builder": builder_names.get(e["builder_id"]) or e["builder_id"],
                "purpose": e["purpose"],
                "scan_id": e["scan_id"],
                "scan_time": e["scan_time"],
                "decision": e["decision"],
                "decision_label": DECISION_LABELS.get(e["decision"], e["decision"]),
                "items": e["items"],
                "item_ids": ids[:ITEM_IDS_SHOWN],
                "more_items": max(0, len(ids) - ITEM_IDS_SHOWN),
                "match": f"{e['match_kind']} {float(e['score']):.2f}",
                "terms": _terms_text(e["conditions"]),
                "grant_id": e["grant_id"],
            }
        )
    return out
