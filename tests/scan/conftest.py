"""Fixtures for the scanner's tests (helpers live in scan_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scan_fixtures import Registered, build_registry


@pytest.fixture(scope="session")
def registered(tmp_path_factory: pytest.TempPathFactory, test_data: Path) -> Registered:
    """A registry snapshot with denied, licensed, allowed and disputed texts and a denied photo."""
    return build_registry(tmp_path_factory.mktemp("registry"), test_data)


@pytest.fixture(scope="session")
def text_registry(tmp_path_factory: pytest.TempPathFactory, test_data: Path) -> Registered:
    """The same registry without the photo, for the tests that scan only texts."""
    return build_registry(tmp_path_factory.mktemp("text-registry"), test_data, with_images=False)
