"""``--resume`` against a registry written to between the crash and the resume (D11).

Chosen behaviour: decided items keep their decisions; the unfinished ones are looked up against
the registry as it is now, and report.json records both registry states and from which item on
the new one applied. Here a work is registered (deny) between an interrupted scan and its resume:
its copy, not yet scanned at the crash, is dropped by the registry on resume.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from scan_fixtures import sotu_texts

from mediamanager.model import Purpose, parse_preference_spec, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan

MEDIAMANAGER = str(Path(sys.executable).parent / "mediamanager")


class _Crash(Exception):
    pass


@pytest.mark.parametrize("how", ["cli", "api"])
def test_resume_after_a_registry_write(how: str, tmp_path: Path, test_data: Path) -> None:
    from mediamanager.registry.accounts import AccountService
    from mediamanager.registry.snapshot import export_snapshot
    from mediamanager.registry.store.engine import make_engine, upgrade_schema
    from mediamanager.registry.uow import UnitOfWork
    from mediamanager.registry.works import WorkService

    engine = make_engine(f"sqlite:///{tmp_path / 'registry.db'}")
    upgrade_schema(engine)
    uow = UnitOfWork(engine)
    owner, _ = AccountService(uow).create_owner("Late Registrant")
    texts = sotu_texts(test_data, 4)
    snapshot = tmp_path / "snapshot"
    export_snapshot(uow, snapshot)

    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"id": f"t{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    config = ScanConfig(Purpose.GENAI_TRAIN, str(snapshot), utcnow(), unknown="keep", batch_size=1)
    out = tmp_path / "out"
    seen = []

    def crash_after_two(n: int) -> None:
        seen.append(n)
        if sum(seen) >= 2:
            raise _Crash

    with pytest.raises(_Crash):
        scan(str(data), out, config, key_path=tmp_path / "k.pem", progress=crash_after_two)
    first = json.loads((out / ".scan" / "state.json").read_text())["registry_sha256"]

    # Between the crash and the resume, someone registers the last text with a deny.
    WorkService(uow).register_content(
        owner, texts[3].encode(), filename="late.txt", title="Late work",
        preferences=parse_preference_spec("genai-train=deny"),
    )  # fmt: skip
    shutil.rmtree(snapshot)
    export_snapshot(uow, snapshot)
    engine.dispose()

    if how == "cli":  # a new process, as a user resumes
        res = subprocess.run(
            [MEDIAMANAGER, "scan", "run", str(data), "--purpose", "genai-train", "--registry", str(snapshot),
             "--out", str(out), "--unknown", "keep", "--key", str(tmp_path / "k.pem"), "--resume"],
            capture_output=True, text=True,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        now = json.loads((out / "report.json").read_text())["registry"]["sha256"]
    else:  # in-process: the cached registry client must be reopened
        summary = scan(str(data), out, config, key_path=tmp_path / "k.pem", resume=True)
        assert summary.resumed
        now = summary.registry.sha256
    assert now != first
    rows = pq.read_table(out / "decisions.parquet").to_pylist()
    assert [(r["item_id"], r["outcome"], r["reason"]) for r in rows] == [
        ("t0", "keep", "unknown"),
        ("t1", "keep", "unknown"),
        ("t2", "keep", "unknown"),
        ("t3", "drop", "deny:registry"),
    ]
    report = json.loads((out / "report.json").read_text())
    history = report["registry_history"]
    assert [(h["sha256"], h["items_decided_before"]) for h in history] == [
        (first, 0),
        (now, 2),
    ]
    assert json.loads((out / "usage-report.json").read_text())["registry_history"] == history
