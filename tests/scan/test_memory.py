"""Bounded memory: scanning six times the items does not need more process memory beyond a constant.

Measured as the peak resident set size (``ru_maxrss``) of a fresh process per scan: it counts
Arrow and Parquet buffers, which tracemalloc cannot see. Each item carries ~4 KB of text, so a
scan that held its decisions or records would grow by tens of MB between the two sizes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from scan_fixtures import Registered

PROBE = """
import resource, sys
from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.pipeline import worker_context
from mediamanager.scan.run import scan
import mediamanager.scan.report.build as build, mediamanager.scan.writers.filtered as filtered
build.READ_BATCH = filtered.READ_BATCH = 128  # several read chunks at either size
data, snapshot, out, key = sys.argv[1:5]
config = ScanConfig(Purpose.GENAI_TRAIN, snapshot, utcnow(), unknown="keep", batch_size=64)
worker_context(config).client.info()
scan(data, out, config, key_path=key)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
"""


def _peak_kib(text_registry: Registered, tmp_path: Path, n: int) -> int:
    data = tmp_path / f"d{n}.jsonl"
    with open(data, "w") as fh:
        for i in range(n):
            fh.write(
                json.dumps({"id": f"t{i}", "text": f"item {i} says hello to the scanner again " * 100}) + "\n"
            )
    res = subprocess.run(
        [sys.executable, "-c", PROBE, str(data), str(text_registry.snapshot), str(tmp_path / f"out{n}"),
         str(tmp_path / "k.pem")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    return int(res.stdout.split()[-1])


def test_peak_rss_does_not_grow_with_the_dataset(text_registry: Registered, tmp_path: Path) -> None:
    small = _peak_kib(text_registry, tmp_path, 500)
    large = _peak_kib(text_registry, tmp_path, 3000)  # ~12 MB of text more than the small scan
    print(f"peak RSS: {small} KiB for 500 items, {large} KiB for 3000")
    assert large < small + 8 * 1024, f"peak RSS {small} KiB for 500 items, {large} KiB for 3000"
