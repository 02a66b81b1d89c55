"""The scanner's grant step: a licensed item keeps only when grants cover every licensed match (literal cases)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mediamanager.lookup import WorkMatch
from mediamanager.model import Purpose, parse_preference_spec
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.record import Record
from mediamanager.scan.steps.context import StepContext
from mediamanager.scan.steps.decide import decide_records
from mediamanager.scan.steps.grants import apply_grants

LICENCE = "genai-train=allow-if:payment=per-item/0.10 EUR"


def match(wid: str, spec: str) -> WorkMatch:
    return WorkMatch(wid, 1.0, "sha256", "o1", "Alice", wid, "", parse_preference_spec(spec))


def outcome(
    matches: tuple[WorkMatch, ...], grants: dict[str, str], signals: str | None = None
) -> tuple[str, str]:
    cfg = ScanConfig(Purpose.GENAI_TRAIN, "snapshot/", datetime(2026, 11, 1, tzinfo=UTC), grants=grants)
    ctx = StepContext(cfg)
    rec = Record("x", "s", 0, text="t", matches=matches,
                 signals=parse_preference_spec(signals) if signals else None)  # fmt: skip
    (out,) = list(apply_grants(decide_records(iter([rec]), ctx), ctx))
    assert out.decision is not None
    return out.decision.outcome.value, out.decision.reasons[0]


@pytest.mark.parametrize(
    ("matches", "grants", "signals", "expected"),
    [
        ((match("w1", LICENCE),), {"w1": "g1"}, None, ("keep", "allow:grant")),
        ((match("w1", LICENCE),), {}, None, ("license", "allow-if:registry")),
        (
            (match("w1", LICENCE),),
            {"w9": "g9"},
            None,
            ("license", "allow-if:registry"),
        ),  # another work's grant
        ((match("w1", LICENCE), match("w2", LICENCE)), {"w1": "g1"}, None, ("license", "allow-if:registry")),
        (
            (match("w1", LICENCE), match("w2", LICENCE)),
            {"w1": "g1", "w2": "g2"},
            None,
            ("keep", "allow:grant"),
        ),
        (
            (match("w1", LICENCE), match("w2", "genai-train=allow")),
            {"w1": "g1"},
            None,
            ("keep", "allow:grant"),
        ),
        (
            (match("w1", LICENCE), match("w2", "genai-train=deny")),
            {"w1": "g1"},
            None,
            ("drop", "deny:registry"),
        ),
        # A signal's own conditions are not the registry owner's to license.
        (
            (match("w1", LICENCE),),
            {"w1": "g1"},
            "genai-train=allow-if:attribution",
            ("license", "allow-if:registry"),
        ),
    ],
)
def test_grant_step(
    matches: tuple[WorkMatch, ...], grants: dict[str, str], signals: str | None, expected: tuple[str, str]
) -> None:
    assert outcome(matches, grants, signals) == expected
