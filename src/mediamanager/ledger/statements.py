"""What an owner is owed for a period, computed from ledger events alone, in Decimal.

Only ``kept-under-licence`` events whose scan time falls in the period count. Each
event's terms come from the conditions it recorded (what the scan saw), so a later
change of price does not rewrite an old statement. Units per payment model:

============ ==================================================================
per-item     the event's item count
per-crawl    one per distinct scan that kept the work
per-token    the event's token count (cl100k_base tokens of the matched text items,
             counted by the scan: ``mediamanager.scan.steps.tokens``); events from
             scans that recorded no count are listed under ``unpriced``, never guessed
============ ==================================================================

An input row is one event, or a group of events of one work, licensee, scan time and
conditions text already summed by the database: ``items`` and ``tokens`` are then sums,
``events`` the number of events, and ``scans`` the distinct scan ids (needed for per-crawl).

A line is one (work, licensee, model, unit price); ``amount = units × unit_price``
rounded half-up to the currency's minor unit, and the total is the sum of the
rounded lines, so the statement reconciles to the cent. Events without payment
terms (attribution only), or with subscription/other terms, are listed as unpriced.
Two currencies in one statement, or a negative or non-numeric price, raise
:class:`~mediamanager.ledger.LedgerError`.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from mediamanager.ledger import LedgerError
from mediamanager.ledger.terms import Terms, terms_from_conditions

__all__ = ["FORMAT", "MINOR_UNITS", "compute_statement", "period_bounds"]

FORMAT = "mediamanager-statement/1"
# ISO 4217 currencies without two decimals (the rest use two).
MINOR_UNITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3}
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of a ``YYYY-MM`` period in UTC."""
    m = _PERIOD.match(period)
    if not m:
        raise LedgerError(f"period must be YYYY-MM, not {period!r}")
    year, month = int(m[1]), int(m[2])
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _scan_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return _parse_time(str(value))


@lru_cache(maxsize=4096)  # one scan's events share one scan time
def _parse_time(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))


def compute_statement(
    events: Iterable[Mapping[str, Any]],
    *,
    owner_id: str,
    period: str,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The owner's statement for ``period`` from their events (others' events are ignored).

    An event's ``conditions`` is the recorded dict, or its stored JSON text (parsed once per text).

    ``names`` maps builder and work ids to display names and titles, for the reader only.
    """
    start, end = period_bounds(period)
    names = names or {}
    units: dict[tuple[str, str, str, Decimal, str], int] = defaultdict(int)
    crawls: dict[tuple[str, str, str, Decimal, str], set[str]] = defaultdict(set)
    events_per_line: dict[tuple[str, str, str, Decimal, str], int] = defaultdict(int)
    unpriced: dict[tuple[str, str, str], dict[str, Any]] = {}
    currencies: set[str] = set()
    counted = 0
    memo: dict[str, Terms] = {}  # conditions as stored text -> terms: a work's events share one text
    for e in events:
        if e["owner_id"] != owner_id or e["decision"] != "kept-under-licence":
            continue
        if not start <= _scan_time(e["scan_time"]) < end:
            continue
        counted += int(e.get("events", 1))
        raw = e.get("conditions")
        where = f"work {e['work_id']} (event {e.get('seq')})"
        if isinstance(raw, str):
            terms = memo.get(raw) or memo.setdefault(raw, terms_from_conditions(json.loads(raw), where=where))
        else:
            terms = terms_from_conditions(raw, where=where)
        licensee = str(e["builder_id"])
        n_events = int(e.get("events", 1))
        tokens = e.get("tokens")
        if terms.priced and (terms.model != "per-token" or tokens is not None):
            assert terms.unit_price is not None and terms.currency is not None
            currencies.add(terms.currency)
            key = (str(e["work_id"]), licensee, str(terms.model), terms.unit_price, terms.currency)
            events_per_line[key] += n_events
            if terms.model == "per-item":
                units[key] += int(e["items"])
            elif terms.model == "per-token":
                units[key] += int(tokens or 0)
            else:
                crawls[key].update(map(str, e.get("scans") or [e["scan_id"]]))
        else:
            reason = {
                None: "no payment terms (attribution or licence only)",
                "per-token": "per-token price, but the scan recorded no token count",
            }.get(terms.model, f"{terms.model} payment is settled outside the ledger")
            if terms.model in ("per-item", "per-crawl", "per-token") and terms.unit_price is None:
                reason = f"{terms.model} payment without an amount"
            u = unpriced.setdefault(
                (str(e["work_id"]), licensee, reason),
                {
                    "work_id": str(e["work_id"]),
                    "licensee_id": licensee,
                    "reason": reason,
                    "items": 0,
                    "events": 0,
                },
            )
            u["items"] += int(e["items"])
            u["events"] += n_events
    if len(currencies) > 1:
        raise LedgerError(
            f"owner {owner_id}: prices in several currencies ({', '.join(sorted(currencies))}) in {period}; "
            "a statement is in one currency"
        )
    currency = next(iter(currencies), None)
    lines = []
    total = Decimal(0)
    total_units = 0
    for key in sorted(events_per_line):
        work_id, licensee, model, price, cur = key
        n = len(crawls[key]) if model == "per-crawl" else units[key]
        amount = (price * n).quantize(_quantum(cur), rounding=ROUND_HALF_UP)
        total += amount
        total_units += n
        lines.append(
            {
                "work_id": work_id,
                "work_title": names.get(work_id, ""),
                "licensee_id": licensee,
                "licensee_name": names.get(licensee, ""),
                "model": model,
                "units": n,
                "unit_price": str(price),
                "currency": cur,
                "amount": str(amount),
                "events": events_per_line[key],
            }
        )
    return {
        "format": FORMAT,
        "owner_id": owner_id,
        "owner_name": names.get(owner_id, ""),
        "period": period,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "currency": currency,
        "lines": lines,
        "unpriced": sorted(unpriced.values(), key=lambda u: (u["work_id"], u["licensee_id"], u["reason"])),
        "totals": {
            "units": total_units,
            "amount": str(total.quantize(_quantum(currency))) if currency else "0",
            "events": counted,
            "priced_events": sum(events_per_line.values()),
        },
    }
