"""A statement as JSON, CSV, or a DDEX DSR-shaped flat file.

The DSR-shaped file follows the layout of DDEX Digital Sales Reporting flat files
(tab-separated, one record type per row, a ``#`` row naming each block's columns):
``HEAD``, a summary block of ``SY01`` rows (one per licensee and payment model), a
detail block of ``SU01`` rows (one per statement line), and ``FOOT`` with the counts.
It is shaped like a DSR so that collecting societies' tooling can read it; it is not a
certified DDEX profile. Every export is a function of the statement alone, so the
same ledger always gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from mediamanager.ledger import LedgerError

__all__ = ["CSV_COLUMNS", "EXPORT_FORMATS", "export_statement"]

EXPORT_FORMATS = ("json", "csv", "dsr")
CSV_COLUMNS = [
    "period", "owner_id", "work_id", "work_title", "licensee_id", "licensee_name", "model", "units",
    "unit_price", "currency", "amount", "events",
]  # fmt: skip
_SY = ["SY01", "SummaryRecordId", "LicenseeId", "LicenseeName", "CommercialModel", "UseType", "Usages",
       "Amount", "Currency"]  # fmt: skip
_SU = ["SU01", "DetailRecordId", "SummaryRecordId", "ResourceId", "Title", "LicenseeId", "CommercialModel",
       "Usages", "UnitPrice", "Amount", "Currency"]  # fmt: skip


def _clean(value: Any) -> str:
    # A tab or newline inside a field would shift every later column.
    return " ".join(str("" if value is None else value).split())


def _csv(st: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, CSV_COLUMNS, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for line in st["lines"]:
        w.writerow({**line, "period": st["period"], "owner_id": st["owner_id"]})
    return buf.getvalue()


def _dsr(st: dict[str, Any]) -> str:
    rows: list[list[Any]] = [
        ["#HEAD", "MessageVersion", "Profile", "MessageId", "MessageCreatedDateTime", "UsageStartDate",
         "UsageEndDate", "RecipientPartyId", "RecipientName", "Currency"],
        ["HEAD", "dsr-flat/1", "mediamanager-ai-training-usage/1", f"{st['owner_id']}-{st['period']}",
         st["period_end"], st["period_start"][:10], st["period_end"][:10], st["owner_id"], st["owner_name"],
         st["currency"] or ""],
        ["#" + _SY[0], *_SY[1:]],
    ]  # fmt: skip
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for line in st["lines"]:
        groups[(line["licensee_id"], line["model"])].append(line)
    summary_ids: dict[tuple[str, str], str] = {}
    for n, (key, lines) in enumerate(sorted(groups.items()), 1):
        summary_ids[key] = f"S{n}"
        amount = sum((Decimal(x["amount"]) for x in lines), Decimal(0))
        rows.append(
            ["SY01", f"S{n}", key[0], lines[0]["licensee_name"], key[1], "AiTraining",
             sum(x["units"] for x in lines), str(amount), lines[0]["currency"]]
        )  # fmt: skip
    rows.append(["#" + _SU[0], *_SU[1:]])
    for n, line in enumerate(st["lines"], 1):
        rows.append(
            ["SU01", f"D{n}", summary_ids[(line["licensee_id"], line["model"])], line["work_id"],
             line["work_title"], line["licensee_id"], line["model"], line["units"], line["unit_price"],
             line["amount"], line["currency"]]
        )  # fmt: skip
    rows.append(["#FOOT", "NumberOfSummaryRecords", "NumberOfDetailRecords", "TotalAmount"])
    rows.append(["FOOT", len(groups), len(st["lines"]), st["totals"]["amount"]])
    return "".join("\t".join(_clean(v) for v in r) + "\n" for r in rows)


def export_statement(statement: dict[str, Any], fmt: str) -> str:
    """The statement in ``fmt`` (json, csv or dsr) as text."""
    if fmt == "json":
        return json.dumps(statement, indent=2, sort_keys=True) + "\n"
    if fmt == "csv":
        return _csv(statement)
    if fmt == "dsr":
        return _dsr(statement)
    raise LedgerError(f"unknown export format {fmt!r}; expected one of {', '.join(EXPORT_FORMATS)}")
