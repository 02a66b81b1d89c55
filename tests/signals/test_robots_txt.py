"""robots.txt as AI-usage evidence: agent groups, Content-Signal, License, hostile input, the writer."""

from __future__ import annotations

import time

import pytest

from mediamanager.model import Purpose, Use, parse_preference_spec
from mediamanager.signals import AIAgent, emit_robots_txt, parse_robots_txt, preferences_from, robots_allowed
from mediamanager.signals.robots import MAX_LINE_BYTES, MAX_ROBOTS_BYTES, parse_robots, url_path

CLOUDFLARE_MANAGED = """# BEGIN Cloudflare Managed content
User-Agent: *
Content-signal: search=yes, ai-train=no
Allow: /
User-agent: Amazonbot
Disallow: /
User-agent: Applebot-Extended
Disallow: /
User-agent: Bytespider
Disallow: /
User-agent: CCBot
Disallow: /
User-agent: ClaudeBot
Disallow: /
User-agent: Google-Extended
Disallow: /
User-agent: GPTBot
Disallow: /
User-agent: meta-externalagent
Disallow: /
# END Cloudflare Managed Content
"""


def test_ai_agent_groups_read_as_denies_for_their_purposes() -> None:
    prefs = preferences_from(parse_robots_txt(CLOUDFLARE_MANAGED, url="https://example.com/a"))
    assert prefs.simple() == {
        "ai-input": "deny",  # Amazonbot
        "ai-train": "deny",  # GPTBot, ClaudeBot, ... and Content-signal ai-train=no
        "genai-train": "deny",  # Google-Extended, Applebot-Extended
        "search": "allow",  # Content-signal search=yes
        "tdm": "deny",  # CCBot
    }
    gpt = [e for e in prefs.stated(Purpose.AI_TRAIN).evidence if "GPTBot" in (e.detail or "")]
    assert gpt and gpt[0].raw == "Disallow: /"


def test_only_the_captured_path_counts_and_an_allow_is_not_permission() -> None:
    robots = "User-agent: GPTBot\nDisallow: /private/\n"
    assert preferences_from(parse_robots_txt(robots, url="https://x/public")).simple() == {}
    assert preferences_from(parse_robots_txt(robots, url="https://x/private/a")).simple() == {
        "ai-train": "deny"
    }


def test_the_global_group_counts_for_every_agent_without_its_own() -> None:
    prefs = preferences_from(parse_robots_txt("User-agent: *\nDisallow: /\n", url="https://x/a"))
    assert prefs.effective(Purpose.GENAI_TRAIN).use is Use.DENY
    assert "the * group" in (prefs.stated(Purpose.TDM).evidence[0].detail or "")


def test_the_readers_own_user_agent_is_checked_with_its_table_purpose_or_the_default() -> None:
    robots = "User-agent: MyResearchBot\nDisallow: /\n"
    prefs = preferences_from(
        parse_robots_txt(robots, url="https://x/a", user_agent="MyResearchBot/2.1", agents=[])
    )
    assert prefs.simple() == {"ai-train": "deny"}


def test_license_lines_are_collected_for_rsl_discovery() -> None:
    robots = "License: https://example.com/license.xml\nUser-agent: *\nAllow: /\n"
    assert parse_robots(robots).licenses == ["https://example.com/license.xml"]


def test_url_path() -> None:
    assert url_path("https://example.com") == "/"
    assert url_path("https://example.com/a/b?q=1#frag") == "/a/b?q=1"
    assert url_path("https://example.com?x") == "/?x"
    assert url_path("/relative/path") == "/relative/path"


def test_100_mb_robots_txt_is_capped_at_500_kib_bounded_time_and_reported() -> None:
    line = b"Disallow: /x" + b"a" * 100 + b"\n"
    huge = b"User-agent: GPTBot\n" + line * (100 * 1024 * 1024 // len(line))
    assert len(huge) > 99 * 1024 * 1024
    start = time.perf_counter()
    evidence = parse_robots_txt(huge, url="https://x/xaaa")
    assert robots_allowed(huge, "https://x/elsewhere", "GPTBot")
    elapsed = time.perf_counter() - start
    errors = [e for e in evidence if e.error]
    assert errors and str(MAX_ROBOTS_BYTES) in (errors[0].error or "")
    assert parse_robots(huge).truncated
    assert elapsed < 20, elapsed


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 1000,
        b"\x00\x01\x02User-agent: *\nDisallow: /\n",
        b"User-agent: *\nDisallow: /\xff\xfe\n",
    ],
)
def test_binary_garbage_and_invalid_utf8_give_errors_and_never_allow(data: bytes) -> None:
    evidence = parse_robots_txt(data, url="https://x/a")
    assert any(e.error for e in evidence)
    prefs = preferences_from(evidence)
    assert all(u is not Use.ALLOW for u in prefs.uses().values())


def test_pathological_wildcards_stay_bounded() -> None:
    pattern = "/" + "*a" * (MAX_LINE_BYTES // 2 - 2) + "b"
    robots = "User-agent: *\n" + ("Disallow: " + pattern + "\n") * 20
    start = time.perf_counter()
    assert robots_allowed(robots, "https://x/" + "a" * 8000, "bot")
    assert not robots_allowed(robots, "https://x/" + "a" * 9000 + "b", "bot")
    assert time.perf_counter() - start < 15


def test_emit_robots_txt_blocks_agents_of_denied_purposes() -> None:
    text = emit_robots_txt(parse_preference_spec("ai-train=deny,search=allow"))
    assert "User-Agent: GPTBot\nDisallow: /" in text
    assert "User-Agent: OAI-SearchBot" not in text
    assert robots_allowed(text, "https://x/a", "OAI-SearchBot")
    assert not robots_allowed(text, "https://x/a", "GPTBot")
    assert "Content-Signal: search=yes, ai-train=no" in text


def test_ai_agent_names_with_digits_or_spaces_count_for_evidence_but_not_for_the_strict_answer() -> None:
    robots = "User-agent: AI2Bot\nUser-agent: img2dataset\nUser-agent: ChatGPT Agent\nDisallow: /\n"
    # RFC 9309 tokens have no digits: the plain answer follows the compliance suite.
    assert robots_allowed(robots, "https://x/a", "AI2Bot")
    agents = [AIAgent("AI2Bot", Purpose.AI_TRAIN), AIAgent("ChatGPT Agent", Purpose.AI_INPUT)]
    prefs = preferences_from(parse_robots_txt(robots, url="https://x/a", agents=agents))
    assert prefs.simple() == {"ai-input": "deny", "ai-train": "deny"}
