"""Inference guards: RAG filter throughput, regurgitation check latency at scale, name gate latency.

* ``context``: a version-2 snapshot of ``--works`` registered texts (200-word chunks of the
  State of the Union addresses and e-mail bodies, real; repeated with a distinct tail word when
  more are asked for), queried with 10-document contexts (half registered chunks, half
  unregistered e-mails). Reports documents/s (batches of 1,000) and p50/p99 per 10-doc context.
* ``output``: a synthetic registry of ``--tokens`` tokens drawn from the shared texts' word
  frequencies (works of 5,000 words), indexed, saved and memory-mapped; 500-token outputs are
  real unregistered SOTU text with a 30-word registered span inserted in half of them. Reports
  bytes/token, recall on the inserted spans and p50/p99 per output; beside it, ``pyahocorasick``
  over every registered 15-word string of the first ``--anchor-tokens`` tokens.
* ``names``: ``--names`` Faker names in ten locales (five scripts); prompts are real e-mail
  sentences (half with a registered name inserted). Reports p50/mean per prompt; beside it,
  ``rapidfuzz.process.extractOne`` of every 2-word window against all names.

Usage: ``python benchmarks/guard.py {context,output,names} [options]`` (one core:
``OMP_NUM_THREADS=1 taskset -c 0``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(
    os.environ.get("MEDIAMANAGER_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "test-data")
)


def _jsonl(name: str) -> list[dict[str, Any]]:
    with gzip.open(DATA / name / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _body(text: str) -> str:
    return text.split("\n\n", 1)[1] if "\n\n" in text else text


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def bench_context(args: argparse.Namespace) -> dict[str, Any]:
    from mediamanager.fingerprint.text import sketch_batch
    from mediamanager.guard import GuardDoc, judge_context
    from mediamanager.registry.snapshot import SnapshotWork, write_snapshot
    from mediamanager.scan.clients import SnapshotRegistryClient

    sotu, mails = _jsonl("text-sotu"), _jsonl("text-spamassassin")
    chunks = []
    for d in sotu:
        w = d["text"].split()
        chunks += [" ".join(w[i : i + 200]) for i in range(0, len(w) - 200, 200)]
    chunks += [_body(m["text"]) for m in mails[::2] if len(_body(m["text"]).split()) >= 60]
    texts = [chunks[i % len(chunks)] + (f" z{i}" if i >= len(chunks) else "") for i in range(args.works)]
    prefs = [{"rules": {"ai-input": {"use": u}}} for u in ("deny", "allow", "unknown")]
    t0 = time.perf_counter()
    works = []
    for lo in range(0, len(texts), 2000):
        sketches = sketch_batch(texts[lo : lo + 2000]).sketches()
        for j, sk in enumerate(sketches):
            i = lo + j
            works.append(SnapshotWork(f"w{i}", "o1", "text", f"t{i}", f"{i:064x}", "",
                                      tuple(s.to_fingerprint() for s in sk), prefs[i % 3]))  # fmt: skip
    out = Path(tempfile.mkdtemp()) / "snap"
    write_snapshot(out, [{"id": "o1", "kind": "person", "display_name": "Owner"}], works,
                   registry_version="bench", registry_head="0" * 64)  # fmt: skip
    build_s = time.perf_counter() - t0
    client = SnapshotRegistryClient(out)
    client.info()
    rng = random.Random(1)
    unreg = [_body(m["text"]) for m in mails[1::2] if len(_body(m["text"]).split()) >= 60]
    docs = [GuardDoc(text=rng.choice(texts) if k % 2 else rng.choice(unreg)) for k in range(args.docs)]
    judge_context(docs[:10], client)  # warm
    t0 = time.perf_counter()
    for lo in range(0, len(docs), 1000):
        judge_context(docs[lo : lo + 1000], client)
    rate = len(docs) / (time.perf_counter() - t0)
    lat = []
    for lo in range(0, min(len(docs), 10 * args.contexts), 10):
        t = time.perf_counter()
        judge_context(docs[lo : lo + 10], client)
        lat.append((time.perf_counter() - t) * 1000)
    return {"works": args.works, "snapshot_build_s": round(build_s, 1), "docs_per_s_batch1000": round(rate),
            "ctx10_p50_ms": round(_pct(lat, 50), 2), "ctx10_p99_ms": round(_pct(lat, 99), 2)}  # fmt: skip


def _vocab() -> tuple[list[str], np.ndarray]:
    from collections import Counter

    from mediamanager.fingerprint.normalize import normalized_words

    counts: Counter[bytes] = Counter()
    for d in _jsonl("text-sotu"):
        counts.update(normalized_words(d["text"]))
    words, freq = zip(*counts.most_common(), strict=True)
    p = np.asarray(freq, np.float64)
    return [w.decode() for w in words], p / p.sum()


def bench_output(args: argparse.Namespace) -> dict[str, Any]:
    import xxhash

    from mediamanager.guard import VerbatimIndex, check_output

    vocab, p = _vocab()
    vhash = np.array([xxhash.xxh64_intdigest(w.encode()) for w in vocab], np.uint64)
    rng = np.random.default_rng(7)
    idx = VerbatimIndex()
    per_work, n_works = 5000, args.tokens // 5000
    t0 = time.perf_counter()
    kept_ids: list[np.ndarray] = []
    for wno in range(n_works):
        ids = rng.choice(len(vocab), size=per_work, p=p)
        if wno < 200:
            kept_ids.append(ids)
        idx.add_word_hashes(
            vhash[ids], {"work_id": f"w{wno}", "preferences": {"rules": {"ai-input": {"use": "deny"}}}}
        )
    path = Path(tempfile.mkdtemp()) / "vidx"
    idx.save(path)
    build_s = time.perf_counter() - t0
    bpt = idx.nbytes() / idx.num_tokens
    del idx
    idx = VerbatimIndex.load(path)
    sotu = _jsonl("text-sotu")
    prng = random.Random(3)
    outputs, expect = [], []
    for k in range(args.outputs):
        w = sotu[prng.randrange(len(sotu))]["text"].split()
        s = prng.randrange(0, len(w) - 500)
        base = w[s : s + 470]
        if k % 2:
            ids = kept_ids[prng.randrange(len(kept_ids))]
            o = prng.randrange(0, per_work - 30)
            base = base[:200] + [vocab[i] for i in ids[o : o + 30]] + base[200:]
        outputs.append(" ".join(base))
        expect.append(k % 2 == 1)
    check_output(outputs[0], idx)
    lat, found = [], 0
    for text, exp in zip(outputs, expect, strict=True):
        t = time.perf_counter()
        r = check_output(text, idx)
        lat.append((time.perf_counter() - t) * 1000)
        found += exp and any(s.matched_words >= 30 for s in r.spans)
    res = {"tokens": n_works * per_work, "build_s": round(build_s, 1), "bytes_per_token": round(bpt, 3),
           "recall_inserted": f"{found}/{sum(expect)}", "p50_ms": round(_pct(lat, 50), 3),
           "p99_ms": round(_pct(lat, 99), 3)}  # fmt: skip
    res.update(_aho_anchor(args, vocab, p, outputs))
    return res


def _aho_anchor(
    args: argparse.Namespace, vocab: list[str], p: np.ndarray, outputs: list[str]
) -> dict[str, Any]:
    import ahocorasick

    from mediamanager.fingerprint.normalize import normalize_text

    rng = np.random.default_rng(7)
    auto = ahocorasick.Automaton()
    n = 0
    t0 = time.perf_counter()
    for _ in range(args.anchor_tokens // 5000):
        words = [vocab[i] for i in rng.choice(len(vocab), size=5000, p=p)]
        for i in range(len(words) - 14):
            auto.add_word(" " + " ".join(words[i : i + 15]) + " ", n)
            n += 1
    auto.make_automaton()
    build = time.perf_counter() - t0
    lat = []
    for text in outputs:
        t = time.perf_counter()
        list(auto.iter(" " + normalize_text(text) + " "))
        lat.append((time.perf_counter() - t) * 1000)
    return {"aho_tokens": args.anchor_tokens, "aho_build_s": round(build, 1),
            "aho_bytes_per_token": round(auto.get_stats()["total_size"] / max(1, args.anchor_tokens), 1),
            "aho_p50_ms": round(_pct(lat, 50), 3)}  # fmt: skip


def bench_names(args: argparse.Namespace) -> dict[str, Any]:
    from faker import Faker
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    from mediamanager.guard import NamesTable, gate_prompt

    locales = ["en_US", "fr_FR", "de_DE", "cs_CZ", "es_ES", "pl_PL", "ru_RU", "el_GR", "ja_JP", "zh_CN"]
    names: set[str] = set()
    fakes = {loc: Faker(loc) for loc in locales}
    for fake in fakes.values():
        fake.seed_instance(11)
    tries = 0
    while len(names) < args.names and tries < 50 * args.names:  # some locales have few distinct names
        loc = locales[tries % len(locales)]
        fake = fakes[loc]
        names.add(fake.name() if loc in ("ja_JP", "zh_CN") else f"{fake.first_name()} {fake.last_name()}")
        tries += 1
    name_list = sorted(names)
    t0 = time.perf_counter()
    table = NamesTable.from_records(
        {"owner_id": str(i), "name": n, "style": "refuse"} for i, n in enumerate(name_list)
    )
    build = time.perf_counter() - t0
    sentences = []
    for m in _jsonl("text-spamassassin")[:3000]:
        sentences += [
            s.strip() for s in re.split(r"(?<=[.!?])\s+", _body(m["text"])) if 30 <= len(s.strip()) <= 300
        ]
    rng = random.Random(2)
    prompts = [
        s if k % 2 == 0 else f"{s} In the style of {rng.choice(name_list)}."
        for k, s in enumerate(sentences[: args.prompts])
    ]
    gate_prompt(prompts[0], table)
    lat = []
    for pr in prompts:
        t = time.perf_counter()
        gate_prompt(pr, table)
        lat.append((time.perf_counter() - t) * 1000)
    anchor = []
    lowered = [n.lower() for n in name_list]
    for pr in prompts[: args.anchor_prompts]:
        words = pr.lower().split()
        t = time.perf_counter()
        for i in range(len(words) - 1):
            process.extractOne(
                " ".join(words[i : i + 2]), lowered, scorer=Levenshtein.distance, score_cutoff=2
            )
        anchor.append((time.perf_counter() - t) * 1000)
    return {"names": len(name_list), "table_build_s": round(build, 1), "prompts": len(prompts),
            "p50_ms": round(_pct(lat, 50), 4), "mean_ms": round(statistics.mean(lat), 4),
            "p99_ms": round(_pct(lat, 99), 4), "rapidfuzz_extractone_p50_ms": round(_pct(anchor, 50), 2)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    c = sub.add_parser("context")
    c.add_argument("--works", type=int, default=20_000)
    c.add_argument("--docs", type=int, default=10_000)
    c.add_argument("--contexts", type=int, default=300)
    o = sub.add_parser("output")
    o.add_argument("--tokens", type=int, default=10_000_000)
    o.add_argument("--outputs", type=int, default=400)
    o.add_argument("--anchor-tokens", type=int, default=1_000_000)
    n = sub.add_parser("names")
    n.add_argument("--names", type=int, default=100_000)
    n.add_argument("--prompts", type=int, default=5000)
    n.add_argument("--anchor-prompts", type=int, default=20)
    args = ap.parse_args()
    fn = {"context": bench_context, "output": bench_output, "names": bench_names}[args.what]
    json.dump(fn(args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
