"""The curated public API of mediamanager.signals and the contract names other parts rely on."""

from __future__ import annotations

import inspect

import mediamanager.signals as signals

CONTRACT = [
    "read_signals",
    "robots_allowed",
    "emit_robots_txt",
    "emit_content_usage",
    "emit_content_signal",
    "emit_ai_txt",
    "emit_tdmrep_json",
    "emit_rsl",
    "parse_robots_txt",
    "parse_content_usage",
    "parse_content_signal",
    "parse_ai_txt",
    "parse_tdmrep_json",
    "parse_x_robots_tag",
    "parse_rsl",
    "AIAgent",
    "load_agents",
    "Capture",
]


def test_all_is_exact_and_public() -> None:
    exported = signals.__all__
    assert len(set(exported)) == len(exported)
    assert all(hasattr(signals, n) and not n.startswith("_") for n in exported)
    assert set(CONTRACT) <= set(exported)


def test_contract_signatures() -> None:
    assert list(inspect.signature(signals.read_signals).parameters) == ["capture", "user_agent"]
    assert list(inspect.signature(signals.robots_allowed).parameters) == ["robots_txt", "url", "user_agent"]
    assert list(inspect.signature(signals.emit_robots_txt).parameters) == ["prefs", "agents"]
    assert list(inspect.signature(signals.emit_tdmrep_json).parameters) == ["prefs", "location"]
    assert inspect.signature(signals.emit_tdmrep_json).parameters["location"].default == "/*"
    assert list(inspect.signature(signals.emit_rsl).parameters) == ["prefs", "content_url"]
    for name in ("emit_content_usage", "emit_content_signal", "emit_ai_txt"):
        assert list(inspect.signature(getattr(signals, name)).parameters) == ["prefs"]
