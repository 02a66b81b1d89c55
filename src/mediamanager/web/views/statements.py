"""The periods a creator may read a statement for, and the statement's download names.

The statement itself is :meth:`mediamanager.registry.ledger.LedgerService.statement` (the numbers
``mediamanager ledger statement`` prints) and its files :func:`mediamanager.ledger.exports.export_statement`.
"""

from __future__ import annotations

from collections.abc import Iterable

from mediamanager.web.views.usage import months

__all__ = ["DOWNLOADS", "download_name", "statement_periods"]

# format -> (file suffix, media type, label)
DOWNLOADS = {
    "csv": ("csv", "text/csv; charset=utf-8", "CSV"),
    "dsr": ("tsv", "text/tab-separated-values; charset=utf-8", "DDEX DSR-shaped (tab-separated)"),
    "json": ("json", "application/json", "JSON"),
}


def statement_periods(usage_months: Iterable[str], current: str) -> list[str]:
    """Every month from the first with usage to the current one, newest first (the current one always)."""
    seen = sorted(set(usage_months) | {current})
    return list(reversed(months(seen[0], current)))


def download_name(owner_id: str, period: str, fmt: str) -> str:
    return f"statement-{period}-{owner_id[:8]}.{DOWNLOADS[fmt][0]}"
