"""Matching quality on real text (SpamAssassin + State of the Union) for each alteration.

A small sample of the benchmark (``benchmarks/text_matching.py``), so thresholds here are looser
than the goals; the benchmark measures the goals themselves.
"""

from __future__ import annotations

import random

import pytest
from benchmarks.alterations.text import ALTERATIONS, embed, homoglyphs, truncate

from mediamanager.fingerprint.index import TextIndex
from mediamanager.fingerprint.text import sketch_batch

Sample = tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]


@pytest.fixture(scope="module")
def index(text_sample: Sample) -> TextIndex:
    registered, _, _ = text_sample
    index = TextIndex()
    for (key, _), sketches in zip(registered, sketch_batch(t for _, t in registered).sketches(), strict=True):
        index.add_sketches(key, sketches)
    return index


MIN_RECALL = {"combined": 0.85}


@pytest.mark.parametrize("name", sorted(ALTERATIONS))
def test_recall_and_precision_per_alteration(name: str, index: TextIndex, text_sample: Sample) -> None:
    registered, _, filler = text_sample
    rng = random.Random(f"test:{name}")
    queries = registered[:80]
    texts = [ALTERATIONS[name](text, rng, " ".join(rng.sample(filler, 6))) for _, text in queries]
    results = index.search_texts(texts)
    hits = sum(any(m.key == key for m in found) for (key, _), found in zip(queries, results, strict=True))
    wrong = sum(m.key != key for (key, _), found in zip(queries, results, strict=True) for m in found)
    assert hits / len(queries) >= MIN_RECALL.get(name, 0.97), f"{name}: recall {hits}/{len(queries)}"
    assert wrong <= 1, f"{name}: {wrong} matches of the wrong work"


def test_unregistered_documents_do_not_match(index: TextIndex, text_sample: Sample) -> None:
    _, negatives, _ = text_sample
    matched = [
        key
        for (key, _), found in zip(negatives, index.search_texts([t for _, t in negatives]), strict=True)
        if found
    ]
    assert len(matched) <= 1, f"unregistered documents matched: {matched}"


def test_homoglyph_evasion_is_defeated(index: TextIndex, text_sample: Sample) -> None:
    """Swapping 30 % of letters for Cyrillic/Greek look-alikes leaves no plain-ASCII 5-gram intact,
    yet the folded text still matches."""
    registered, _, _ = text_sample
    rng = random.Random(3)
    key, text = registered[0]
    evasive = homoglyphs(text, rng, rate=0.3)
    assert sum(c.isascii() for c in evasive) < len(evasive)  # really altered
    naive_words = set(evasive.lower().split())
    assert len(naive_words & set(text.lower().split())) < 0.5 * len(naive_words)
    assert index.search(evasive)[0].key == key


def test_containment_finds_what_jaccard_misses(index: TextIndex, text_sample: Sample) -> None:
    """Truncated and embedded copies have Jaccard far below 0.8 (datasketch's usual LSH threshold)
    against the original; scoring by containment still finds them."""
    from datasketch import MinHash, MinHashLSH

    from mediamanager.fingerprint.normalize import normalized_words

    def minhash(text: str) -> MinHash:
        w = normalized_words(text)
        m = MinHash(num_perm=128)
        m.update_batch([b" ".join(w[i : i + 5]) for i in range(max(1, len(w) - 4))])
        return m

    registered, _, filler = text_sample
    rng = random.Random(5)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for key, text in registered:
        lsh.insert(key, minhash(text))
    queries = [
        (key, embed(truncate(text, rng), rng, " ".join(rng.sample(filler, 6))))
        for key, text in registered[:40]
    ]
    jaccard_hits = 0
    ours_hits = 0
    for (key, query), found in zip(queries, index.search_texts([q for _, q in queries]), strict=True):
        original = next(t for k, t in registered if k == key)
        assert minhash(original).jaccard(minhash(query)) < 0.5
        jaccard_hits += key in lsh.query(minhash(query))
        ours_hits += any(m.key == key for m in found)
    assert jaccard_hits <= 4, f"Jaccard-0.8 LSH found {jaccard_hits}/40 (expected almost none)"
    assert ours_hits >= 38, f"containment found only {ours_hits}/40"
