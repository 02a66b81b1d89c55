"""Scanner benchmark, URL-only rows: offline decisions per second from a snapshot and a prefilled evidence cache.

Usage (from the repository root, venv active):

    OMP_NUM_THREADS=1 python benchmarks/scan_urls.py --rows 100000 --hosts 8 --workers 1

``--rows`` JSONL rows of ``url`` + ``caption`` over ``--hosts`` synthetic hosts (no network:
the evidence cache is prefilled as ``mediamanager evidence fetch`` would leave it). Each host
serves a different robots.txt / tdmrep.json / Content-Usage mix, so the outcomes are mixed
(deny by robots.txt, deny by TDMRep, allow by Content-Usage, unknown). The registry is a small
snapshot (URL-only rows are looked up by URL, which matches none of its works). The figure is
the whole ``scan()`` call (reading, deciding, decisions.parquet, the filtered copy, urls.txt,
reports, signing), wall clock.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import time
from pathlib import Path

from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.evidence import EvidenceCache
from mediamanager.scan.run import scan
from scan_common import cpu_seconds, peak_rss_mb, work_record, write_snapshot

SITES = [
    ({"robots.txt": "User-agent: GPTBot\nDisallow: /\n"}, []),
    ({"tdmrep.json": json.dumps([{"location": "/", "tdm-reservation": 1}])}, []),
    ({"robots.txt": "User-agent: *\nDisallow: /private/\n"}, [["content-usage", "train-ai=y"]]),
    ({}, []),
]


def prefill(cache_path: Path, hosts: int, urls: list[str]) -> None:
    cache = EvidenceCache(cache_path)
    for h in range(hosts):
        docs, _ = SITES[h % len(SITES)]
        statuses = {name: (200 if name in docs else 404) for name in ("robots.txt", "ai.txt", "tdmrep.json")}
        cache.put_origin(f"https://host{h}.example", dict(docs), statuses)
    cache.close()
    now = utcnow().isoformat()
    db = sqlite3.connect(cache_path)
    with db:
        db.executemany(
            "INSERT OR REPLACE INTO pages(url, origin, status, headers, html_head, fetched_at, error, final_url) "
            "VALUES (?, ?, 200, ?, NULL, ?, NULL, NULL)",
            (
                (u, u.split("/img/")[0], json.dumps(SITES[int(u.split("host")[1].split(".")[0]) % 4][1]), now)
                for u in urls
            ),
        )
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--hosts", type=int, default=8)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--work", type=Path, default=Path("/tmp/mm-bench-urls"))
    args = ap.parse_args()
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    reg = work / "registry"
    write_snapshot(reg, iter([work_record(0, "text", "0" * 64, [])]))
    urls = [f"https://host{i % args.hosts}.example/img/{i}.jpg" for i in range(args.rows)]
    data = work / "rows.jsonl"
    with data.open("w") as fh:
        for i, u in enumerate(urls):
            fh.write(json.dumps({"id": str(i), "url": u, "caption": f"a photo, number {i}"}) + "\n")
    cache = work / "evidence.sqlite"
    t = time.perf_counter()
    prefill(cache, args.hosts, urls)
    print(f"cache prefilled with {args.rows} pages on {args.hosts} hosts in {time.perf_counter() - t:.1f}s")
    config = ScanConfig(
        Purpose.GENAI_TRAIN, str(reg), utcnow(), user_agent="GPTBot", evidence_cache=str(cache)
    )
    cpu0 = cpu_seconds()
    summary = scan(str(data), work / "out", config, workers=args.workers, key_path=work / "k.pem")
    rate = summary.total / summary.elapsed_s
    own, kids = peak_rss_mb()
    print(
        f"{summary.total} URL-only rows in {summary.elapsed_s:.1f}s: {rate:,.0f} rows/s wall, "
        f"{summary.total / (cpu_seconds() - cpu0):,.0f} rows/CPU-s; outcomes {summary.counts}; "
        f"urls.txt {sum(1 for _ in (work / 'out' / 'urls.txt').open())} lines; peak RSS {max(own, kids):.0f} MB"
    )


if __name__ == "__main__":
    main()
