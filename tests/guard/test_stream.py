"""Streaming check: the real SmolLM2 tokenizer's pieces of a real text, fed one at a time."""

from __future__ import annotations

import re
from typing import Any

import pytest
from variants import span_words

from mediamanager.guard import StreamChecker, VerbatimIndex


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from mediamanager.provenance.model_loader import load_text_tokenizer

    return load_text_tokenizer()


@pytest.fixture(scope="module")
def index(sotu: list[dict[str, Any]]) -> VerbatimIndex:
    idx = VerbatimIndex()
    for d in sotu[100:110]:
        idx.add_text(d["text"], {"work_id": d["id"], "owner_name": d["president"],
                                 "preferences": {"rules": {"ai-input": {"use": "deny"}}}})  # fmt: skip
    return idx


def test_span_is_reported_by_the_token_after_its_15th_word(
    tokenizer: Any, index: VerbatimIndex, sotu: list[dict[str, Any]], mails: list[dict[str, Any]]
) -> None:
    words = span_words(sotu[104]["text"], 900, 25)
    prefix = "As the model answered, in its own words: "
    text = prefix + " ".join(words) + ". That is all I can say about it."
    pieces = [tokenizer.decode([t]) for t in tokenizer.encode(text)]
    assert "".join(pieces) == text
    # The 15th copied word ends here; the word is complete once a later character has arrived.
    end15 = len(prefix) + len(" ".join(words[:15]))
    expected = next(i for i in range(len(pieces)) if len("".join(pieces[: i + 1])) > end15)
    checker = StreamChecker(index)
    reports = [(i, span) for i, p in enumerate(pieces) for span in checker.feed(p)]
    assert [(i, s.work["work_id"], s.matched_words, s.action.value) for i, s in reports] == [
        (expected, sotu[104]["id"], 15, "block")
    ]
    assert text[reports[0][1].start : reports[0][1].end] == " ".join(words[:15])
    final = checker.finish()
    assert [(text[s.start : s.end], s.matched_words) for s in final.spans] == [(" ".join(words), 25)]


def test_unrelated_stream_reports_nothing(
    tokenizer: Any, index: VerbatimIndex, mails: list[dict[str, Any]]
) -> None:
    text = mails[42]["text"][:3000]
    checker = StreamChecker(index)
    assert [s for t in tokenizer.encode(text) for s in checker.feed(tokenizer.decode([t]))] == []
    assert checker.finish().spans == ()


def test_real_smollm2_generation_streamed_into_the_checker(tokenizer: Any) -> None:
    """SmolLM2 writes 40 tokens greedily; that text is registered (deny); the same generation,
    streamed token by token through a transformers streamer, is reported before it ends."""
    import torch

    from mediamanager.provenance.model_loader import load_text_model

    torch.set_num_threads(1)
    model = load_text_model()
    prompt = "The history of the printing press begins in"
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        first = model.generate(ids, max_new_tokens=40, min_new_tokens=40, do_sample=False)
    generated = tokenizer.decode(first[0, ids.shape[1] :], skip_special_tokens=True)
    assert len(generated.split()) >= 20, generated
    index = VerbatimIndex()
    index.add_text(generated, {"work_id": "gen", "preferences": {"rules": {"ai-input": {"use": "deny"}}}})
    checker = StreamChecker(index)
    pieces: list[str] = []
    reported_at: list[int] = []

    class Feed:  # the transformers streamer protocol: put(token ids), end()
        skip_prompt = True

        def __init__(self) -> None:
            self.prompt_seen = False

        def put(self, value: Any) -> None:
            if not self.prompt_seen:
                self.prompt_seen = True  # the first call carries the prompt
                return
            for t in value.reshape(-1).tolist():
                pieces.append(tokenizer.decode([t], skip_special_tokens=True))
                if checker.feed(pieces[-1]):
                    reported_at.append(len(pieces))

        def end(self) -> None:
            pass

    with torch.no_grad():
        model.generate(ids, max_new_tokens=40, min_new_tokens=40, do_sample=False, streamer=Feed())
    assert "".join(pieces) == generated
    # Independently: the 15th word of the generated text ends at e15; it is complete (and the span
    # reported) with the first piece that brings a character beyond it.
    e15 = [m.end() for m in re.finditer(r"[^\W_]+", generated)][14]
    expected = next(i for i in range(len(pieces)) if len("".join(pieces[: i + 1])) > e15) + 1
    assert reported_at == [expected] and expected < 40  # before the generation ended
    final = checker.finish()
    assert [(s.work["work_id"], s.action.value) for s in final.spans] == [("gen", "block")]
