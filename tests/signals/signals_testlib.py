"""Helpers shared by the signals tests (imported as a plain module: tests/ has no packages)."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import HealthCheck, settings

from mediamanager.model import Conditions, Evidence, Preferences, Purpose, Use, combine_rules


def fuzz_settings(ci_examples: int) -> settings:
    """Settings for a fuzz target: ``ci_examples`` under the default profile, else the loaded profile's count.

    Profiles (``fuzz-long``, ``fuzz-smoke``) are registered in tests/conftest.py and chosen with
    ``--hypothesis-profile=NAME`` or ``HYPOTHESIS_PROFILE=NAME``; an explicit count here would override them.
    """
    # "ci" is the profile Hypothesis loads by itself when CI is set: it counts as the default here.
    loaded = settings.get_current_profile_name() not in ("default", "ci")
    examples = settings().max_examples if loaded else ci_examples
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


# Fuzz tests run briefly by default (CI); run longer with --hypothesis-profile=fuzz-long.
FUZZ = fuzz_settings(60)


def robots_body(entry: dict[str, Any]) -> str | bytes:
    """The robots.txt of a Google suite case (text, or base64 for byte-exact cases)."""
    return entry["text"] if "text" in entry else base64.b64decode(entry["text_b64"])


def stated(evidence: list[Evidence]) -> dict[Purpose, tuple[Use, Conditions]]:
    """What the evidence says per purpose, combined by the most-restrictive rule."""
    out = {}
    for p in Purpose:
        rule = combine_rules(e for e in evidence if e.purpose is p)
        if rule.use is not Use.UNKNOWN:
            out[p] = (rule.use, rule.conditions)
    return out


def wanted(prefs: Preferences) -> dict[Purpose, tuple[Use, Conditions]]:
    """The stated (non-unknown) use and conditions per purpose of ``prefs``."""
    return {p: (r.use, r.conditions) for p, r in prefs if r.use is not Use.UNKNOWN}
