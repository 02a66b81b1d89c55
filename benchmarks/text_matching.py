"""Text matching benchmark: speed and recall/precision of TextIndex beside datasketch, one process.

Corpus: real text only. E-mail bodies from SpamAssassin and 400-800-word passages of the State
of the Union addresses (``shared/test-data``), de-duplicated so that no two kept documents share
more than 10 % of their word 5-grams (the corpus has about 1,000 natural near-duplicate pairs,
which would otherwise count as "false" matches). The first part is registered; held-out
documents are the unregistered negatives and the filler for embedding.

For each alteration in ``benchmarks.alterations.text.ALTERATIONS`` every query is an altered
registered document; recall counts queries whose own key is returned, precision counts returned
matches that are the right key. Negatives measure the false-match rate.

Speed is end to end: raw text -> normalise -> MinHash -> LSH lookup -> verified match decision,
on the unaltered queries, for ours (batched) and for datasketch (``MinHash.update_batch`` with an
xxh3 hash function + ``MinHashLSH`` at threshold 0.5, same shingling), timed in the same process.

Usage: ``python benchmarks/text_matching.py [--registered 3000] [--queries 500] [--negatives 2000]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("RAYON_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TEST_DATA = Path(os.environ.get("MEDIAMANAGER_TEST_DATA", REPO.parent / "shared" / "test-data"))

_HEADER_END = re.compile(r"\r?\n\r?\n")


def email_body(raw: str) -> str:
    """The body of an RFC 822 message (headers dropped; MIME parts left as text)."""
    m = _HEADER_END.search(raw)
    return raw[m.end() :] if m else raw


def _sotu_passages(text: str, rng: random.Random) -> Iterator[str]:
    words = text.split()
    i = 0
    while i < len(words):
        n = rng.randint(400, 800)
        chunk = words[i : i + n]
        if len(chunk) >= 200:
            yield " ".join(chunk)
        i += n


def raw_documents(test_data: Path = TEST_DATA, seed: int = 7) -> list[tuple[str, str]]:
    """(id, text) of every usable real document, shuffled with ``seed``."""
    rng = random.Random(seed)
    docs: list[tuple[str, str]] = []
    with gzip.open(test_data / "text-spamassassin" / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            body = email_body(rec["text"])
            if len(body.split()) >= 80:
                docs.append((f"mail:{rec['id']}", body))
    with gzip.open(test_data / "text-sotu" / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            for k, passage in enumerate(_sotu_passages(rec["text"], rng)):
                docs.append((f"sotu:{rec['id']}:{k}", passage))
    rng.shuffle(docs)
    return docs


def shingle_set(text: str) -> set[int]:
    """Exact word-5-gram set (hashes) under our normaliser: the ground truth for overlap."""
    from mediamanager.fingerprint.normalize import normalized_words

    w = normalized_words(text)
    if len(w) < 5:
        return {hash(tuple(w))}
    return {hash(tuple(w[i : i + 5])) for i in range(len(w) - 4)}


def distinct_documents(docs: list[tuple[str, str]], max_overlap: float = 0.1) -> list[tuple[str, str]]:
    """Greedy de-duplication: keep a document only if it shares <= ``max_overlap`` of its shingles."""
    index: dict[int, list[int]] = {}
    kept: list[tuple[str, str]] = []
    sizes: list[int] = []
    for key, text in docs:
        s = shingle_set(text)
        if len(s) < 50:
            continue
        counts: dict[int, int] = {}
        for h in s:
            for j in index.get(h, ()):
                counts[j] = counts.get(j, 0) + 1
        if any(c > max_overlap * min(len(s), sizes[j]) for j, c in counts.items()):
            continue
        n = len(kept)
        kept.append((key, text))
        sizes.append(len(s))
        for h in s:
            index.setdefault(h, []).append(n)
    return kept


def load_split(
    registered: int,
    negatives: int,
    test_data: Path = TEST_DATA,
    seed: int = 7,
    max_shared: int = 40,
    limit: int | None = None,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """(registered docs, unregistered negatives, filler texts), disjoint and de-duplicated.

    A held-out document sharing more than ``max_shared`` exact 5-gram shingles (a verbatim
    passage of about ``max_shared`` words) with any registered one is *not* a negative: it
    really contains registered text. Such documents are neither negatives nor filler.
    ``limit`` keeps only the first raw documents (small samples for tests).
    """
    docs = distinct_documents(raw_documents(test_data, seed)[:limit])
    reg = docs[:registered]
    index: dict[int, int] = {}
    for i, (_, text) in enumerate(reg):
        for h in shingle_set(text):
            index.setdefault(h, i)
    clean: list[tuple[str, str]] = []
    for key, text in docs[registered:]:
        counts: dict[int, int] = {}
        for h in shingle_set(text):
            j = index.get(h)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if max(counts.values(), default=0) <= max_shared:
            clean.append((key, text))
    neg = clean[:negatives]
    filler = [t for _, t in clean[negatives:]] or [t for _, t in neg]
    return reg, neg, filler


# ---------------------------------------------------------------------------------------------------


def _datasketch_runner(reg: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    import numpy as np
    import xxhash
    from datasketch import MinHash, MinHashLSH

    from mediamanager.fingerprint.normalize import normalized_words

    def hfunc(b: bytes) -> int:
        return xxhash.xxh32_intdigest(b)

    def sig(text: str) -> MinHash:
        w = normalized_words(text)
        sh = [b" ".join(w[i : i + 5]) for i in range(max(1, len(w) - 4))]
        m = MinHash(num_perm=128, hashfunc=hfunc)
        m.update_batch(sh)
        return m

    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for key, text in reg:
        lsh.insert(key, sig(text))

    def query(texts: list[str]) -> list[list[str]]:
        return [list(lsh.query(sig(t))) for t in texts]

    del np
    return query


def run(
    registered: int,
    queries: int,
    negatives: int,
    seed: int = 7,
    min_score: float = 0.5,
    min_containment: float = 0.2,
    min_shared: int = 20,
    confidence_z: float = 1.0,
) -> dict[str, object]:
    from benchmarks.alterations.text import ALTERATIONS

    from mediamanager.fingerprint.index import TextIndex
    from mediamanager.fingerprint.text import sketch_texts

    t0 = time.perf_counter()
    reg, neg, filler = load_split(registered, negatives, seed=seed)
    print(
        f"corpus: {len(reg)} registered, {len(neg)} negatives, {len(filler)} filler ({time.perf_counter() - t0:.1f}s)"
    )
    index = TextIndex(
        min_score=min_score, min_containment=min_containment, min_shared=min_shared, confidence_z=confidence_z
    )
    t = time.perf_counter()
    for (key, _), sketches in zip(reg, sketch_texts(t for _, t in reg), strict=True):
        index.add_sketches(key, sketches)
    build_s = time.perf_counter() - t
    rng = random.Random(seed)
    sample = rng.sample(reg, min(queries, len(reg)))
    results: dict[str, object] = {"registered": len(reg), "negatives": len(neg), "queries": len(sample)}
    quality: dict[str, dict[str, float]] = {}
    for name, alter in ALTERATIONS.items():
        arng = random.Random(f"{seed}:{name}")
        # Filler from several unrelated documents, so that embedding really adds 2x distinct text.
        texts = [alter(text, arng, " ".join(arng.sample(filler, 6))) for _, text in sample]
        hits = wrong = 0
        for (key, _), found in zip(sample, index.search_texts(texts), strict=True):
            hits += any(m.key == key for m in found)
            wrong += sum(m.key != key for m in found)
        returned = hits + wrong
        quality[name] = {"recall": hits / len(sample), "precision": hits / returned if returned else 1.0}
    false = sum(bool(found) for found in index.search_texts([t for _, t in neg]))
    quality["negatives"] = {"false_match_rate": false / max(1, len(neg))}
    results["quality"] = quality

    # End-to-end speed on the same texts (unaltered queries + negatives), ours vs datasketch.
    speed_texts = [t for _, t in sample] + [t for _, t in neg]
    cpu = time.process_time()
    ours = [index.search_texts(speed_texts[i : i + 1000]) for i in range(0, len(speed_texts), 1000)]
    ours_s = time.process_time() - cpu
    ds_query = _datasketch_runner(reg)
    cpu = time.process_time()
    ds_query(speed_texts)
    ds_s = time.process_time() - cpu
    del ours
    mb = sum(len(t.encode()) for t in speed_texts) / 1e6
    results["speed"] = {
        "docs": len(speed_texts),
        "mean_kb": round(1000 * mb / len(speed_texts), 2),
        "ours_docs_per_cpu_s": round(len(speed_texts) / ours_s),
        "datasketch_docs_per_cpu_s": round(len(speed_texts) / ds_s),
        "ratio": round(ds_s / ours_s, 2),
        "ours_mb_per_s": round(mb / ours_s, 2),
        "index_build_s": round(build_s, 2),
    }
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--registered", type=int, default=3000)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--negatives", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--min-score", type=float, default=0.5)
    ap.add_argument("--min-containment", type=float, default=0.2)
    ap.add_argument("--min-shared", type=int, default=20)
    ap.add_argument("--confidence-z", type=float, default=1.0)
    args = ap.parse_args()
    res = run(
        args.registered,
        args.queries,
        args.negatives,
        args.seed,
        args.min_score,
        args.min_containment,
        args.min_shared,
        args.confidence_z,
    )
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
