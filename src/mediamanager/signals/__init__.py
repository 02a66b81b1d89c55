"""Read and write every AI-usage preference format, into the one model of :mod:`mediamanager.model`.

Pure: no network, no database. Parsers take captured text or bytes and return
``list[Evidence]`` (error entries for anything unreadable, never a crash and
never an allow); emitters are pure functions of :class:`~mediamanager.model.Preferences`.
:func:`read_signals` combines everything captured for one record.
"""

from __future__ import annotations

from mediamanager.signals.agents import AIAgent, load_agents
from mediamanager.signals.aipref import emit_content_usage, parse_content_usage
from mediamanager.signals.aitxt import emit_ai_txt, parse_ai_txt
from mediamanager.signals.capture import Capture
from mediamanager.signals.combine import collect_signals, preferences_from, read_signals
from mediamanager.signals.content_signal import emit_content_signal, parse_content_signal
from mediamanager.signals.robots import emit_robots_txt, parse_robots_txt, robots_allowed
from mediamanager.signals.rsl import emit_rsl, parse_rsl
from mediamanager.signals.tdmrep import emit_tdmrep_json, parse_tdm_headers, parse_tdmrep_json
from mediamanager.signals.xrobots import parse_x_robots_tag

__all__ = [
    "AIAgent",
    "Capture",
    "collect_signals",
    "emit_ai_txt",
    "emit_content_signal",
    "emit_content_usage",
    "emit_robots_txt",
    "emit_rsl",
    "emit_tdmrep_json",
    "load_agents",
    "parse_ai_txt",
    "parse_content_signal",
    "parse_content_usage",
    "parse_robots_txt",
    "parse_rsl",
    "parse_tdm_headers",
    "parse_tdmrep_json",
    "parse_x_robots_tag",
    "preferences_from",
    "read_signals",
    "robots_allowed",
]
