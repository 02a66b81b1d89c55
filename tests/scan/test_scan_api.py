"""The library API: ``allowed`` for ``datasets.Dataset.filter`` and the datatrove-compatible ConsentFilter."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass
class Document:
    """The shape of datatrove's Document (text, id, metadata)."""

    text: str
    id: str
    metadata: dict[str, Any] = field(default_factory=dict)


def test_consent_filter_as_a_datatrove_step(text_registry: Registered) -> None:
    docs = [
        Document(text_registry.texts["deny"], "registered"),
        Document(text_registry.texts["licence"], "licensed", {"url": "https://b.example/1"}),
        Document("Fine to use. " * 30, "open", {"headers": {"Content-Usage": "train-ai=y"}}),
        Document("", "empty"),
    ]
    step = ConsentFilter(purpose="genai-train", registry=str(text_registry.snapshot))
    out = list(step.run(iter(docs), rank=0, world_size=1))
    assert [d.id for d in out] == ["licensed", "open"]
    assert out[0].metadata["mediamanager"] == {"outcome": "license", "reason": "allow-if:registry"}
    assert step.stats == {"drop": 1, "license": 1, "keep": 1, "error": 1}
    # A plain callable with datatrove's step signature works too.
    assert [d.id for d in step(iter(docs[2:3]))] == ["open"]
