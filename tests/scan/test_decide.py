"""The decide step, as a literal table written from the rules (architecture "Combining signals" and
"Decisions", docs/decisions.md, docs/scan.md), not from the code.

The rules the table encodes:

* across sources and matched works the most restrictive use wins: deny > allow-if > allow > unknown
  (docs/decisions.md ranks allow-if above allow); every allow-if's conditions are kept;
* a deny of ``tdm`` or ``ai-train`` denies ``genai-train``; within one source the nearest statement
  in the lineage governs, across sources it does not erase a stricter one (red-team D3);
* deny -> drop, allow-if -> license, allow -> keep, unknown -> the ``--unknown`` policy;
* a permission whose ``expires`` is at or before the scan time is no permission (D1);
* an unreadable signal makes the item an ``error`` unless something denies (D4);
* a near-duplicate match below its kind's decision threshold (minhash 0.5) decides nothing (D12).

Each row: registry matches as ``(spec, kind, score)``, signals as ``(source, spec)`` pairs, the number
of unreadable signals, the ``--unknown`` policy, then the expected outcome, primary reason and
(for licences) the expected conditions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mediamanager.lookup import DisputeStatus, WorkMatch
from mediamanager.model import Decision, Evidence, Preferences, Purpose, parse_preference_spec
from mediamanager.registry.resolve import Level, resolve_preferences
from mediamanager.scan.config import DEFAULT_MATCH_THRESHOLDS
from mediamanager.scan.steps.decide import decide, split_matches
from mediamanager.signals.combine import preferences_from

SCAN_TIME = datetime(2026, 6, 1, tzinfo=UTC)
LIVE, LIVE_ISO = "2030-01-01T00:00:00Z", "2030-01-01T00:00:00+00:00"  # "+" separates conditions in a spec
GONE, GONE_ISO = "2020-01-01T00:00:00Z", "2020-01-01T00:00:00+00:00"

Row = tuple[str, list[tuple[str, str, float]], list[tuple[str, str]], int, str, str, str, str | None]

# fmt: off
TABLE: list[Row] = [
    # name, matches, signals, unreadable, --unknown, outcome, reason, conditions
    ("nothing stated, default policy", [], [], 0, "drop", "drop", "unknown", None),
    ("nothing stated, keep policy", [], [], 0, "keep", "keep", "unknown", None),
    ("one signal denies", [], [("X-Robots-Tag", "genai-train=deny")], 0, "drop", "drop", "deny:X-Robots-Tag", None),
    ("one signal allows", [], [("Content-Usage", "genai-train=allow")], 0, "drop", "keep", "allow:Content-Usage", None),
    ("one signal licenses", [], [("c2pa", "genai-train=allow-if:attribution")], 0, "drop",
     "license", "allow-if:c2pa", "attribution"),
    ("registry deny beats a signal allow", [("genai-train=deny", "sha256", 1.0)],
     [("Content-Usage", "genai-train=allow")], 0, "keep", "drop", "deny:registry", None),
    ("signal deny beats a registry allow", [("genai-train=allow", "sha256", 1.0)],
     [("X-Robots-Tag", "genai-train=deny")], 0, "keep", "drop", "deny:X-Robots-Tag", None),
    ("signal licence beats a registry allow", [("genai-train=allow", "sha256", 1.0)],
     [("c2pa", "genai-train=allow-if:payment=per-item/0.01 USD")], 0, "drop",
     "license", "allow-if:c2pa", "payment(per-item 0.01 USD)"),
    ("registry licence beats a signal allow", [("genai-train=allow-if:attribution", "sha256", 1.0)],
     [("robots.txt", "genai-train=allow")], 0, "drop", "license", "allow-if:registry", "attribution"),
    ("two works: licence beats allow", [("genai-train=allow", "sha256", 1.0),
                                        ("genai-train=allow-if:attribution", "minhash", 0.9)],
     [], 0, "drop", "license", "allow-if:registry", "attribution"),
    ("two works: deny beats licence", [("genai-train=allow-if:attribution", "sha256", 1.0),
                                       ("genai-train=deny", "minhash", 0.8)],
     [], 0, "keep", "drop", "deny:registry", None),
    ("conditions of two licences are merged", [("genai-train=allow-if:attribution", "sha256", 1.0)],
     [("c2pa", "genai-train=allow-if:licence=https://l.example/t")], 0, "drop",
     "license", "allow-if:registry", "attribution,licence=https://l.example/t"),
    ("a tdm deny denies genai-train", [], [("tdmrep.json", "tdm=deny"), ("Content-Usage", "genai-train=allow")],
     0, "keep", "drop", "deny:tdmrep.json", None),
    ("an ai-train deny denies genai-train, same source", [], [("ai.txt", "ai-train=deny,genai-train=allow")],
     0, "keep", "drop", "deny:ai.txt", None),
    ("a tdm allow covers a silent genai-train", [], [("tdm header", "tdm=allow")], 0, "drop",
     "keep", "allow:tdm header", None),
    # D3: a nearer allow from another source does not erase the parent's licence terms.
    ("D3: other source's child allow keeps the parent's licence", [],
     [("tdm header", "tdm=allow-if:licence=https://p.example/tdm.json"), ("Content-Usage", "genai-train=allow")],
     0, "drop", "license", "allow-if:tdm header", "licence=https://p.example/tdm.json"),
    ("within one source the nearest statement governs", [],
     [("robots.txt", "tdm=allow-if:attribution,genai-train=allow")], 0, "drop", "keep", "allow:robots.txt", None),
    # D1: expiry is compared with the scan time.
    ("D1: expired registry licence is unknown (drop)", [(f"genai-train=allow-if:attribution+expires={GONE}",
                                                         "sha256", 1.0)], [], 0, "drop", "drop", "unknown", None),
    ("D1: expired licence under --unknown keep is kept as unknown, not licensed",
     [(f"genai-train=allow-if:attribution+expires={GONE}", "sha256", 1.0)], [], 0, "keep", "keep", "unknown", None),
    ("D1: expiry at exactly the scan time has run out", [],
     [("c2pa", "genai-train=allow-if:attribution+expires=2026-06-01T00:00:00Z")], 0, "drop",
     "drop", "unknown", None),
    ("D1: a live licence still licenses", [(f"genai-train=allow-if:attribution+expires={LIVE}", "sha256", 1.0)],
     [], 0, "drop", "license", "allow-if:registry", f"attribution,expires={LIVE_ISO}"),
    ("D1: expired licence does not hide a live one", [(f"genai-train=allow-if:attribution+expires={GONE}",
                                                        "sha256", 1.0)],
     [("c2pa", "genai-train=allow-if:payment=per-item")], 0, "drop", "license", "allow-if:c2pa", "payment(per-item)"),
    ("D1: an expired signal licence leaves a registry allow", [("genai-train=allow", "sha256", 1.0)],
     [("c2pa", f"genai-train=allow-if:attribution+expires={GONE}")], 0, "drop", "keep", "allow:registry", None),
    # D4: what could not be read may have denied.
    ("D4: unreadable signal, nothing else, keep policy", [], [], 1, "keep", "error", "error", None),
    ("D4: unreadable signal beside an allow", [("genai-train=allow", "sha256", 1.0)], [], 1, "keep",
     "error", "error", None),
    ("D4: unreadable signal beside a licence", [], [("c2pa", "genai-train=allow-if:attribution")], 1, "drop",
     "error", "error", None),
    ("D4: a deny found elsewhere still drops", [], [("X-Robots-Tag", "genai-train=deny")], 1, "keep",
     "drop", "deny:X-Robots-Tag", None),
    # D12: weak near-duplicates are reported, not applied.
    ("D12: weak minhash deny decides nothing", [("genai-train=deny", "minhash", 0.31)],
     [("Content-Usage", "genai-train=allow")], 0, "drop", "keep", "allow:Content-Usage", None),
    ("D12: weak minhash licence lists no licensor", [("genai-train=allow-if:payment=per-item", "minhash", 0.49)],
     [], 0, "keep", "keep", "unknown", None),
    ("D12: minhash at the threshold decides", [("genai-train=deny", "minhash", 0.5)], [], 0, "keep",
     "drop", "deny:registry", None),
    ("D12: a kind without a stated threshold decides nothing", [("genai-train=deny", "novel-hash", 0.99)], [], 0,
     "keep", "keep", "unknown", None),
    ("D12: an exact match always decides", [("genai-train=deny", "sha256", 1.0)], [], 0, "keep",
     "drop", "deny:registry", None),
    ("D12: weak pdq below 0.53 decides nothing", [("genai-train=deny", "pdq", 0.52)], [], 0, "keep",
     "keep", "unknown", None),
]
# fmt: on


def _work(i: int, spec: str, kind: str, score: float) -> WorkMatch:
    return WorkMatch(
        work_id=f"w{i}", score=score, kind=kind, owner_id=f"o{i}", owner_name=f"Owner {i}", title=f"T{i}",
        iscc="", preferences=parse_preference_spec(spec, source="registry:work", location=f"work:w{i}"),
    )  # fmt: skip


def _signals(stated: list[tuple[str, str]], unreadable: int) -> Preferences:
    evidence: list[Evidence] = []
    for source, spec in stated:
        for rule in parse_preference_spec(spec, source=source).rules.values():
            evidence += rule.evidence
    evidence += [Evidence("c2pa", "", f"file{i}", error="invalid C2PA manifest") for i in range(unreadable)]
    return preferences_from(evidence)


def _decide(matches: list[tuple[str, str, float]], stated: list[tuple[str, str]], unreadable: int, unknown: str,
            purpose: Purpose = Purpose.GENAI_TRAIN, **kw: Any) -> Decision:  # fmt: skip
    works = tuple(_work(i, *m) for i, m in enumerate(matches))
    applied, possible = split_matches(works, DEFAULT_MATCH_THRESHOLDS)
    return decide(
        purpose, applied, _signals(stated, unreadable), unknown=unknown, registry_location="snap",
        when=SCAN_TIME, item_id="x", possible=possible, **kw,
    )  # fmt: skip


@pytest.mark.parametrize("row", TABLE, ids=[r[0] for r in TABLE])
def test_decision_table(row: Row) -> None:
    _name, matches, stated, unreadable, unknown, outcome, reason, conditions = row
    d = _decide(matches, stated, unreadable, unknown)
    primary = "error" if d.outcome.value == "error" else d.reasons[0].split(":", 2)
    if isinstance(primary, list):
        primary = "unknown" if primary[0] == "unknown" else f"{primary[0]}:{primary[1]}"
    assert (d.outcome.value, primary) == (outcome, reason)
    if outcome == "license":
        assert d.rule.conditions.describe() == conditions
        assert f"conditions: {conditions}" in d.reasons


def test_expired_licence_is_named_in_the_reasons() -> None:
    d = _decide([(f"genai-train=allow-if:attribution+expires={GONE}", "sha256", 1.0)], [], 0, "drop")
    assert any(
        f"allow-if expired at {GONE_ISO}" in r and "checked at 2026-06-01T00:00:00+00:00" in r
        for r in d.reasons
    )


def test_possible_match_is_evidence_not_a_decision() -> None:
    d = _decide([("genai-train=deny", "minhash", 0.31)], [], 0, "drop")
    assert d.matches == ()
    assert [r for r in d.reasons if "possible match" in r] == [
        "registry: possible match: work w0 (T0) owned by Owner 0 "
        "(minhash match, score 0.310, below the minhash decision threshold 0.5: not applied)"
    ]


def test_thresholds_are_the_callers_to_state() -> None:
    works = (_work(0, "genai-train=deny", "minhash", 0.31),)
    applied, possible = split_matches(works, {"minhash": 0.3})
    assert (len(applied), len(possible)) == (1, 0)
    applied, possible = split_matches(works, {"minhash": 0.9})
    assert (len(applied), len(possible)) == (0, 1)


def test_unreadable_signals_are_named() -> None:
    d = _decide([], [], 2, "keep")
    assert d.outcome.value == "error"
    assert sum(r.startswith("unreadable signal c2pa at file") for r in d.reasons) == 2


def test_registry_levels_of_one_owner_keep_their_specificity() -> None:
    """Work level ``genai-train=allow`` over a domain's ``tdm=allow-if``: one owner, the work level is nearer."""
    resolved = resolve_preferences([
        Level("work", "w1", parse_preference_spec("genai-train=allow", source="declared")),
        Level("domain", "example.com", parse_preference_spec("tdm=allow-if:attribution", source="declared")),
    ])  # fmt: skip
    m = WorkMatch("w1", 1.0, "sha256", "o1", "Owner", "T", "", resolved)
    d = decide(Purpose.GENAI_TRAIN, (m,), None, unknown="drop", registry_location="snap", when=SCAN_TIME,
               item_id="x")  # fmt: skip
    assert (d.outcome.value, d.reasons[0]) == ("keep", "allow:registry")
    # ...while a deny at any level of the lineage still denies.
    resolved = resolve_preferences([
        Level("work", "w1", parse_preference_spec("genai-train=allow", source="declared")),
        Level("domain", "example.com", parse_preference_spec("tdm=deny", source="declared")),
    ])  # fmt: skip
    m = WorkMatch("w1", 1.0, "sha256", "o1", "Owner", "T", "", resolved)
    d = decide(Purpose.GENAI_TRAIN, (m,), None, unknown="keep", registry_location="snap", when=SCAN_TIME,
               item_id="x")  # fmt: skip
    assert (d.outcome.value, d.reasons[0]) == ("drop", "deny:registry")


