"""Helpers shared by the signals tests (imported as a plain module: tests/ has no packages)."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import HealthCheck, settings

# Fuzz tests run briefly by default (CI); raise with HYPOTHESIS_PROFILE=fuzz-long.
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz-long", max_examples=5000, deadline=None)


def robots_body(entry: dict[str, Any]) -> str | bytes:
    """The robots.txt of a Google suite case (text, or base64 for byte-exact cases)."""
    return entry["text"] if "text" in entry else base64.b64decode(entry["text_b64"])
