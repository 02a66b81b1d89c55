"""Regurgitation check on real texts: recall on 15-word copies, exact offsets, owner terms, no false reports."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from variants import KINDS, span_words, variant

from conftest import GuardRegistry
from mediamanager.guard import Action, VerbatimIndex, check_output
from mediamanager.guard.sources import index_texts
from mediamanager.scan.clients import SnapshotRegistryClient

REGISTERED_SOTU = range(0, 60)
REGISTERED_MAILS = range(0, 3000, 15)  # 200 e-mails
TERMS = ["ai-input=deny", "ai-input=allow-if:attribution", "ai-input=allow", "genai-train=deny"]


def body(mail: dict[str, Any]) -> str:
    """An e-mail's body: headers are server boilerplate that every mail of a relay shares."""
    text: str = mail["text"]
    return text.split("\n\n", 1)[1] if "\n\n" in text else text


def _records(sotu: list[dict[str, Any]], mails: list[dict[str, Any]]) -> list[dict[str, Any]]:
    recs = []
    for n, i in enumerate(REGISTERED_SOTU):
        d = sotu[i]
        recs.append({"text": d["text"], "work_id": f"sotu-{i}", "title": f"SOTU {d['year']}",
                     "owner_name": d["president"], "preferences": TERMS[n % 4]})  # fmt: skip
    for n, i in enumerate(REGISTERED_MAILS):
        recs.append({"text": body(mails[i]), "work_id": f"mail-{i}", "owner_name": f"sender {i}",
                     "preferences": TERMS[n % 4]})  # fmt: skip
    return recs


