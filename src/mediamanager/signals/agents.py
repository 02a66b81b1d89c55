"""AI user agents and the purpose each one's use serves (GPTBot -> ai-train).

Our own curated table ships as package data (``mediamanager/data/ai_agents.json``)::

    {"format": "mediamanager-ai-agents/1",
     "agents": [{"name": "GPTBot", "purpose": "ai-train", "operator": "OpenAI"}, ...]}

:func:`load_agents` also reads the ``robots.json`` of the ai.robots.txt project
(``{"GPTBot": {"operator": ..., "function": ..., ...}, ...}``), which names agents
but not purposes: each agent gets the purpose from our table when we know it,
otherwise :data:`DEFAULT_PURPOSE` (``ai-train``: the use these lists exist to refuse).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from mediamanager.errors import SignalError
from mediamanager.model import Purpose

__all__ = ["DEFAULT_PURPOSE", "AIAgent", "agent_for", "load_agents"]

DEFAULT_PURPOSE = Purpose.AI_TRAIN


@dataclass(frozen=True, slots=True)
class AIAgent:
    """A crawler or usage-control token, the purpose it serves and who runs it."""

    name: str
    purpose: Purpose
    operator: str = ""


@lru_cache(maxsize=1)
def _builtin() -> tuple[AIAgent, ...]:
    text = resources.files("mediamanager").joinpath("data/ai_agents.json").read_text("utf-8")
    return tuple(_from_data(json.loads(text), {}))


def _from_data(data: Any, known: dict[str, AIAgent]) -> list[AIAgent]:
    if isinstance(data, dict) and isinstance(data.get("agents"), list):
        return [
            AIAgent(str(a["name"]), Purpose.parse(str(a["purpose"])), str(a.get("operator", "")))
            for a in data["agents"]
        ]
    if isinstance(data, dict):  # ai.robots.txt robots.json: name -> metadata
        out = []
        for name, meta in data.items():
            ours = known.get(name.lower())
            operator = str(meta.get("operator", "")) if isinstance(meta, dict) else ""
            purpose = ours.purpose if ours is not None else DEFAULT_PURPOSE
            out.append(AIAgent(str(name), purpose, operator))
        return out
    raise SignalError("agent list must be our {'agents': [...]} table or an ai.robots.txt robots.json object")


def load_agents(path: str | Path | None = None) -> list[AIAgent]:
    """Our curated agent table, or the agents of a table file (ours or ai.robots.txt's robots.json)."""
    if path is None:
        return list(_builtin())
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise SignalError(f"cannot read agent list {path}: {exc}") from exc
    known = {a.name.lower(): a for a in _builtin()}
    try:
        return _from_data(data, known)
    except (KeyError, TypeError) as exc:
        raise SignalError(f"agent list {path} is malformed: {exc}") from exc


def agent_for(user_agent: str, agents: list[AIAgent] | None = None) -> AIAgent:
    """The table entry for a user agent (by product token, case-insensitive), or a default-purpose entry."""
    from mediamanager.signals.robots import _product_token

    token = _product_token(user_agent.strip()) or user_agent.strip()
    for agent in agents if agents is not None else _builtin():
        if agent.name.lower() == token.lower():
            return agent
    return AIAgent(token, DEFAULT_PURPOSE, "unknown")
