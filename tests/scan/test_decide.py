"""The decide step: the most restrictive of registry matches and signals wins, with every reason kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mediamanager.lookup import WorkMatch
from mediamanager.model import (
    Conditions,
    Decision,
    Outcome,
    Preferences,
    Purpose,
    Use,
    parse_preference_spec,
    utcnow,
)
from mediamanager.scan.steps.decide import combine_sources, decide

NOW = utcnow()
SPECS = {
    Use.DENY: "genai-train=deny",
    Use.ALLOW: "genai-train=allow",
    Use.ALLOW_IF: "genai-train=allow-if:attribution",
    Use.UNKNOWN: "",
}


def _match(i: int, use: Use, *, disputed: bool = False) -> WorkMatch:
    return WorkMatch(
        work_id=f"w{i}", score=0.9, kind="minhash", owner_id=f"o{i}", owner_name=f"Owner {i}", title=f"T{i}",
        iscc="", preferences=parse_preference_spec(SPECS[use], source="registry:work"), disputed=disputed,
        claimants=("o9",) if disputed else (),
    )  # fmt: skip


def _decide(matches: tuple[WorkMatch, ...], signals: Preferences | None, unknown: str = "drop") -> Decision:
    return decide(
        Purpose.GENAI_TRAIN,
        matches,
        signals,
        unknown=unknown,
        registry_location="snap",
        when=NOW,
        item_id="x",
    )


uses = st.sampled_from([Use.DENY, Use.ALLOW, Use.ALLOW_IF, Use.UNKNOWN])


@given(st.lists(uses, max_size=4), uses)
def test_most_restrictive_source_wins_and_evidence_is_kept(work_uses: list[Use], signal_use: Use) -> None:
    matches = tuple(_match(i, u) for i, u in enumerate(work_uses))
    signals = parse_preference_spec(SPECS[signal_use], source="X-Robots-Tag")
    d = _decide(matches, signals)
    every = [*work_uses, signal_use]
    top = max(every, key=lambda u: u.restrictiveness)
    assert d.rule.use is top
    expected = {
        Use.DENY: Outcome.DROP,
        Use.ALLOW_IF: Outcome.LICENSE,
        Use.ALLOW: Outcome.KEEP,
        Use.UNKNOWN: Outcome.DROP,
    }
    assert d.outcome is expected[top]
    # One piece of evidence per match (the match itself) plus what each stated rule carried.
    stated = sum(u is not Use.UNKNOWN for u in every)
    assert len(d.rule.evidence) == len(matches) + stated
    if top is Use.ALLOW_IF:
        assert d.rule.conditions.attribution


def test_deny_on_a_parent_purpose_denies_genai_train() -> None:
    d = _decide((), parse_preference_spec("tdm=deny,genai-train=allow", source="tdmrep.json"))
    assert d.outcome is Outcome.DROP and d.reasons[0] == "deny:tdmrep.json"


def test_registry_is_named_when_it_agrees_with_a_signal() -> None:
    d = _decide((_match(1, Use.DENY),), parse_preference_spec("genai-train=deny", source="c2pa"))
    assert d.reasons[0] == "deny:registry"
    assert any("c2pa says deny" in r for r in d.reasons)


def test_unknown_follows_the_policy() -> None:
    assert _decide((), Preferences(), "drop").outcome is Outcome.DROP
    kept = _decide((), Preferences(), "keep")
    assert kept.outcome is Outcome.KEEP
    assert "policy --unknown keep" in kept.reasons[0]


def test_conditions_of_every_allow_if_are_merged() -> None:
    a = _match(1, Use.ALLOW_IF)
    b = WorkMatch("w2", 1.0, "sha256", "o2", "B", "T", "", parse_preference_spec(
        "genai-train=allow-if:payment=per-item/0.05 EUR"))  # fmt: skip
    d = _decide((a, b), None)
    assert d.outcome is Outcome.LICENSE
    c: Conditions = d.rule.conditions
    assert c.attribution and c.payment is not None and str(c.payment.amount) == "0.05"


def test_disputed_matches_are_named_in_the_reasons() -> None:
    d = _decide((_match(1, Use.ALLOW, disputed=True),), None)
    assert d.outcome is Outcome.KEEP
    assert "registry match w1 is disputed by o9" in d.reasons


def test_unreadable_signals_are_reasons_but_never_permission() -> None:
    from mediamanager.model import Evidence

    prefs = Preferences({}, (Evidence("robots.txt", "", "https://x/robots.txt", error="HTTP 500"),))
    d = _decide((), prefs)
    assert d.outcome is Outcome.DROP
    assert any("unreadable signal robots.txt" in r for r in d.reasons)


def test_combine_sources_of_nothing_is_unknown() -> None:
    assert combine_sources([]).use is Use.UNKNOWN
