"""Hypothesis round trips: parse(emit(p)) gives back what each format can say of p.

Formats without conditions write allow-if as a refusal (a crawler cannot see
conditions), so their projection of p maps allow-if to deny; RSL keeps uses and
payment terms; TDMRep keeps one bit for the tdm family plus a policy URL.
"""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from mediamanager.model import (
    Conditions,
    Payment,
    PaymentModel,
    Preferences,
    Purpose,
    Rule,
    Use,
)
from mediamanager.signals import (
    emit_ai_txt,
    emit_content_signal,
    emit_content_usage,
    emit_robots_txt,
    emit_rsl,
    emit_tdmrep_json,
    parse_ai_txt,
    parse_content_signal,
    parse_content_usage,
    parse_robots_txt,
    parse_rsl,
    parse_tdmrep_json,
    preferences_from,
)

URLS = st.sampled_from([None, "https://licence.example/terms", "https://pay.example/p?x=1&y=2"])
payments = st.builds(
    Payment,
    model=st.sampled_from(list(PaymentModel)),
    amount=st.one_of(st.none(), st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(1000), places=4)),
    currency=st.one_of(st.none(), st.sampled_from(["USD", "EUR"])),
    url=URLS,
)
conditions = st.builds(
    Conditions,
    attribution=st.booleans(),
    payment=st.one_of(st.none(), payments),
    licence_url=URLS,
    note=st.one_of(st.none(), st.just("research only")),
).filter(lambda c: not c.is_empty())


@st.composite
def preferences(draw: st.DrawFn) -> Preferences:
    rules = {}
    for purpose in Purpose:
        use = draw(st.sampled_from(list(Use)))
        if use is Use.UNKNOWN:
            continue
        cond = draw(conditions) if use is Use.ALLOW_IF else Conditions()
        rules[purpose] = Rule(use, cond)
    return Preferences(rules)


ROUNDTRIP = settings(max_examples=150, deadline=None)


def _refusal(use: Use) -> str | None:
    return {Use.ALLOW: "allow", Use.DENY: "deny", Use.ALLOW_IF: "deny"}.get(use)


def _project(prefs: Preferences, purposes: list[Purpose]) -> dict[str, str]:
    out = {}
    for p in purposes:
        use = _refusal(prefs.effective(p).use)
        if use:
            out[p.value] = use
    return out


@ROUNDTRIP
@given(preferences())
def test_content_usage_round_trip(prefs: Preferences) -> None:
    got = preferences_from(parse_content_usage(emit_content_usage(prefs))).simple()
    assert got == _project(prefs, [Purpose.GENAI_TRAIN, Purpose.SEARCH])


@ROUNDTRIP
@given(preferences())
def test_content_signal_round_trip(prefs: Preferences) -> None:
    got = preferences_from(parse_content_signal(emit_content_signal(prefs))).simple()
    assert got == _project(prefs, [Purpose.SEARCH, Purpose.AI_INPUT, Purpose.AI_TRAIN])


@ROUNDTRIP
@given(preferences())
def test_ai_txt_round_trip(prefs: Preferences) -> None:
    got = preferences_from(parse_ai_txt(emit_ai_txt(prefs), url="https://x/a/b.png")).simple()
    assert got == _project(prefs, [Purpose.AI_TRAIN])


@ROUNDTRIP
@given(preferences())
def test_robots_txt_round_trip(prefs: Preferences) -> None:
    got = preferences_from(parse_robots_txt(emit_robots_txt(prefs), url="https://x/a")).simple()
    expected = _project(prefs, list(Purpose))
    # tdm has no Content-Usage/Content-Signal label: only a refusal (crawler groups) can say it.
    if expected.get("tdm") == "allow":
        del expected["tdm"]
    assert got == expected


@ROUNDTRIP
@given(preferences())
def test_tdmrep_json_round_trip(prefs: Preferences) -> None:
    text = emit_tdmrep_json(prefs, "/*")
    assert isinstance(json.loads(text), list)
    rule = preferences_from(parse_tdmrep_json(text, url="https://x/any/path")).stated(Purpose.TDM)
    family = [prefs.effective(p) for p in (Purpose.TDM, Purpose.AI_TRAIN, Purpose.GENAI_TRAIN)]
    urls = [
        r.conditions.licence_url or (r.conditions.payment.url if r.conditions.payment else None)
        for r in family
        if r.use is Use.ALLOW_IF
    ]
    if any(r.use is Use.DENY for r in family) or (
        family and any(r.use is Use.ALLOW_IF for r in family) and not any(urls)
    ):
        assert rule.use is Use.DENY
    elif any(urls):
        assert rule.use is Use.ALLOW_IF and rule.conditions.licence_url == next(u for u in urls if u)
    elif family[0].use is Use.ALLOW:
        assert rule.use is Use.ALLOW
    else:
        assert rule.use is Use.UNKNOWN


def _payment_terms(p: Payment | None) -> tuple[object, ...] | None:
    if p is None:
        return None
    model = PaymentModel.PER_ITEM if p.model is PaymentModel.PER_TOKEN else p.model
    # RSL writes a currency only on an <amount>; a currency without an amount says nothing.
    return (model, p.amount, p.currency if p.amount is not None else None)


@ROUNDTRIP
@given(preferences())
def test_rsl_round_trip(prefs: Preferences) -> None:
    got = preferences_from(parse_rsl(emit_rsl(prefs, "https://x/a"), content_url="https://x/a"))
    assert got.simple() == prefs.simple()
    for purpose, rule in prefs:
        if rule.use is Use.ALLOW_IF:
            back = got.stated(purpose).conditions
            assert back.attribution == rule.conditions.attribution
            if rule.conditions.payment is not None:
                assert _payment_terms(back.payment) == _payment_terms(rule.conditions.payment)
