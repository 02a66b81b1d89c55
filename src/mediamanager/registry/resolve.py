"""Effective preferences of a work: the most specific level that states a purpose wins, with evidence.

Levels, most specific first:

1. ``work`` - preferences set on the work itself;
2. ``collection`` - preferences set on the owner's collection the work belongs to;
3. ``domain`` - preferences set on a host and path pattern (``example.com/photos/*``)
   matching one of the work's source URLs; a longer pattern is more specific.

For each purpose, the first level whose own effective rule (applying the
nesting ``tdm`` ⊃ ``ai-train`` ⊃ ``genai-train`` inside that level) is not
*unknown* governs it. Its evidence is re-labelled ``registry:<level>`` with the
location ``<level>:<target>`` so a reader sees which level decided. Consumers
apply the nesting again across purposes, so a ``tdm`` deny still denies
``genai-train``: a more specific allow never quietly lifts a broader deny.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from mediamanager.errors import InvalidPreferenceError
from mediamanager.model import Preferences, Purpose, Rule, Use

__all__ = [
    "LEVELS",
    "Level",
    "domain_pattern_matches",
    "normalise_domain_pattern",
    "order_levels",
    "resolve_preferences",
    "specificity",
]

LEVELS = ("work", "collection", "domain")


@dataclass(frozen=True)
class Level:
    """Preferences stated at one level for one target."""

    scope: str
    target: str
    preferences: Preferences


def normalise_domain_pattern(pattern: str) -> str:
    """``https://Example.com/Blog/*`` -> ``example.com/Blog/*``; rejects empty or spaced patterns."""
    p = pattern.strip()
    if "://" in p:
        p = p.split("://", 1)[1]
    host, _, path = p.partition("/")
    host = host.lower()
    if not host or any(c.isspace() for c in p) or len(p) > 500:
        raise InvalidPreferenceError(f"bad domain pattern {pattern!r}; expected HOST[/PATH-PATTERN]")
    return host + ("/" + path if path else "")


def _host_path(url: str) -> str:
    parts = urlsplit(url if "://" in url else "//" + url)
    return (parts.hostname or "").lower() + (parts.path or "/")


def domain_pattern_matches(pattern: str, url: str) -> bool:
    """Whether a work at ``url`` falls under the host/path ``pattern`` (a bare host covers the whole site)."""
    target = _host_path(url)
    if "/" not in pattern:
        host = target.split("/", 1)[0]
        return fnmatch.fnmatchcase(host, pattern)
    return fnmatch.fnmatchcase(target, pattern) or fnmatch.fnmatchcase(
        target, pattern.rstrip("*").rstrip("/")
    )


def specificity(pattern: str) -> int:
    """How specific a host/path pattern is: its length without wildcards."""
    return len(pattern.replace("*", "").replace("?", ""))


def order_levels(
    work: Level | None, collection: Level | None, domains: Iterable[Level], source_urls: Sequence[str]
) -> list[Level]:
    """The levels that apply to a work, most specific first."""
    out = [lv for lv in (work, collection) if lv is not None]
    matching = [d for d in domains if any(domain_pattern_matches(d.target, u) for u in source_urls)]
    out.extend(sorted(matching, key=lambda d: specificity(d.target), reverse=True))
    return out


def resolve_preferences(levels: Sequence[Level]) -> Preferences:
    """Combine levels (most specific first) into one Preferences whose evidence names the deciding level."""
    rules: dict[Purpose, Rule] = {}
    for purpose in Purpose:
        for level in levels:
            rule = level.preferences.effective(purpose)
            if rule.use is Use.UNKNOWN:
                continue
            evidence = tuple(
                replace(
                    e,
                    source=f"registry:{level.scope}",
                    location=f"{level.scope}:{level.target}",
                    detail=f"decided at the {level.scope} level, the most specific one stating it",
                )
                for e in rule.evidence
            )
            rules[purpose] = Rule(rule.use, rule.conditions, evidence)
            break
    return Preferences(rules)
