"""Render an owner's domain preferences in the formats crawlers read (the signals package emits them).

The site-wide statement is the owner's least specific pattern on the domain
(``example.com`` or ``example.com/*``); it drives robots.txt, the
``Content-Usage`` and ``Content-Signal`` lines and ai.txt, which describe a whole
site. tdmrep.json can say different things per path, so it gets one entry per
pattern, most specific first.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mediamanager.model import Preferences
from mediamanager.registry.records import PreferenceRecord

__all__ = ["render_signals"]


def _path_of(pattern: str) -> str:
    _, _, path = pattern.partition("/")
    return "/" + path if path else "/*"


def render_signals(records: Sequence[PreferenceRecord], *, agents_path: str | None = None) -> dict[str, Any]:
    """``robots_txt``, ``content_usage``, ``content_signal``, ``ai_txt`` and ``tdmrep_json`` for one domain."""
    from mediamanager.signals import (
        emit_ai_txt,
        emit_content_signal,
        emit_content_usage,
        emit_robots_txt,
        emit_tdmrep_json,
        load_agents,
    )

    ordered = sorted(records, key=lambda r: len(_path_of(r.target).rstrip("*")))
    site = ordered[0].preferences if ordered else Preferences()
    agents = load_agents(agents_path)
    tdmrep: list[Any] = []
    for rec in reversed(ordered):  # most specific first: tdmrep.json readers take the first matching entry
        tdmrep.extend(json.loads(emit_tdmrep_json(rec.preferences, _path_of(rec.target))))
    if not ordered:
        tdmrep = json.loads(emit_tdmrep_json(site, "/*"))
    return {
        "robots_txt": emit_robots_txt(site, agents),
        "content_usage": emit_content_usage(site),
        "content_signal": emit_content_signal(site),
        "ai_txt": emit_ai_txt(site),
        "tdmrep_json": tdmrep,
    }
