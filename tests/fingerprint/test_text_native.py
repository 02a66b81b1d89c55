"""The C kernel and the one-pass base64 give the same fingerprints as the NumPy/per-value code they replace."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pytest

from mediamanager.fingerprint import text as tx

DATA = Path(os.environ.get("MEDIAMANAGER_TEST_DATA", "../shared/test-data"))


def _texts() -> list[str]:
    out = []
    for name in ("text-spamassassin", "text-sotu"):
        with gzip.open(DATA / name / "corpus.jsonl.gz", "rt") as fh:
            out += [json.loads(line)["text"] for _, line in zip(range(400), fh, strict=False)]
    return out


def test_kernel_is_built() -> None:
    assert tx._KERNEL is not None, "run `python setup.py build_ext --inplace` (or pip install -e .)"


def test_distinct_counts_match_numpy_sort_on_real_texts() -> None:
    bufs = [tx.normalized_bytes(t) for t in _texts()]
    shingles, _ = tx._shingles_of_batch(bufs)
    rng = np.random.default_rng(5)
    starts = np.sort(rng.integers(0, len(shingles), 3000))
    ends = np.minimum(starts + rng.integers(0, 600, 3000), len(shingles))
    flat = np.concatenate([shingles[a:b] for a, b in zip(starts, ends, strict=True)])
    offsets = np.zeros(len(starts) + 1, np.intp)
    np.cumsum(ends - starts, out=offsets[1:])
    native = tx._distinct_counts(flat, offsets)
    reference = tx._distinct_counts(flat, offsets, native=False)
    assert native.tolist() == reference.tolist()


def test_batch_encode_decode_match_per_value_code() -> None:
    batch = tx.sketch_batch(_texts()[:200], probes=True)
    fps = [fp for row in batch.fingerprints() for fp in row]
    assert [fp.value for fp in fps] == [tx.encode_signature(s) for s in batch.signatures]
    assert (tx.decode_signatures([fp.value for fp in fps]) == batch.signatures).all()


def test_batch_decode_refuses_what_decode_signature_refuses() -> None:
    good = tx.encode_signature(np.arange(tx.NUM_PERM, dtype=np.uint32))
    with pytest.raises(tx.InvalidFingerprintError):
        tx.decode_signatures([good, "mh1:" + "*" * 684])
    with pytest.raises(tx.InvalidFingerprintError):
        tx.decode_signatures([good, "mh0:" + good[4:]])
