"""The model's rule logic (red-team D1, D3, D5a): expiry, specificity within one source only, naive times.

Expected values are written from the rules in docs/decisions.md, not read from the code.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mediamanager.errors import MissingExtraError
from mediamanager.model import Conditions, Evidence, Preferences, Purpose, Use, combine_rules
from mediamanager.signals.capture import Capture
from mediamanager.signals.combine import preferences_from, read_signals

G = Purpose.GENAI_TRAIN


def _ev(source: str, purpose: Purpose, use: Use, **cond: object) -> Evidence:
    return Evidence(source, f"{purpose.value}={use.value}", "here", purpose=purpose, use=use,
                    conditions=Conditions(**cond))  # type: ignore[arg-type]  # fmt: skip


def test_an_expired_permission_is_no_permission() -> None:
    licence = _ev("c2pa", G, Use.ALLOW_IF, attribution=True, expires=datetime(2020, 1, 1, tzinfo=UTC))
    assert combine_rules([licence]).use is Use.ALLOW_IF  # no time given: as stated
    rule = combine_rules([licence], now=datetime(2026, 6, 1, tzinfo=UTC))
    assert (rule.use, rule.conditions) == (Use.UNKNOWN, Conditions())
    assert rule.evidence[0].raw == "genai-train=allow-if" and "expired at 2020-01-01T00:00:00+00:00" in str(
        rule.evidence[0].detail
    )
    assert combine_rules([licence], now=datetime(2019, 12, 31, tzinfo=UTC)).use is Use.ALLOW_IF
    # A deny does not expire into permission.
    deny = _ev("c2pa", G, Use.DENY, expires=datetime(2020, 1, 1, tzinfo=UTC))
    assert combine_rules([deny], now=datetime(2026, 1, 1, tzinfo=UTC)).use is Use.DENY


def test_preferences_decided_at_a_time_stay_decided() -> None:
    prefs = preferences_from([_ev("registry:work", G, Use.ALLOW_IF, note="n", expires=datetime(2025, 1, 1))])
    at = prefs.at(datetime(2026, 1, 1, tzinfo=UTC))
    assert at.effective(G).use is Use.UNKNOWN  # re-read without a time: still no permission
    assert Preferences.from_dict(at.to_dict()).effective(G).use is Use.UNKNOWN
    assert prefs.effective(G, now=datetime(2024, 1, 1, tzinfo=UTC)).use is Use.ALLOW_IF


def test_a_nearer_allow_from_another_source_does_not_erase_a_licence() -> None:
    """D3: tdm=allow-if in one header, genai-train=allow in another: the licence terms survive."""
    prefs = preferences_from([
        _ev("tdm header", Purpose.TDM, Use.ALLOW_IF, licence_url="https://p.example/l"),
        _ev("Content-Usage header", G, Use.ALLOW),
    ])  # fmt: skip
    rule = prefs.effective(G)
    assert (rule.use, rule.conditions.licence_url) == (Use.ALLOW_IF, "https://p.example/l")
    assert prefs.effective(Purpose.TDM).use is Use.ALLOW_IF
    assert prefs.effective(Purpose.AI_TRAIN).use is Use.ALLOW_IF


def test_within_one_source_the_nearest_statement_governs() -> None:
    prefs = preferences_from([_ev("robots.txt", Purpose.TDM, Use.ALLOW_IF, attribution=True),
                              _ev("robots.txt", G, Use.ALLOW)])  # fmt: skip
    assert prefs.effective(G).use is Use.ALLOW
    # ...and the registry's levels of one owner count as one source.
    prefs = Preferences({
        Purpose.TDM: combine_rules([_ev("registry:domain", Purpose.TDM, Use.ALLOW_IF, attribution=True)]),
        G: combine_rules([_ev("registry:work", G, Use.ALLOW)]),
    })  # fmt: skip
    assert prefs.effective(G).use is Use.ALLOW


def test_naive_expiries_are_read_as_utc_and_merge_without_raising() -> None:
    naive = Conditions(attribution=True, expires=datetime(2030, 1, 1))
    aware = Conditions(expires=datetime(2031, 1, 1, tzinfo=UTC))
    assert naive.expires == datetime(2030, 1, 1, tzinfo=UTC)
    assert naive.merge(aware).expires == datetime(2030, 1, 1, tzinfo=UTC)
    assert aware.merge(naive).expires == datetime(2030, 1, 1, tzinfo=UTC)
    assert Conditions.from_dict({"expires": "2030-01-01T00:00:00"}).expires == datetime(
        2030, 1, 1, tzinfo=UTC
    )
    assert naive.expired(datetime(2030, 1, 1)) and not naive.expired(datetime(2029, 12, 31, 23, 59))
    two = [_ev("registry:work", G, Use.ALLOW_IF, expires=datetime(2030, 1, 1)),
           _ev("registry", G, Use.ALLOW_IF, expires=datetime(2031, 1, 1, tzinfo=UTC))]  # fmt: skip
    assert combine_rules(two, now=datetime(2032, 1, 1)).use is Use.UNKNOWN


def test_a_broken_embedded_reader_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "mediamanager.signals.embedded", None)  # import now raises ImportError
    with pytest.raises(MissingExtraError, match="embedded-signal reader"):
        read_signals(Capture(content=b"\xff\xd8\xff\xe0 not much of a jpeg", filename="a.jpg"))
