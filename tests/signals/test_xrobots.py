"""X-Robots-Tag and meta robots: Spawning datadiligence's header cases (all 43) and our deliberate differences."""

from __future__ import annotations

from typing import Any

from mediamanager.model import Purpose, Use
from mediamanager.signals import parse_tdm_headers, parse_x_robots_tag, preferences_from
from mediamanager.signals.xrobots import parse_html_meta_robots


def _blocks_ai(evidence: list[Any]) -> bool:
    """datadiligence's 'not allowed' in our terms: AI training is denied or only allowed with conditions."""
    prefs = preferences_from(evidence)
    return any(prefs.effective(p).use in (Use.DENY, Use.ALLOW_IF) for p in (Purpose.TDM, Purpose.GENAI_TRAIN))


def test_all_43_datadiligence_header_cases(datadiligence_cases: dict[str, Any]) -> None:
    cases = datadiligence_cases["header_value_cases"]
    assert len(cases) == 43
    failures = []
    for case in cases:
        value, agent = case["value"], case["user_agent"]
        if case["header"] == "X-Robots-Tag":
            evidence = parse_x_robots_tag(value, user_agent=agent)
        else:
            evidence = parse_tdm_headers([] if value is None else [("tdm-reservation", value)])
        if (not _blocks_ai(evidence)) != case["expected_allowed"]:
            failures.append(case)
    print(f"datadiligence header cases: {43 - len(failures)}/43")
    assert not failures


def test_where_we_differ_from_datadiligence_absent_is_unknown_not_allowed() -> None:
    """datadiligence fails open: no header means 'allowed'. For us it is unknown, never permission."""
    prefs = preferences_from(parse_x_robots_tag(None) + parse_tdm_headers([]))
    assert prefs.effective(Purpose.AI_TRAIN).use is Use.UNKNOWN
    prefs = preferences_from(parse_tdm_headers([("tdm-reservation", "other")]))
    assert prefs.effective(Purpose.TDM).use is Use.UNKNOWN  # a protocol error is 'unset', not allow
    assert "protocol error" in (prefs.stated(Purpose.TDM).evidence[0].detail or "")


def test_where_we_differ_directives_are_case_insensitive_and_known_agents_count() -> None:
    # datadiligence compares case-sensitively and ignores every scoped token without a rule user agent.
    assert preferences_from(parse_x_robots_tag("NOAI")).effective(Purpose.AI_TRAIN).use is Use.DENY
    gpt = preferences_from(parse_x_robots_tag("GPTBot: noai"))
    assert gpt.effective(Purpose.AI_TRAIN).use is Use.DENY
    assert "scoped to GPTBot" in (gpt.stated(Purpose.AI_TRAIN).evidence[0].detail or "")
    assert parse_x_robots_tag("somebot: noai") == []


def test_scope_carries_to_following_directives_and_argument_directives_are_not_scopes() -> None:
    ev = parse_x_robots_tag("otherbot: noindex, noai", user_agent="mybot")
    assert ev == []  # both belong to otherbot
    ev = parse_x_robots_tag("unavailable_after: 2030-01-01, noai")
    assert [e.purpose for e in ev] == [Purpose.AI_TRAIN]


def test_noindex_denies_search_and_noimageai_denies_genai_training() -> None:
    prefs = preferences_from(parse_x_robots_tag(["noindex", "noimageai"]))
    assert prefs.simple() == {"genai-train": "deny", "search": "deny"}
    assert prefs.effective(Purpose.AI_TRAIN).use is Use.UNKNOWN


def test_html_meta_robots_and_per_agent_meta() -> None:
    html = '<head><meta name="robots" content="noai, noimageai"><meta name="GPTBot" content="noindex"></head>'
    prefs = preferences_from(parse_html_meta_robots(html))
    assert prefs.simple() == {"ai-train": "deny", "genai-train": "deny", "search": "deny"}
    assert preferences_from(parse_html_meta_robots('<meta name="otherbot" content="noai">')).simple() == {}


def test_datadiligence_server_fixtures(datadiligence_cases: dict[str, Any]) -> None:
    fixtures = datadiligence_cases["x_robots_tag_server_fixtures"]
    expected_blocked = {
        ("/ai", None): False,
        ("/noai", None): True,
        ("/user_agents", "spawningbot"): False,
        ("/user_agents", None): False,
        ("/user_agents_noai", "spawningbot"): True,
        ("/noindex", None): False,
    }
    for (route, agent), blocked in expected_blocked.items():
        assert _blocks_ai(parse_x_robots_tag(fixtures[route], user_agent=agent)) is blocked, (route, agent)
    search = preferences_from(parse_x_robots_tag(fixtures["/noindex"])).effective(Purpose.SEARCH)
    assert search.use is Use.DENY
