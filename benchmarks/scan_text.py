"""Scanner benchmark, text: items/s end to end against a snapshot of registered texts, with datadiligence as anchor.

Usage (from the repository root, venv active):

    OMP_NUM_THREADS=1 python benchmarks/scan_text.py --registered 100000 --items 30000 --workers 2
    OMP_NUM_THREADS=1 python benchmarks/scan_text.py --registered 100000 --items 30000 --workers 2 --engine ray
    OMP_NUM_THREADS=1 python benchmarks/scan_text.py --registered 1000000 --items 100000 --workers 2

The registry snapshot is written once per size under ``--work`` and reused.

The dataset is the SpamAssassin corpus cycled to ``--items`` e-mails (JSONL.zst, 4
shards); 3 % are exact or edited copies of registered texts, 3 % carry ``noai``
headers and 2 % a ``tdm-reservation: 1`` header. The registry holds ``--registered``
texts built from State of the Union sentences plus the planted ones. datadiligence
(``pip install 'mediamanager[bench]'``) evaluates its header rules on the same items
in the same process, with no network: its other rules need the Spawning API.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path

import pyarrow.parquet as pq
import zstandard

from mediamanager.fingerprint.exact import sha256_hex
from mediamanager.fingerprint.text import sketch_texts
from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan
from scan_common import cpu_seconds, peak_rss_mb, spam_mails, synthetic_texts, work_record, write_snapshot


def build_registry(path: Path, n: int, planted: list[str]) -> None:
    if (path / "manifest.json").is_file():
        return

    def works():  # type: ignore[no-untyped-def]
        i = 0
        texts = list(planted)
        gen = synthetic_texts(max(0, n - len(planted)))
        while True:
            batch = texts[:2000] if texts else [t for _, t in zip(range(2000), gen, strict=False)]
            texts = texts[2000:] if texts else []
            if not batch:
                return
            for text, sk in zip(batch, sketch_texts(batch), strict=True):
                fps = [s.to_fingerprint().to_dict() for s in sk]
                yield work_record(i, "text", sha256_hex(text.encode()), fps)
                i += 1

    t = time.perf_counter()
    write_snapshot(path, works())
    print(f"registry of {n} texts written in {time.perf_counter() - t:.0f}s")


def build_dataset(folder: Path, items: int, planted: list[str]) -> dict[str, str]:
    """Returns item id -> what was planted (registered / noai / tdm / clean)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    mails = spam_mails()
    rng = random.Random(3)
    kinds: dict[str, str] = {}
    per_shard = -(-items // 4)
    for s in range(4):
        lines = []
        for i in range(s * per_shard, min(items, (s + 1) * per_shard)):
            m = mails[i % len(mails)]
            row: dict[str, object] = {"id": f"m{i}", "text": m["text"]}
            r = rng.random()
            if r < 0.03:
                text = planted[i % len(planted)]
                if i % 2:
                    words = text.split()
                    for j in rng.sample(range(len(words)), max(1, len(words) // 30)):
                        words[j] = "edited"
                    text = " ".join(words)
                row["text"], kinds[f"m{i}"] = text, "registered"
            elif r < 0.06:
                row["headers"], kinds[f"m{i}"] = {"X-Robots-Tag": "noai"}, "noai"
            elif r < 0.08:
                row["headers"], kinds[f"m{i}"] = {"tdm-reservation": "1"}, "tdm"
            else:
                kinds[f"m{i}"] = "clean"
            lines.append(json.dumps(row))
        data = ("\n".join(lines) + "\n").encode()
        (folder / f"part-{s}.jsonl.zst").write_bytes(zstandard.ZstdCompressor(level=3).compress(data))
    return kinds


def datadiligence_pass(folder: Path) -> tuple[float, dict[str, bool]]:
    """datadiligence's header rules on every item (offline); returns (seconds, id -> allowed)."""
    import datadiligence.rules as ddr

    xrobots, tdm = ddr.XRobotsTagHeader(user_agent=None), ddr.TDMRepHeader()
    allowed: dict[str, bool] = {}
    t = time.perf_counter()
    for shard in sorted(folder.iterdir()):
        with zstandard.ZstdDecompressor().stream_reader(open(shard, "rb")) as fh:
            import io

            for line in io.TextIOWrapper(fh, encoding="utf-8"):
                row = json.loads(line)
                headers = row.get("headers") or {"content-type": "text/plain"}
                allowed[row["id"]] = xrobots.is_allowed(headers=headers) and tdm.is_allowed(headers=headers)
    return time.perf_counter() - t, allowed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--registered", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=30_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engine", default="local")
    ap.add_argument("--batch-size", type=int, default=512)
    ap.add_argument("--work", type=Path, default=Path("/tmp/mm-bench/scan_text"))
    args = ap.parse_args()
    # 60 registered texts are planted in the data; they are prose, unlike the e-mails around them, so
    # every registry match is a true one (e-mails of one mailing list share long headers and footers).
    planted = list(synthetic_texts(60, seed=99))
    registry = args.work / f"registry-{args.registered}"
    build_registry(registry, args.registered, planted)
    kinds = build_dataset(args.work / "data", args.items, planted)
    out = args.work / f"out-{args.engine}"
    shutil.rmtree(out, ignore_errors=True)
    config = ScanConfig(Purpose.GENAI_TRAIN, str(registry), utcnow(), batch_size=args.batch_size)
    t0 = time.perf_counter()
    from mediamanager.scan.clients import open_registry_client

    open_registry_client(str(registry)).info()
    load_s = time.perf_counter() - t0
    t = time.perf_counter()
    cpu0 = cpu_seconds()
    summary = scan(str(args.work / "data"), out, config, engine=args.engine, workers=args.workers,
                   key_path=args.work / "bench.pem")  # fmt: skip
    wall = time.perf_counter() - t
    cpu = cpu_seconds() - cpu0
    rows = pq.read_table(out / "decisions.parquet", columns=["item_id", "outcome", "reason"]).to_pylist()
    dd_s, dd_allowed = datadiligence_pass(args.work / "data")
    ours_drop = {r["item_id"] for r in rows if r["outcome"] != "keep" or r["reason"].endswith(":registry")}
    by_registry = {r["item_id"] for r in rows if r["reason"].endswith(":registry")}
    reserved = {k for k, v in kinds.items() if v != "clean"}
    header_reserved = {k for k, v in kinds.items() if v in ("noai", "tdm")}
    dd_drop = {k for k, ok in dd_allowed.items() if not ok}
    caught = lambda found, truth: len(found & truth) / max(1, len(truth))  # noqa: E731
    own, kids = peak_rss_mb()
    print(json.dumps({
        "engine": args.engine, "workers": args.workers, "registered": args.registered, "items": summary.total,
        "snapshot_open_s": round(load_s, 2), "scan_wall_s": round(wall, 2),
        "items_per_s_end_to_end": round(summary.total / wall, 1), "cpu_s": round(cpu, 1),
        "items_per_cpu_s": round(summary.total / cpu, 1), "counts": summary.counts,
        "ours_recall_all_reserved": round(caught(ours_drop, reserved), 4),
        "ours_recall_registered": round(caught(by_registry, {k for k, v in kinds.items() if v == "registered"}), 4),
        "ours_registry_false_matches": len(by_registry - {k for k, v in kinds.items() if v == "registered"}),
        "ours_recall_header_reserved": round(caught(ours_drop, header_reserved), 4),
        "datadiligence_items_per_s": round(len(dd_allowed) / dd_s, 1),
        "datadiligence_recall_all_reserved": round(caught(dd_drop, reserved), 4),
        "datadiligence_recall_header_reserved": round(caught(dd_drop, header_reserved), 4),
        "datadiligence_false_drops": len(dd_drop - reserved),
        "peak_rss_mb_driver": round(own), "peak_rss_mb_largest_worker": round(kids),
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