@pytest.fixture(scope="module")
def corpus(sotu: list[dict[str, Any]], mails: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return _records(sotu, mails)


@pytest.fixture(scope="module")
def index(corpus: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> VerbatimIndex:
    built, skipped = index_texts(corpus)
    assert skipped == 0
    path = tmp_path_factory.mktemp("vidx") / "index"
    built.save(path)
    return VerbatimIndex.load(path)  # the memory-mapped form is the one under test


def test_index_size_is_under_three_bytes_per_token(index: VerbatimIndex) -> None:
    assert index.num_tokens > 400_000
    assert index.nbytes() / index.num_tokens < 3.0
    assert isinstance(index.hashes, np.memmap)


def test_recall_on_15_word_copies_with_exact_offsets(
    index: VerbatimIndex, corpus: list[dict[str, Any]], mails: list[dict[str, Any]]
) -> None:
    rng = random.Random(13)
    hosts = [i for i in range(1, 3000, 7) if i not in REGISTERED_MAILS]
    unrelated = [body(mails[i]) for i in hosts if len(body(mails[i])) > 400][:100]
    found = total = 0
    misses = []
    long_enough = [r for r in corpus if len(span_words(r["text"], 0, 10**9)) >= 40]
    for trial in range(100):
        rec = rng.choice(long_enough)
        n_words = len(span_words(rec["text"], 0, 10**9))
        words = span_words(rec["text"], rng.randrange(0, n_words - 15), 15)
        host = unrelated[trial % len(unrelated)]
        cut = host.find(" ", len(host) // 2)
        prefix, suffix = host[:cut] + "\n\n", "\n\n" + host[cut:]
        for kind in KINDS:
            copy = variant(words, kind, rng)
            result = check_output(prefix + copy + suffix, index)
            total += 1
            hit = [s for s in result.spans if s.work["work_id"] == rec["work_id"]
                   and s.start <= len(prefix) and s.end >= len(prefix) + len(copy)]  # fmt: skip
            found += bool(hit)
            if not hit:
                misses.append(
                    (kind, rec["work_id"], copy, len(prefix), [(s.start, s.end) for s in result.spans])
                )
    assert (found, total) == (400, 400), misses[:3]


def _plain_words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold())


def _verified(span_text: str, work_text: str) -> bool:
    """Independent oracle: at one alignment, at least 15 of the span's words (NFKC, case-folded
    runs of letters and digits) equal the work's words (a span may bridge a changed word)."""
    vocab: dict[str, int] = {}
    a = np.array([vocab.setdefault(w, len(vocab)) for w in _plain_words(span_text)])
    b = np.array([vocab.get(w, -1) for w in _plain_words(work_text)])
    if len(b) < len(a):
        return False
    agree = sum((b[j : len(b) - len(a) + 1 + j] == a[j]).astype(int) for j in range(len(a)))
    return int(np.max(agree)) >= 15


def test_no_false_reports_on_unrelated_real_text(
    index: VerbatimIndex,
    corpus: list[dict[str, Any]],
    sotu: list[dict[str, Any]],
    mails: list[dict[str, Any]],
) -> None:
    texts = {r["work_id"]: r["text"] for r in corpus}
    outputs = [d["text"][:6000] for d in sotu[60:]] + [body(m) for m in mails[1:3000:15]]
    reported = false = 0
    for out in outputs:
        for s in check_output(out, index).spans:
            reported += 1
            false += not _verified(out[s.start : s.end], texts[s.work["work_id"]])
    assert false == 0
    assert reported > 0  # real overlaps exist: mailing-list footers, quoted mails (true reports)


def test_action_follows_the_owners_terms(index: VerbatimIndex, corpus: list[dict[str, Any]]) -> None:
    expected = {"sotu-0": "block", "sotu-1": "cite", "sotu-2": "allow", "sotu-3": "block"}
    for work_id, action in expected.items():
        text = next(r["text"] for r in corpus if r["work_id"] == work_id)
        copy = " ".join(span_words(text, 200, 30))
        result = check_output(f"Here it is: {copy}. Done.", index)
        spans = [s for s in result.spans if s.work["work_id"] == work_id]
        assert [s.action.value for s in spans] == [action]
        assert spans[0].matched_words == 30
    copy = " ".join(span_words(next(r["text"] for r in corpus if r["work_id"] == "sotu-0"), 200, 30))
    redacted = check_output(f"Here it is: {copy}. Done.", index, deny="redact")
    assert redacted.action is Action.REDACT
    assert redacted.redacted() == "Here it is: [redacted]. Done."
    cited = check_output(" ".join(span_words(corpus[1]["text"], 50, 20)), index)
    assert cited.citations() == [f"SOTU {corpus[1]['title'][5:]} by {corpus[1]['owner_name']}"]
    lenient = check_output(" ".join(span_words(corpus[3]["text"], 50, 20)), index, unknown="allow")
    assert lenient.action is Action.ALLOW


def test_fourteen_words_are_not_a_span(index: VerbatimIndex, corpus: list[dict[str, Any]]) -> None:
    text = corpus[0]["text"]
    assert check_output(" ".join(span_words(text, 300, 14)) + " zebra quixotic", index).spans == ()
    assert len(check_output(" ".join(span_words(text, 300, 15)) + " zebra quixotic", index).spans) == 1


def test_index_built_through_the_registry(guard_registry: GuardRegistry, tmp_path: Path) -> None:
    client = SnapshotRegistryClient(guard_registry.snapshot)
    texts = [{"text": t} for t in guard_registry.texts.values()] + [{"text": guard_registry.mails[3]["text"]}]
    built, skipped = index_texts(texts, client)
    assert skipped == 1  # the e-mail is nobody's registered work
    copy = " ".join(span_words(guard_registry.texts["deny"], 500, 25))
    spans = check_output(copy, built).spans
    assert [(s.work["work_id"], s.work["owner_name"], s.rule.use.value, s.action.value) for s in spans] == [
        (guard_registry.works["deny"], guard_registry.owners["deny"], "deny", "block")
    ]


def test_corrupt_index_is_refused(tmp_path: Path) -> None:
    from mediamanager.errors import InputError

    (tmp_path / "manifest.json").write_text('{"format": "something else"}')
    with pytest.raises(InputError, match="not a version-1"):
        VerbatimIndex.load(tmp_path)
    with pytest.raises(InputError, match="no readable"):
        VerbatimIndex.load(tmp_path / "missing")


def test_offsets_point_into_the_original_with_wide_and_decomposed_characters(
    index: VerbatimIndex, corpus: list[dict[str, Any]]
) -> None:
    words = span_words(corpus[2]["text"], 100, 16)
    wide = " ".join(words).translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})  # full-width forms
    out = "\u00e9t\u00e9 \u2014 " + wide + " \u2014 fin"
    [span] = check_output(out, index).spans
    assert out[span.start : span.end] == wide
    assert re.fullmatch(r"[\uff01-\uff5e ]+", out[span.start : span.end])
