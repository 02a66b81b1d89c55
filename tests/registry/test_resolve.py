"""Properties of resolving preference levels: the most specific statement wins, unknown stays unknown."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mediamanager.model import Purpose, Use, parse_preference_spec
from mediamanager.registry.resolve import (
    Level,
    domain_pattern_matches,
    normalise_domain_pattern,
    resolve_preferences,
)

_USES = ["allow", "deny", "unknown", "allow-if:attribution"]
_spec = st.dictionaries(st.sampled_from([p.value for p in Purpose]), st.sampled_from(_USES), max_size=5).map(
    lambda d: ",".join(f"{p}={u}" for p, u in d.items())
)
_levels = st.lists(
    st.tuples(st.sampled_from(["work", "collection", "domain"]), _spec), min_size=0, max_size=4
).map(lambda xs: [Level(scope, f"t{i}", parse_preference_spec(spec)) for i, (scope, spec) in enumerate(xs)])


@settings(max_examples=200, deadline=None)
@given(_levels)
def test_first_level_stating_a_purpose_decides_it(levels: list[Level]) -> None:
    resolved = resolve_preferences(levels)
    for purpose in Purpose:
        deciding = next(
            (lv for lv in levels if lv.preferences.effective(purpose).use is not Use.UNKNOWN), None
        )
        rule = resolved.stated(purpose)
        if deciding is None:
            assert rule.use is Use.UNKNOWN and not rule.evidence
        else:
            assert rule.use is deciding.preferences.effective(purpose).use
            assert all(e.location == f"{deciding.scope}:{deciding.target}" for e in rule.evidence)
            assert rule.evidence and rule.evidence[0].source == f"registry:{deciding.scope}"


@settings(max_examples=100, deadline=None)
@given(_levels)
def test_a_deny_on_a_parent_is_never_lifted(levels: list[Level]) -> None:
    resolved = resolve_preferences(levels)
    if resolved.stated(Purpose.TDM).use is Use.DENY:
        assert resolved.effective(Purpose.GENAI_TRAIN).use is Use.DENY


def test_domain_patterns() -> None:
    assert normalise_domain_pattern("https://Example.com/Blog/*") == "example.com/Blog/*"
    assert domain_pattern_matches("example.com", "https://example.com/any/page")
    assert domain_pattern_matches("example.com/blog/*", "https://example.com/blog/post-1")
    assert domain_pattern_matches("example.com/blog/*", "http://example.com/blog")
    assert not domain_pattern_matches("example.com/blog/*", "https://example.com/shop/x")
    assert not domain_pattern_matches("example.com", "https://evil-example.com/")
    assert domain_pattern_matches("*.example.com", "https://img.example.com/a.png")
