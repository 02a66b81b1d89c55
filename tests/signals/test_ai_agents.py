"""The curated AI agent table and the ai.robots.txt robots.json reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediamanager.errors import SignalError
from mediamanager.model import Purpose
from mediamanager.signals import load_agents
from mediamanager.signals.agents import DEFAULT_PURPOSE, agent_for


def test_builtin_table_maps_major_crawlers_to_purposes() -> None:
    agents = {a.name: a for a in load_agents()}
    assert len(agents) >= 30
    assert agents["GPTBot"].purpose is Purpose.AI_TRAIN
    assert agents["ChatGPT-User"].purpose is Purpose.AI_INPUT
    assert agents["OAI-SearchBot"].purpose is Purpose.SEARCH
    assert agents["Google-Extended"].purpose is Purpose.GENAI_TRAIN
    assert agents["CCBot"].purpose is Purpose.TDM
    assert agents["ClaudeBot"].operator == "Anthropic"


def test_reads_ai_robots_txt_json_with_our_purposes_or_the_default(test_data: Path) -> None:
    agents = load_agents(test_data / "ai-robots-txt" / "robots.json")
    assert len(agents) == 166
    by_name = {a.name: a for a in agents}
    assert by_name["GPTBot"].purpose is Purpose.AI_TRAIN
    assert by_name["OAI-SearchBot"].purpose is Purpose.SEARCH
    unknown = [a for a in agents if a.name.lower() not in {b.name.lower() for b in load_agents()}]
    assert unknown and all(a.purpose is DEFAULT_PURPOSE for a in unknown)


def test_agent_for_uses_the_product_token() -> None:
    assert agent_for("GPTBot/1.2").purpose is Purpose.AI_TRAIN
    assert agent_for("gptbot").name == "GPTBot"
    assert agent_for("SomethingNew/1.0").purpose is DEFAULT_PURPOSE


def test_bad_agent_file(tmp_path: Path) -> None:
    bad = tmp_path / "a.json"
    bad.write_text("[1, 2]")
    with pytest.raises(SignalError):
        load_agents(bad)
    with pytest.raises(SignalError):
        load_agents(tmp_path / "missing.json")
