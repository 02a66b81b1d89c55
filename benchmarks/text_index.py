"""Text index at scale: lookups per second and memory per item against 1 M registered texts.

The registry holds the de-duplicated real documents of ``text_matching.py`` plus synthetic
texts (80-400 words drawn from the real corpus' word frequencies) up to ``--items`` works,
all fingerprinted through the normal text path. Queries: real registered documents with 5 %
word edits (recall) and real unregistered documents (false matches), in equal numbers.

Reported: index build time; memory per item (band index, signatures, other columns, and the
process RSS growth, which includes the key table); lookup-only rate (query sketches already
computed, ``TextIndex.search_batch``) and end-to-end rate (raw text in); the same after
``save`` + memory-mapped ``load``; and datasketch ``MinHashLSH`` (threshold 0.5) holding the same
signatures for ``--anchor-items`` works, side by side in this process.

Usage: ``python benchmarks/text_index.py [--items 1000000] [--queries 10000] [--anchor-items 100000]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("RAYON_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def rss_bytes() -> int:
    """Resident set size after a full collection and returning free heap pages to the OS."""
    import ctypes

    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def synthetic_texts(count: int, vocab: list[str], weights: list[float], rng: random.Random) -> list[str]:
    lengths = [rng.randint(80, 400) for _ in range(count)]
    words = rng.choices(vocab, weights, k=sum(lengths))
    out, i = [], 0
    for n in lengths:
        out.append(" ".join(words[i : i + n]))
        i += n
    return out


def run(items: int, queries: int, anchor_items: int, seed: int = 11) -> dict[str, object]:
    import numpy as np
    from benchmarks.alterations.text import edit_words
    from benchmarks.text_matching import load_split

    from mediamanager.fingerprint.index import TextIndex
    from mediamanager.fingerprint.normalize import normalize_text
    from mediamanager.fingerprint.text import sketch_batch

    rng = random.Random(seed)
    reg, neg, _ = load_split(registered=4000, negatives=queries // 2, seed=seed)
    counts: Counter[str] = Counter()
    for _, text in reg:
        counts.update(normalize_text(text).split())
    vocab, weights = zip(*counts.most_common(50_000), strict=True)

    gc.collect()
    rss0 = rss_bytes()
    index = TextIndex()
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    index.add_batch([k for k, _ in reg], sketch_batch(t for _, t in reg))
    made = len(reg)
    chunk = 20_000
    while made < items:
        n = min(chunk, items - made)
        texts = synthetic_texts(n, list(vocab), list(weights), rng)
        index.add_batch([f"syn:{made + i}" for i in range(n)], sketch_batch(texts))
        made += n
        if made % 200_000 < chunk:
            print(f"  registered {made} ({time.perf_counter() - t0:.0f}s)", flush=True)
    index.search_batch(sketch_batch(["warm up the merge"]))
    build_s = time.perf_counter() - t0
    build_cpu = time.process_time() - cpu0
    gc.collect()
    rss_growth = rss_bytes() - rss0
    sizes = index.nbytes()
    n_items = index.num_items

    # Queries: edited registered documents and unregistered ones.
    sample = rng.sample(reg, min(queries // 2, len(reg)))
    positives = [edit_words(t, rng, 0.05) for _, t in sample]
    negatives = [t for _, t in neg]
    texts = positives + negatives

    def lookups(idx: TextIndex) -> dict[str, float]:
        cpu = time.process_time()
        batch = sketch_batch(texts)
        sketch_s = time.process_time() - cpu
        cpu = time.process_time()
        results = []
        for start in range(0, batch.num_texts, 1000):
            rows = (batch.docs >= start) & (batch.docs < start + 1000)
            sub = type(batch)(
                batch.signatures[rows],
                batch.sizes[rows],
                batch.parts[rows],
                batch.docs[rows] - start,
                min(1000, batch.num_texts - start),
            )
            results.extend(idx.search_batch(sub))
        lookup_s = time.process_time() - cpu
        hits = sum(
            any(m.key == k for m in r) for (k, _), r in zip(sample, results[: len(sample)], strict=True)
        )
        false = sum(bool(r) for r in results[len(sample) :])
        return {
            "query_texts": len(texts),
            "query_windows": len(batch.sizes),
            "lookups_per_cpu_s": round(len(texts) / lookup_s),
            "windows_per_cpu_s": round(len(batch.sizes) / lookup_s),
            "end_to_end_docs_per_cpu_s": round(len(texts) / (lookup_s + sketch_s)),
            "recall_edit5": round(hits / len(sample), 4),
            "false_match_rate": round(false / max(1, len(negatives)), 5),
        }

    in_memory = lookups(index)
    tmp = Path(tempfile.mkdtemp(prefix="mm-text-index-"))
    try:
        t = time.perf_counter()
        index.save(tmp / "idx")
        save_s = time.perf_counter() - t
        disk = sum(f.stat().st_size for f in (tmp / "idx").iterdir())
        del index
        gc.collect()
        t = time.perf_counter()
        loaded = TextIndex.load(tmp / "idx")
        load_s = time.perf_counter() - t
        mapped = lookups(loaded)
        del loaded
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    anchor: dict[str, object] = {}
    if anchor_items:
        from datasketch import MinHash, MinHashLSH

        ref = sketch_batch([t for _, t in reg[: min(len(reg), anchor_items)]])
        extra = anchor_items - len(reg)
        sig_rows = [ref.signatures]
        while extra > 0:
            n = min(chunk, extra)
            sig_rows.append(sketch_batch(synthetic_texts(n, list(vocab), list(weights), rng)).signatures)
            extra -= n
        sigs = np.concatenate(sig_rows)[:anchor_items]
        gc.collect()
        rss0 = rss_bytes()
        t = time.perf_counter()
        lsh = MinHashLSH(threshold=0.5, num_perm=128)
        with lsh.insertion_session() as session:
            for i, row in enumerate(sigs):
                session.insert(
                    str(i), MinHash(num_perm=128, hashvalues=row.astype(np.uint64), scheme="affine32")
                )
        ds_build = time.perf_counter() - t
        gc.collect()
        ds_mem = rss_bytes() - rss0
        qb = sketch_batch(texts)
        qs = [
            MinHash(num_perm=128, hashvalues=row.astype(np.uint64), scheme="affine32")
            for row in qb.signatures
        ]
        cpu = time.process_time()
        for q in qs:
            lsh.query(q)
        ds_s = time.process_time() - cpu
        anchor = {
            "datasketch_items": anchor_items,
            "datasketch_build_s": round(ds_build, 1),
            "datasketch_bytes_per_item_rss": round(ds_mem / anchor_items),
            "datasketch_window_lookups_per_cpu_s": round(len(qs) / ds_s),
        }

    return {
        "items": n_items,
        "works": made,
        "build_s": round(build_s, 1),
        "build_cpu_s": round(build_cpu, 1),
        "bytes_per_item": {
            "band_index": round(sizes["bands"] / n_items, 1),
            "signature": round(sizes["signatures"] / n_items, 1),
            "other_columns": round(sizes["columns"] / n_items, 1),
            "process_rss_growth": round(rss_growth / n_items, 1),
        },
        "in_memory": in_memory,
        "save_s": round(save_s, 1),
        "disk_bytes_per_item": round(disk / n_items, 1),
        "load_s": round(load_s, 2),
        "memory_mapped": mapped,
        **anchor,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--anchor-items", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    print(json.dumps(run(args.items, args.queries, args.anchor_items, args.seed), indent=1))


if __name__ == "__main__":
    main()
