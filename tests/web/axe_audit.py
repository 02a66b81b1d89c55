"""axe-core in real chromium: inject the pinned ``axe.min.js`` into a Playwright page and audit it.

axe-core is installed by ``scripts/setup.sh full`` (``npm ci`` in tests/web/axe, pinned by its
package-lock.json) and read from disk here, so the audit runs offline. The portal's
Content-Security-Policy (``script-src 'self'``) refuses a ``<script>`` tag added to the page, so
the source goes in through ``page.evaluate`` (DevTools' Runtime.evaluate, which CSP does not
govern) and the page under test keeps its real policy.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

AXE_JS = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")  # the bar: no serious or critical violation on any page

__all__ = ["AXE_JS", "BLOCKING", "assert_accessible", "axe_violations"]


@lru_cache(maxsize=1)
def _axe_source() -> str:
    if not AXE_JS.is_file():
        pytest.fail(
            f"axe-core is not installed at {AXE_JS}; run scripts/setup.sh full (npm ci in tests/web/axe)"
        )
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Any, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """axe's violations on the page as loaded now, only those of the given impacts, sorted by rule id."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [" ".join(map(str, n["target"])) for n in v["nodes"]],
        }
        for v in results["violations"]
        if v["impact"] in impacts
    ]
    return sorted(found, key=lambda v: v["id"])


def assert_accessible(page: Any, what: str = "") -> None:
    """Fail with every serious or critical axe violation on the page, naming the rule and the elements."""
    bad = axe_violations(page)
    assert not bad, f"axe on {what or page.url}: " + "; ".join(
        f"{v['id']} ({v['impact']}: {v['help']}) at {', '.join(v['targets'][:5])}" for v in bad
    )
