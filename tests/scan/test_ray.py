"""``--engine ray`` runs the same steps on Ray Data and decides exactly as the local engine does."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from scan_fixtures import Registered, alter_text

from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _dataset(folder: Path, test_data: Path, text_registry: Registered) -> None:
    folder.mkdir()
    with gzip.open(test_data / "text-spamassassin" / "corpus.jsonl.gz", "rt") as fh:
        rows = [json.loads(line) for _, line in zip(range(300), fh, strict=False)]
    rows[5]["text"] = text_registry.texts["deny"]
    rows[150]["text"] = alter_text(text_registry.texts["licence"])
    rows[160]["headers"] = {"X-Robots-Tag": "noai"}
    rows[170]["text"] = ""
    for i, part in enumerate((rows[:120], rows[120:250], rows[250:])):
        (folder / f"part-{i}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in part))
    (folder / "part-3.jsonl").write_text("")  # an empty shard is still a shard


def test_ray_engine_gives_identical_decisions(
    local_ray: None, text_registry: Registered, test_data: Path, tmp_path: Path
) -> None:
    _dataset(tmp_path / "data", test_data, text_registry)
    config = ScanConfig(
        Purpose.GENAI_TRAIN, str(text_registry.snapshot), utcnow(), batch_size=32, unknown="keep"
    )
    key = tmp_path / "k.pem"
    local = scan(str(tmp_path / "data"), tmp_path / "local", config, key_path=key, workers=1)
    ray_run = scan(str(tmp_path / "data"), tmp_path / "ray", config, key_path=key, engine="ray", workers=2)
    a = pq.read_table(tmp_path / "local" / "decisions.parquet")
    b = pq.read_table(tmp_path / "ray" / "decisions.parquet")
    assert a.num_rows == b.num_rows == 300
    assert a.equals(b)
    assert local.counts == ray_run.counts
    outcome = {
        r["item_id"]: (r["outcome"], r["reason"])
        for r in a.select(["item_id", "outcome", "reason"]).to_pylist()
    }
    assert outcome["easy-ham-1/00006"] == ("drop", "deny:registry")
    assert outcome["easy-ham-1/00151"] == ("license", "allow-if:registry")
    assert outcome["easy-ham-1/00161"][0] == "drop"
    assert outcome["easy-ham-1/00171"] == ("error", "error")
    for name in ("part-0.jsonl", "part-1.jsonl", "part-2.jsonl", "part-3.jsonl"):
        assert (tmp_path / "local" / "data" / name).read_bytes() == (
            tmp_path / "ray" / "data" / name
        ).read_bytes()
