"""Bounded memory: scanning four times the items does not need more memory beyond a constant."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from scan_fixtures import Registered

from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.pipeline import worker_context
from mediamanager.scan.run import scan


def _peak(text_registry: Registered, tmp_path: Path, n: int) -> int:
    data = tmp_path / f"d{n}.jsonl"
    with open(data, "w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"t{i}", "text": f"item {i} says hello to the scanner " * 40}) + "\n")
    config = ScanConfig(
        Purpose.GENAI_TRAIN, str(text_registry.snapshot), utcnow(), unknown="keep", batch_size=64
    )
    worker_context(
        config
    ).client.info()  # the registry is loaded before measuring: it is not the scan's memory
    tracemalloc.start()
    scan(str(data), tmp_path / f"out{n}", config, key_path=tmp_path / "k.pem")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_peak_memory_does_not_grow_with_the_dataset(
    text_registry: Registered, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Smaller read chunks than the defaults, so that 2,000 items are several chunks everywhere.
    monkeypatch.setattr("mediamanager.scan.report.build.READ_BATCH", 128)
    monkeypatch.setattr("mediamanager.scan.writers.filtered.READ_BATCH", 128)
    _peak(text_registry, tmp_path, 100)  # warm-up: imports and one-time caches are not the scan's memory
    small = _peak(text_registry, tmp_path, 500)
    large = _peak(text_registry, tmp_path, 2000)
    print(small, large)
    assert large < small * 1.3 + 500_000, f"peak {small} B for 500 items, {large} B for 2000"
