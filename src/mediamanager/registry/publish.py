"""Render an owner's domain preferences in the formats crawlers read (the signals package emits them).

The site-wide statement is the owner's pattern for the whole domain (``example.com`` or
``example.com/*``), if any; it drives the ``Content-Usage`` and ``Content-Signal`` lines and
ai.txt, which describe a whole site. A path-scoped pattern (``example.com/photos/*``) is never
flattened to the whole site: robots.txt gets one ``Disallow``/``Allow`` line per pattern in each
AI agent's group (crawlers apply the longest matching path, RFC 9309 section 2.2.2), and
tdmrep.json one entry per pattern, most specific first.
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


def _robots_path(pattern: str) -> str:
    """A robots.txt path for a host/path pattern: ``example.com/photos/*`` -> ``/photos/`` (rules are prefixes)."""
    path = _path_of(pattern).rstrip("*")
    return path or "/"


def _robots_txt(head: str, ordered: Sequence[PreferenceRecord], agents: Sequence[Any]) -> str:
    """The ``User-Agent: *`` group from ``head``, then one group per AI agent kept out of some path.

    Each pattern gives the agent ``Disallow`` where its purpose is denied or allowed only with conditions
    (a crawler cannot see conditions), and ``Allow`` where it is plainly allowed, so a more specific
    allow under a denied site, or a denied folder on an open site, reads as the owner stated it.
    """
    from mediamanager.model import Use

    lines = [head.rstrip("\n")]
    for agent in agents:
        rules: list[str] = []
        for rec in reversed(ordered):  # most specific first, as people read robots.txt
            use = rec.preferences.effective(agent.purpose).use
            if use in (Use.DENY, Use.ALLOW_IF):
                rules.append(f"Disallow: {_robots_path(rec.target)}")
            elif use is Use.ALLOW:
                rules.append(f"Allow: {_robots_path(rec.target)}")
        if any(r.startswith("Disallow") for r in rules):
            lines += ["", f"User-Agent: {agent.name}", *dict.fromkeys(rules)]
    return "\n".join(lines) + "\n"


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
    whole = [r for r in ordered if _robots_path(r.target) == "/"]
    site = whole[0].preferences if whole else Preferences()
    agents = load_agents(agents_path)
    tdmrep: list[Any] = []
    for rec in reversed(ordered):  # most specific first: tdmrep.json readers take the first matching entry
        tdmrep.extend(json.loads(emit_tdmrep_json(rec.preferences, _path_of(rec.target))))
    if not ordered:
        tdmrep = json.loads(emit_tdmrep_json(site, "/*"))
    return {
        "robots_txt": _robots_txt(emit_robots_txt(site, []), ordered, agents),
        "content_usage": emit_content_usage(site),
        "content_signal": emit_content_signal(site),
        "ai_txt": emit_ai_txt(site),
        "tdmrep_json": tdmrep,
    }
