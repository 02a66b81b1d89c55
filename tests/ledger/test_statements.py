"""Statements from events alone: literal expected figures written from the pricing rules, and the errors."""

from __future__ import annotations

from typing import Any

import pytest

from mediamanager.ledger import LedgerError
from mediamanager.ledger.exports import export_statement
from mediamanager.ledger.statements import compute_statement


def ev(work: str, items: int, amount: Any, *, model: str = "per-item", currency: str | None = "EUR",
       builder: str = "b1", scan: str = "s1", when: str = "2026-11-10T12:00:00+00:00",
       decision: str = "kept-under-licence", owner: str = "o1") -> dict[str, Any]:  # fmt: skip
    pay = {"model": model, "amount": amount, "currency": currency, "url": None}
    return {
        "seq": 1, "owner_id": owner, "work_id": work, "builder_id": builder, "scan_id": scan,
        "scan_time": when, "decision": decision, "items": items,
        "conditions": {"attribution": False, "payment": pay, "licence_url": None, "expires": None, "note": None},
    }  # fmt: skip


def test_per_item_per_crawl_rounding_and_period() -> None:
    events = [
        ev("w1", 3, "0.333"),  # 0.999 -> 1.00 half-up
        ev("w1", 2, "0.333", scan="s2"),  # same line: 5 x 0.333 = 1.665 -> 1.67
        ev("w2", 7, "1.50", model="per-crawl", scan="s1"),
        ev("w2", 9, "1.50", model="per-crawl", scan="s2"),  # two scans -> 2 units, 3.00
        ev("w2", 9, "1.50", model="per-crawl", scan="s2"),  # the same scan again: still 2 units
        ev("w3", 4, "0.10", builder="b2"),
        ev("w3", 4, "0.10", when="2026-10-31T23:59:59+00:00"),  # previous month: not counted
        ev("w3", 4, "0.10", when="2026-12-01T00:00:00+00:00"),  # next month: not counted
        ev("w4", 4, "0.10", decision="dropped"),  # not used: not owed
        ev("w5", 4, "0.10", owner="o2"),  # another owner's
        ev("w6", 5, "0.02", model="per-token"),  # no token counts: unpriced
    ]
    st = compute_statement(events, owner_id="o1", period="2026-11")
    got = [
        (x["work_id"], x["licensee_id"], x["model"], x["units"], x["unit_price"], x["amount"])
        for x in st["lines"]
    ]
    assert got == [
        ("w1", "b1", "per-item", 5, "0.333", "1.67"),
        ("w2", "b1", "per-crawl", 2, "1.50", "3.00"),
        ("w3", "b2", "per-item", 4, "0.10", "0.40"),
    ]
    assert st["currency"] == "EUR"
    assert st["totals"] == {"units": 11, "amount": "5.07", "events": 7, "priced_events": 6}
    assert [(u["work_id"], u["items"]) for u in st["unpriced"]] == [("w6", 5)]
    assert "token" in st["unpriced"][0]["reason"]


def test_zero_decimal_currency() -> None:
    st = compute_statement([ev("w1", 3, "0.5", currency="JPY")], owner_id="o1", period="2026-11")
    assert st["lines"][0]["amount"] == "2"  # 1.5 yen rounds half-up to 2: no minor unit


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([ev("w1", 1, "0.10"), ev("w2", 1, "0.10", currency="USD")], r"several currencies \(EUR, USD\)"),
        ([ev("w1", 1, "-0.10")], "is negative"),
        ([ev("w1", 1, "ten")], "is not a number"),
        ([ev("w1", 1, "NaN")], "not a finite number"),
        ([ev("w1", 1, 0.1)], "not a float"),
        ([ev("w1", 1, "0.10", currency=None)], "needs a currency code"),
    ],
)
def test_bad_prices_and_mixed_currencies_are_refused(events: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(LedgerError, match=message):
        compute_statement(events, owner_id="o1", period="2026-11")


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "26-11", "2026-11-01", ""])
def test_bad_period(period: str) -> None:
    with pytest.raises(LedgerError, match="period must be YYYY-MM"):
        compute_statement([], owner_id="o1", period=period)


