"""The documented long-fuzz mode works: profiles load at startup and the fuzz targets honour them (D15)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARGET = "tests/signals/test_signals_fuzz.py::test_robots_allowed_never_raises"


def _pytest(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", *args],
        capture_output=True, text=True, cwd=REPO, env={**os.environ, **(env or {})}, timeout=300,
    )  # fmt: skip


def _examples(out: str) -> int:
    m = re.search(r"(\d+) passing, \d+ failing", out)
    assert m, out[-3000:]
    return int(m[1])


def test_fuzz_long_profile_is_registered() -> None:
    res = _pytest(
        "-m", "fuzz", "--hypothesis-profile=fuzz-long", "--co", "-q", "tests/signals/test_signals_fuzz.py"
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "not registered" not in res.stdout + res.stderr


def test_profile_sets_the_example_count() -> None:
    by_option = _pytest(
        "-m", "fuzz", "--hypothesis-profile=fuzz-smoke", "--hypothesis-show-statistics", "-q", TARGET
    )
    assert by_option.returncode == 0, by_option.stdout[-3000:]
    assert _examples(by_option.stdout) == 3
    by_env = _pytest(
        "-m", "fuzz", "--hypothesis-show-statistics", "-q", TARGET, env={"HYPOTHESIS_PROFILE": "fuzz-smoke"}
    )
    assert by_env.returncode == 0, by_env.stdout[-3000:]
    assert _examples(by_env.stdout) == 3
    default = _pytest(
        "-m", "fuzz", "--hypothesis-show-statistics", "-q", TARGET, env={"HYPOTHESIS_PROFILE": ""}
    )
    assert _examples(default.stdout) == 60
