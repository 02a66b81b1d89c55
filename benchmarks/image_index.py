"""Image index benchmark: lookups/s and memory per item against 1 M registered PDQ+pHash codes.

Run from the repository root:

    OMP_NUM_THREADS=1 python -m benchmarks.image_index [--items 1000000]

Codes are uniformly random (the best case for hash tables; real PDQ codes are skewed). Queries:
1,000 registered codes with 8/16/24/31 flipped bits (recall at PDQ distance d) and 1,000 random
codes (misses, the common case in a scan). Side by side: our ImageIndex (FAISS
IndexBinaryMultiHash 10x25 bits, nflip=1) and FAISS IndexBinaryFlat (exhaustive, the anchor).
Memory is the RSS growth over building the index, divided by the number of items.
"""

from __future__ import annotations

import argparse
import resource
import time

import faiss
import numpy as np

from mediamanager.fingerprint.index.binary import WEAK_PDQ, ImageIndex


def _rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _flip(rng: np.random.Generator, codes: np.ndarray, bits: int) -> np.ndarray:
    unpacked = np.unpackbits(codes, axis=1)
    for row in unpacked:
        row[rng.choice(unpacked.shape[1], bits, replace=False)] ^= 1
    return np.packbits(unpacked, axis=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    n = args.items
    pdq = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    phash = rng.integers(0, 256, (n, 8), dtype=np.uint8)
    keys = [f"w{i}" for i in range(n)]
    before = _rss_mb()
    start = time.perf_counter()
    index = ImageIndex()
    index.add_codes(keys, pdq, phash)
    build = time.perf_counter() - start
    per_item = (_rss_mb() - before) * 1024 * 1024 / n
    print(
        f"ImageIndex: {n} items built in {build:.1f} s; RSS growth {per_item:.0f} B/item "
        f"(codes {index.nbytes()['codes'] / n:.0f} B/item, key strings and dict included in RSS)"
    )
    before = _rss_mb()
    table = faiss.IndexBinaryMultiHash(256, index.nhash, index.nbits)
    table.add(pdq)
    print(
        f"of which FAISS IndexBinaryMultiHash tables alone: {(_rss_mb() - before) * 1024 * 1024 / n:.0f} B/item"
    )
    del table
    sample = rng.choice(n, 1000, replace=False)
    flat = faiss.IndexBinaryFlat(256)
    flat.add(pdq)
    print(
        "| queries | ImageIndex lookups/s (batch 1000) | single-query lookups/s | recall | IndexBinaryFlat lookups/s | ratio |"
    )
    for bits in (8, 16, 24, 31, None):
        queries = (
            rng.integers(0, 256, (1000, 32), dtype=np.uint8)
            if bits is None
            else _flip(rng, pdq[sample], bits)
        )
        qphash = phash[sample]
        start = time.perf_counter()
        results = index.search_codes(queries, qphash)
        batch = 1000 / (time.perf_counter() - start)
        start = time.perf_counter()
        for i in range(200):
            index.search_codes(queries[i : i + 1], qphash[i : i + 1])
        single = 200 / (time.perf_counter() - start)
        start = time.perf_counter()
        flat.range_search(queries[:200], WEAK_PDQ + 1)
        flat_rate = 200 / (time.perf_counter() - start)
        if bits is None:
            recall = f"{sum(bool(r) for r in results)} false hits"
        else:
            recall = f"{np.mean([bool(r) and r[0].key == keys[j] for r, j in zip(results, sample, strict=True)]):.3f}"
        label = "random (misses)" if bits is None else f"{bits} bits flipped"
        print(
            f"| {label} | {batch:.0f} | {single:.0f} | {recall} | {flat_rate:.0f} | {batch / flat_rate:.0f}x |"
        )


if __name__ == "__main__":
    main()
