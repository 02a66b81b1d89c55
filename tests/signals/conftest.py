"""Fixtures for the signals tests: the third-party suites, read in place from shared/test-data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: short hypothesis fuzz targets for every signal parser")


@pytest.fixture(scope="session")
def google_spec_cases(test_data: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(
        (test_data / "robotstxt-google-spec-test" / "cases.json").read_text()
    )["cases"]
    return cases


@pytest.fixture(scope="session")
def google_unittest(test_data: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (test_data / "robotstxt-google-unittest-cases" / "cases.json").read_text()
    )
    return data


@pytest.fixture(scope="session")
def datadiligence_cases(test_data: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((test_data / "datadiligence" / "cases.json").read_text())
    return data


@pytest.fixture(scope="session")
def tdmrep_examples(test_data: Path) -> list[dict[str, Any]]:
    examples: list[dict[str, Any]] = json.loads(
        (test_data / "tdmrep-w3c-examples" / "examples.json").read_text()
    )["examples"]
    return examples
