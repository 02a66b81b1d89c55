"""Shared helpers for the scanner benchmarks: corpora from ../shared/test-data and a snapshot writer.

The snapshot is written by ``mediamanager.registry.snapshot.write_snapshot``, the code path
``mediamanager export`` uses, fed with synthetic works instead of the registry service, so a
registry of 1 M works is built in minutes rather than through the service.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import resource
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mediamanager.model import parse_preference_spec

TEST_DATA = Path(
    os.environ.get("MEDIAMANAGER_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "test-data")
)
PREFS = [
    parse_preference_spec("genai-train=deny", source="registry:work").to_dict(effective=True),
    parse_preference_spec("genai-train=allow-if:attribution", source="registry:work").to_dict(effective=True),
    parse_preference_spec("tdm=allow", source="registry:work").to_dict(effective=True),
]


def spam_mails() -> list[dict[str, Any]]:
    with gzip.open(TEST_DATA / "text-spamassassin" / "corpus.jsonl.gz", "rt") as fh:
        return [json.loads(line) for line in fh]


def sotu_words() -> list[str]:
    with gzip.open(TEST_DATA / "text-sotu" / "corpus.jsonl.gz", "rt") as fh:
        return [w for line in fh for w in json.loads(line)["text"].split()]


def synthetic_texts(n: int, seed: int = 7) -> Iterator[str]:
    """Texts of 150-450 words drawn from real State of the Union sentences (distinct, not e-mail-like)."""
    words = sotu_words()
    rng = random.Random(seed)
    for _ in range(n):
        start = rng.randrange(0, len(words) - 500)
        length = rng.randrange(150, 450)
        chunk = words[start : start + length]
        rng.shuffle(chunk)  # distinct documents that still look like prose to the tokenizer
        yield " ".join(chunk)


def write_snapshot(out: Path, works: Iterator[dict[str, Any]]) -> int:
    """Write a snapshot of ``works`` (``work_record`` dicts); returns the number of works."""
    from mediamanager.model import Fingerprint
    from mediamanager.registry.snapshot import SnapshotWork
    from mediamanager.registry.snapshot import write_snapshot as write_v2

    owners = [{"id": f"owner-{i}", "kind": "person", "display_name": f"Owner {i}"} for i in range(100)]
    items = (
        SnapshotWork(
            w["id"], w["owner_id"], w["media_type"], w["title"], w["sha256"], w["iscc"],
            tuple(Fingerprint.from_dict(f) for f in w["fingerprints"]), w["preferences"],
            w["disputed"], tuple(w["claimants"]),
        )
        for w in works
    )  # fmt: skip
    return write_v2(out, owners, items, registry_version="bench", registry_head="0" * 64).works


def work_record(i: int, media_type: str, sha256: str, fingerprints: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": f"work-{i:08d}", "owner_id": f"owner-{i % 100}", "media_type": media_type, "title": f"Work {i}",
        "sha256": sha256, "iscc": "", "fingerprints": fingerprints, "preferences": PREFS[i % 3],
        "disputed": False, "claimants": [],
    }  # fmt: skip


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children."""
    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