def test_two_owners_naive_and_aware_expiries_do_not_raise() -> None:
    """D5a: one owner stored a naive expiry, another an aware one; the merge compares them as UTC."""
    naive = Preferences.from_dict({"rules": {"genai-train": {"use": "allow-if", "conditions": {
        "attribution": True, "expires": "2030-01-01T00:00:00"}, "evidence": [{
        "source": "registry:work", "raw": "naive", "location": "work:a", "purpose": "genai-train",
        "use": "allow-if", "conditions": {"attribution": True, "expires": "2030-01-01T00:00:00"}}]}}})  # fmt: skip
    aware = parse_preference_spec("genai-train=allow-if:expires=2031-01-01", source="registry:work")
    works = (WorkMatch("a", 1.0, "sha256", "x", "X", "", "", naive), WorkMatch("b", 0.95, "minhash", "y", "Y", "", "",
                                                                             aware))  # fmt: skip
    d = decide(Purpose.GENAI_TRAIN, works, None, unknown="drop", registry_location="snap", when=SCAN_TIME,
               item_id="x")  # fmt: skip
    assert (d.outcome.value, d.rule.conditions.describe()) == (
        "license", "attribution,expires=2030-01-01T00:00:00+00:00",
    )  # fmt: skip
    # The same two works at a time past both expiries: no licence, no TypeError.
    later = datetime(2032, 1, 1)  # naive on purpose
    d = decide(
        Purpose.GENAI_TRAIN, works, None, unknown="drop", registry_location="snap", when=later, item_id="x"
    )
    assert (d.outcome.value, d.reasons[0].split(":")[0]) == ("drop", "unknown")


def test_disputed_matches_are_named_in_the_reasons() -> None:
    m = WorkMatch("w1", 0.95, "minhash", "o1", "O", "T", "", parse_preference_spec("genai-train=allow"),
                  disputed=True, claimants=("o1", "o9"))  # fmt: skip
    d = decide(Purpose.GENAI_TRAIN, (m,), None, unknown="drop", registry_location="snap", when=SCAN_TIME,
               item_id="x")  # fmt: skip
    assert d.outcome.value == "keep"
    assert "registry match w1 is disputed by o1, o9" in d.reasons


def test_the_registry_evidence_names_the_dispute_state() -> None:
    lapsed = DisputeStatus("lapsed", "2026-02-09T12:00:00+00:00", "earlier")
    m = WorkMatch(
        "w1", 1.0, "sha256", "o1", "O", "T", "", parse_preference_spec("genai-train=allow"), dispute=lapsed
    )
    d = decide(Purpose.GENAI_TRAIN, (m,), None, unknown="drop", registry_location="snap", when=SCAN_TIME,
               item_id="x")  # fmt: skip
    assert [e.detail for e in d.rule.evidence if e.source == "registry"] == [
        "sha256 match, score 1.000, dispute lapsed"
    ]
