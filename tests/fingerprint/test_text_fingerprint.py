"""Text MinHash fingerprints: encoding round trips, passages, determinism, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediamanager.errors import InvalidFingerprintError
from mediamanager.fingerprint.text import (
    MINHASH_KIND,
    NUM_PERM,
    PASSAGE_WORDS,
    SINGLE_PASSAGE_MAX,
    decode_signature,
    encode_signature,
    passage_bounds,
    sketch_batch,
    sketch_text,
    sketches_from_fingerprints,
    text_fingerprints,
)
from mediamanager.model import Fingerprint

signatures = st.lists(st.integers(0, 2**32 - 1), min_size=NUM_PERM, max_size=NUM_PERM).map(
    lambda v: np.array(v, dtype=np.uint32)
)


@settings(max_examples=100, deadline=None)
@given(signatures, st.integers(1, 10**6), st.integers(0, 10**4))
def test_fingerprint_round_trips_through_dict(sig: np.ndarray, size: int, part: int) -> None:
    fp = Fingerprint(MINHASH_KIND, encode_signature(sig), size, part)
    back = Fingerprint.from_dict(fp.to_dict())
    assert back == fp
    (sketch,) = sketches_from_fingerprints([back])
    assert np.array_equal(sketch.signature, sig) and sketch.size == size and sketch.part == part


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=400))
def test_text_fingerprints_round_trip(text: str) -> None:
    fps = text_fingerprints(text)
    again = [Fingerprint.from_dict(f.to_dict()) for f in fps]
    for a, b in zip(sketches_from_fingerprints(again), sketch_text(text), strict=True):
        assert np.array_equal(a.signature, b.signature) and a.size == b.size and a.part == b.part


@pytest.mark.parametrize(
    "value",
    ["", "mh0:AAAA", "mh1:not base64!", "mh1:" + "AAAA" * 10, "hello"],
)
def test_malformed_values_are_refused(value: str) -> None:
    with pytest.raises(InvalidFingerprintError):
        decode_signature(value)


def test_missing_size_is_refused() -> None:
    value = encode_signature(np.zeros(NUM_PERM, np.uint32))
    with pytest.raises(InvalidFingerprintError, match="size"):
        sketches_from_fingerprints([Fingerprint(MINHASH_KIND, value, None, 0)])


def test_other_kinds_are_ignored() -> None:
    assert sketches_from_fingerprints([Fingerprint("sha256", "ab" * 32)]) == []


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 20_000))
def test_passages_cover_every_word(n: int) -> None:
    bounds = passage_bounds(n)
    if n == 0:
        assert bounds == []
        return
    covered = np.zeros(n, bool)
    for s, e in bounds:
        assert 0 <= s < e <= n
        covered[s:e] = True
    assert covered.all()
    if n > SINGLE_PASSAGE_MAX:
        assert all(e - s == PASSAGE_WORDS for s, e in bounds)


def test_batch_equals_single_and_is_deterministic() -> None:
    texts = ["The quick brown fox jumps over the lazy dog. " * 40, "short text", "", "word " * 2000]
    batch = sketch_batch(texts).sketches()
    for text, sketches in zip(texts, batch, strict=True):
        single = sketch_text(text)
        assert len(single) == len(sketches)
        for a, b in zip(single, sketches, strict=True):
            assert np.array_equal(a.signature, b.signature) and a.size == b.size
    assert batch[2] == []  # no words, no fingerprint


def test_set_size_counts_distinct_shingles() -> None:
    (sketch,) = sketch_text("a b c d e f g h")  # 8 words -> 4 five-word shingles
    assert sketch.size == 4
    (rep,) = sketch_text("a b c d e " * 20)  # a cycle of 5 words -> 5 distinct shingles
    assert rep.size == 5


def test_formatting_does_not_change_the_signature() -> None:
    a = sketch_text("It's a “test” — of the SYSTEM, really!")[0]
    b = sketch_text("it s a test of the system really")[0]
    assert np.array_equal(a.signature, b.signature)
