"""The internal model: purposes nest, the most restrictive statement wins, evidence is kept."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediamanager.errors import InvalidPreferenceError
from mediamanager.model import (
    Conditions,
    Evidence,
    Payment,
    PaymentModel,
    Preferences,
    Purpose,
    Rule,
    Use,
    combine_rules,
    parse_preference_spec,
)


def ev(use: Use, purpose: Purpose = Purpose.AI_TRAIN, **cond: object) -> Evidence:
    return Evidence(
        source="test", raw=use.value, location="here", purpose=purpose, use=use, conditions=Conditions(**cond)
    )  # type: ignore[arg-type]


def test_purposes_nest_tdm_ai_train_genai_train() -> None:
    assert Purpose.GENAI_TRAIN.lineage() == (Purpose.GENAI_TRAIN, Purpose.AI_TRAIN, Purpose.TDM)
    assert Purpose.SEARCH.lineage() == (Purpose.SEARCH,)
    assert set(Purpose.TDM.descendants()) == {Purpose.AI_TRAIN, Purpose.GENAI_TRAIN}


def test_unknown_purpose_is_a_clear_error() -> None:
    with pytest.raises(InvalidPreferenceError, match="unknown purpose 'train-everything'"):
        Purpose.parse("train-everything")


def test_any_deny_wins_and_all_evidence_is_kept() -> None:
    evidence = [ev(Use.ALLOW), ev(Use.ALLOW_IF, attribution=True), ev(Use.DENY), ev(Use.UNKNOWN)]
    rule = combine_rules(evidence)
    assert rule.use is Use.DENY
    assert rule.evidence == tuple(evidence)


def test_conditions_survive_a_plain_allow_elsewhere() -> None:
    rule = combine_rules(
        [ev(Use.ALLOW), ev(Use.ALLOW_IF, attribution=True), ev(Use.ALLOW_IF, licence_url="https://l")]
    )
    assert rule.use is Use.ALLOW_IF
    assert rule.conditions.attribution and rule.conditions.licence_url == "https://l"


def test_silence_and_errors_are_unknown_never_allow() -> None:
    assert combine_rules([]).use is Use.UNKNOWN
    broken = Evidence(
        source="robots.txt",
        raw="\x00",
        location="x",
        purpose=Purpose.AI_TRAIN,
        use=Use.ALLOW,
        error="binary garbage",
    )
    assert combine_rules([broken]).use is Use.UNKNOWN


def test_parent_deny_denies_children_but_child_allow_says_nothing_of_parent() -> None:
    prefs = Preferences(
        {
            Purpose.TDM: Rule(Use.DENY, evidence=(ev(Use.DENY, Purpose.TDM),)),
            Purpose.GENAI_TRAIN: Rule(Use.ALLOW),
        }
    )
    assert prefs.effective(Purpose.GENAI_TRAIN).use is Use.DENY
    assert prefs.effective(Purpose.AI_TRAIN).use is Use.DENY
    child_only = Preferences({Purpose.GENAI_TRAIN: Rule(Use.ALLOW)})
    assert child_only.effective(Purpose.TDM).use is Use.UNKNOWN
    assert child_only.effective(Purpose.AI_INPUT).use is Use.UNKNOWN


def test_preference_spec_parses_conditions() -> None:
    prefs = parse_preference_spec(
        "genai-train=deny, ai-input=allow-if:attribution+payment=per-item/0.01 usd+expires=2030-01-01"
    )
    assert prefs.stated(Purpose.GENAI_TRAIN).use is Use.DENY
    rule = prefs.stated(Purpose.AI_INPUT)
    assert rule.use is Use.ALLOW_IF
    assert rule.conditions.payment == Payment(PaymentModel.PER_ITEM, Decimal("0.01"), "USD")
    assert rule.conditions.expires == datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "spec",
    [
        "ai-train",
        "ai-train=maybe",
        "nope=deny",
        "ai-input=allow-if",
        "ai-input=allow-if:bribe",
        "ai-input=allow-if:payment=per-item/abc",
    ],
)
def test_bad_preference_specs_are_rejected(spec: str) -> None:
    with pytest.raises(InvalidPreferenceError):
        parse_preference_spec(spec)


uses = st.sampled_from([Use.ALLOW, Use.DENY, Use.UNKNOWN, Use.ALLOW_IF])
purposes = st.sampled_from(list(Purpose))


@given(st.lists(st.tuples(purposes, uses), max_size=10))
def test_preferences_round_trip_through_dict(items: list[tuple[Purpose, Use]]) -> None:
    rules = {
        p: Rule(u, Conditions(attribution=u is Use.ALLOW_IF), (ev(u, p, attribution=u is Use.ALLOW_IF),))
        for p, u in items
    }
    prefs = Preferences(rules)
    assert Preferences.from_dict(prefs.to_dict()) == prefs


@given(st.lists(uses, min_size=1, max_size=8))
def test_combine_is_order_independent_and_most_restrictive(seq: list[Use]) -> None:
    evidence = [ev(u, attribution=u is Use.ALLOW_IF) for u in seq]
    a, b = combine_rules(evidence), combine_rules(list(reversed(evidence)))
    assert a.use is b.use
    assert a.use.restrictiveness == max(u.restrictiveness for u in seq)
