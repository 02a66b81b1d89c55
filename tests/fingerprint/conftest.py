"""Fixtures for the fingerprint tests: a small, de-duplicated sample of real text."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # the reusable alteration suite lives in benchmarks/
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope="session")
def text_sample(test_data: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """(registered, unregistered negatives, filler): real e-mails and State of the Union passages."""
    from benchmarks.text_matching import load_split

    registered, negatives, filler = load_split(150, 100, test_data=test_data, limit=700)
    assert len(registered) == 150 and len(negatives) == 100 and filler, "text sample too small"
    return registered, negatives, filler
