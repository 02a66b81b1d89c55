"""Nothing is lost: for any mix of good, broken and blank lines and any batch size, rows == inputs."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scan_fixtures import Registered

from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan

LINE = st.one_of(
    st.builds(lambda i: json.dumps({"text": f"words {i} " * 20}), st.integers(0, 10**6)),
    st.builds(
        lambda i: json.dumps({"text": f"x {i}", "headers": {"X-Robots-Tag": "noai"}}), st.integers(0, 99)
    ),
    st.sampled_from(['{"broken', "[1, 2]", '{"text": ""}', '{"no_text": 1}', "   "]),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINE, max_size=40), batch=st.integers(1, 9), unknown=st.sampled_from(["keep", "drop"]))
def test_one_decision_per_item_whatever_the_input(
    text_registry: Registered, lines: list[str], batch: int, unknown: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "d.jsonl"
        data.write_text("\n".join(lines) + "\n")
        config = ScanConfig(
            Purpose.GENAI_TRAIN, str(text_registry.snapshot), utcnow(), unknown=unknown, batch_size=batch
        )
        summary = scan(str(data), Path(tmp) / "out", config, key_path=Path(tmp) / "k.pem")
        items = sum(1 for line in lines if line.strip())
        rows = pq.read_table(Path(tmp) / "out" / "decisions.parquet").to_pylist()
        assert len(rows) == summary.total == items
        assert [r["offset"] for r in rows] == list(range(items))
        assert sum(summary.counts.values()) == items
        written = (Path(tmp) / "out" / "data" / "d.jsonl").read_text().splitlines()
        assert len(written) == summary.counts["keep"] + summary.counts["license"]
        assert all(r["reasons"] for r in rows)
        assert all(r["error"] for r in rows if r["outcome"] == "error")