def test_exports_are_exact() -> None:
    st = compute_statement(
        [ev("w1", 3, "0.25"), ev("w2", 1, "2", model="per-crawl")],
        owner_id="o1", period="2026-11", names={"o1": "Alice", "b1": "Bob\tBuilder", "w1": "Poem"},
    )  # fmt: skip
    assert export_statement(st, "csv") == (
        "period,owner_id,work_id,work_title,licensee_id,licensee_name,model,units,unit_price,currency,amount,events\n"
        "2026-11,o1,w1,Poem,b1,Bob\tBuilder,per-item,3,0.25,EUR,0.75,1\n"
        "2026-11,o1,w2,,b1,Bob\tBuilder,per-crawl,1,2,EUR,2.00,1\n"
    )
    assert export_statement(st, "dsr") == (
        "#HEAD\tMessageVersion\tProfile\tMessageId\tMessageCreatedDateTime\tUsageStartDate\tUsageEndDate\t"
        "RecipientPartyId\tRecipientName\tCurrency\n"
        "HEAD\tdsr-flat/1\tmediamanager-ai-training-usage/1\to1-2026-11\t2026-12-01T00:00:00+00:00\t2026-11-01\t"
        "2026-12-01\to1\tAlice\tEUR\n"
        "#SY01\tSummaryRecordId\tLicenseeId\tLicenseeName\tCommercialModel\tUseType\tUsages\tAmount\tCurrency\n"
        "SY01\tS1\tb1\tBob Builder\tper-crawl\tAiTraining\t1\t2.00\tEUR\n"
        "SY01\tS2\tb1\tBob Builder\tper-item\tAiTraining\t3\t0.75\tEUR\n"
        "#SU01\tDetailRecordId\tSummaryRecordId\tResourceId\tTitle\tLicenseeId\tCommercialModel\tUsages\tUnitPrice\t"
        "Amount\tCurrency\n"
        "SU01\tD1\tS2\tw1\tPoem\tb1\tper-item\t3\t0.25\t0.75\tEUR\n"
        "SU01\tD2\tS1\tw2\t\tb1\tper-crawl\t1\t2\t2.00\tEUR\n"
        "#FOOT\tNumberOfSummaryRecords\tNumberOfDetailRecords\tTotalAmount\n"
        "FOOT\t2\t2\t2.75\n"
    )
    with pytest.raises(LedgerError, match="unknown export format"):
        export_statement(st, "xml")


def test_per_token_is_billed_from_token_counts() -> None:
    # Written from the rules: 12,345 tokens at 0.00002 EUR = 0.2469 -> 0.25; 1,000 + 500 tokens of one
    # work and licensee at 0.0001 = 0.15; an event without a token count is unpriced, never guessed.
    events = [
        {**ev("w1", 2, "0.00002", model="per-token"), "tokens": 12_345},
        {**ev("w2", 1, "0.0001", model="per-token"), "tokens": 1_000},
        {**ev("w2", 1, "0.0001", model="per-token", scan="s2"), "tokens": 500},
        ev("w3", 4, "0.0001", model="per-token"),
    ]
    st = compute_statement(events, owner_id="o1", period="2026-11")
    assert [(x["work_id"], x["model"], x["units"], x["amount"]) for x in st["lines"]] == [
        ("w1", "per-token", 12_345, "0.25"),
        ("w2", "per-token", 1_500, "0.15"),
    ]
    assert st["totals"] == {"units": 13_845, "amount": "0.40", "events": 4, "priced_events": 3}
    assert [(u["work_id"], u["reason"]) for u in st["unpriced"]] == [
        ("w3", "per-token price, but the scan recorded no token count")
    ]
