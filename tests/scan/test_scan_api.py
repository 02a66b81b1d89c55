"""The library API: ``allowed`` for ``datasets.Dataset.filter`` and the datatrove-compatible ConsentFilter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scan_fixtures import Registered

from mediamanager.errors import RegistryUnavailableError
from mediamanager.scan import ConsentFilter, allowed, decide_record


def test_allowed_in_a_huggingface_filter(text_registry: Registered) -> None:
    import datasets

    ds = datasets.Dataset.from_list(
        [
            {"id": "registered", "text": text_registry.texts["deny"], "url": None, "headers": None},
            {"id": "licensed", "text": text_registry.texts["licence"], "url": None, "headers": None},
            {"id": "open", "text": "Openly usable words. " * 30, "url": None, "headers": '{"Content-Usage": "train-ai=y"}'},
            {"id": "noai", "text": "Words. " * 30, "url": "https://x.example/", "headers": '{"X-Robots-Tag": "noai"}'},
            {"id": "unknown", "text": "Nobody said anything. " * 30, "url": None, "headers": None},
        ]
    )  # fmt: skip
    snap = str(text_registry.snapshot)
    kept = ds.filter(lambda row: allowed(row, purpose="genai-train", registry=snap))
    assert kept["id"] == ["licensed", "open"]
    strict = ds.filter(lambda row: allowed(row, registry=snap, licensed=False, unknown="drop"))
    assert strict["id"] == ["open"]
    lenient = ds.filter(lambda row: allowed(row, registry=snap, unknown="keep"))
    assert lenient["id"] == ["licensed", "open", "unknown"]
    d = decide_record({"text": text_registry.texts["deny"]}, registry=snap)
    assert d.outcome.value == "drop" and d.reasons[0] == "deny:registry"


def test_allowed_never_says_yes_without_a_registry(tmp_path: Path) -> None:
    with pytest.raises(RegistryUnavailableError):
        allowed({"text": "hello"}, registry=str(tmp_path / "nowhere"))


def test_consent_filter_on_datatrove_documents(text_registry: Registered) -> None:
    from datatrove.data import Document

    docs = [
        Document(text_registry.texts["deny"], "registered"),
        Document(text_registry.texts["licence"], "licensed", metadata={"url": "https://b.example/1"}),
        Document("Fine to use. " * 30, "open", metadata={"headers": {"Content-Usage": "train-ai=y"}}),
        Document("", "empty"),
    ]
    step = ConsentFilter(purpose="genai-train", registry=str(text_registry.snapshot))
    out = list(step.run(iter(docs), rank=0, world_size=1))
    assert [d.id for d in out] == ["licensed", "open"]
    assert out[0].metadata["mediamanager"] == {"outcome": "license", "reason": "allow-if:registry"}
    assert step.counts == {"drop": 1, "license": 1, "keep": 1, "error": 1}


def test_consent_filter_in_a_real_datatrove_pipeline(text_registry: Registered, tmp_path: Path) -> None:
    """JsonlReader -> ConsentFilter -> JsonlWriter, run by datatrove's own LocalPipelineExecutor."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    rows = [
        {"id": "registered", "text": text_registry.texts["deny"]},
        {"id": "licensed", "text": text_registry.texts["licence"], "url": "https://b.example/1"},
        {"id": "open", "text": "Fine to use. " * 30, "headers": {"Content-Usage": "train-ai=y"}},
        {"id": "noai", "text": "Words. " * 30, "url": "https://x.example/", "headers": {"X-Robots-Tag": "noai"}},
        {"id": "unknown", "text": "Nobody said anything. " * 30},
    ]  # fmt: skip
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    step = ConsentFilter(purpose="genai-train", registry=str(text_registry.snapshot))
    executor = LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(tmp_path / "in")),
            step,
            JsonlWriter(str(tmp_path / "out"), compression=None),
        ],
        tasks=1,
        workers=1,
        logging_dir=str(tmp_path / "logs"),
    )
    executor.run()
    written = [json.loads(line) for f in sorted((tmp_path / "out").glob("*.jsonl")) for line in f.open()]
    assert [d["id"] for d in written] == ["licensed", "open"]
    assert written[0]["metadata"]["mediamanager"] == {"outcome": "license", "reason": "allow-if:registry"}
    assert written[1]["metadata"]["mediamanager"] == {"outcome": "keep", "reason": "allow:Content-Usage"}
    assert written[1]["text"] == rows[2]["text"]
    # the executor ran its own copy of the step; its completion marker says the task finished
    assert (tmp_path / "logs" / "completions" / "00000").is_file()
