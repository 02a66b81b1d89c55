"""Recall through ``mediamanager scan`` (issue 10): altered copies of registered works must be caught.

Usage (from the repository root, venv active, PYTHONPATH=src):

    OMP_NUM_THREADS=1 python benchmarks/scan_recall.py --images 116 --texts 8 --audio 40 --workers 2

What it does:

1. registers works into a registry snapshot (``write_snapshot``, the code path of ``mediamanager
   export``; fingerprints from ``fingerprint_content``, the registration path): the first
   ``--images`` of the 232 photos in ``metadata-extractor-images/photos-1024``, ``--texts`` State
   of the Union addresses (seeded pick), ``--audio`` spoken-digit clips (FSDD, 0.3-0.8 s each).
   Every work denies ``genai-train``;
2. builds a folder dataset of altered copies: every image alteration of
   ``alterations.image.SCAN_ALTERATIONS`` applied to every registered photo, every text
   alteration of ``alterations.text.SCAN_ALTERATIONS`` to every registered speech (``--text-reps``
   seeded copies each; excerpts are placed in 1,000-3,000 words of an unregistered address),
   audio clips byte-exact and re-encoded (MP3 64k, Vorbis); plus unrelated items: the other
   photos under every image alteration (photos whose pixels equal a registered one's are left
   out: the set holds one picture twice under two names), the unregistered addresses and
   ``--mails`` e-mails of the SpamAssassin corpus, and unregistered clips;
3. runs the CLI (``mediamanager scan DATA --purpose genai-train --unknown keep``) in a subprocess
   and reads ``decisions.parquet``: an altered copy is caught when it is dropped by the registry
   with its own work among the matches; an unrelated item dropped by the registry is a false drop.

Prints JSON: recall, the lowest and median score of the caught copies per alteration, false drops
per media type, the exact-only warnings of registration, and the scan's wall time and items/s.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from alterations.image import SCAN_ALTERATIONS as IMAGE_ALTERATIONS
from alterations.text import SCAN_ALTERATIONS as TEXT_ALTERATIONS
from mediamanager.fingerprint import exact_only_warning, fingerprint_content
from scan_common import PREFS, TEST_DATA, cpu_seconds, work_record, write_snapshot

AUDIO_ALTERATIONS = {
    "exact_copy": ([], ".wav"),
    "mp3_64k": (["-codec:a", "libmp3lame", "-b:a", "64k"], ".mp3"),
    "vorbis_q3": (["-codec:a", "libvorbis", "-q:a", "3"], ".ogg"),
}


def photos() -> list[Path]:
    return sorted((TEST_DATA / "metadata-extractor-images" / "photos-1024").glob("*.jpg"))


def _thumb(path: Path) -> bytes:
    with Image.open(path) as im:
        return np.asarray(im.convert("L").resize((32, 32)), dtype=np.uint8).tobytes()


def sotu() -> list[str]:
    with gzip.open(TEST_DATA / "text-sotu" / "corpus.jsonl.gz", "rt") as fh:
        return [json.loads(line)["text"] for line in fh]


def mails(n: int) -> list[str]:
    with gzip.open(TEST_DATA / "text-spamassassin" / "corpus.jsonl.gz", "rt") as fh:
        return [json.loads(line)["text"] for _, line in zip(range(n), fh, strict=False)]


def clips() -> list[Path]:
    found = sorted((TEST_DATA / "fsdd-spoken-digits" / "recordings").glob("*.wav"))
    random.Random(2).shuffle(found)
    return found


def _ffmpeg(source: Path, args: list[str], out: Path) -> None:
    cmd = ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", str(source), *args, str(out)]
    subprocess.run(cmd, check=True, timeout=120)


def build(
    work: Path,
    *,
    images: int,
    unrelated_images: int,
    texts: int,
    audio: int,
    text_reps: int,
    n_mails: int,
    image_start: int = 0,
) -> dict[str, Any]:
    """Write ``work/registry`` and ``work/data``; returns the truth table and registration notes."""
    shutil.rmtree(work, ignore_errors=True)
    data = work / "data"
    truth: dict[str, tuple[str, str, str | None]] = {}  # path -> (media, alteration, work id or None)
    records: list[dict[str, Any]] = []
    warnings: list[str] = []

    def register(media: str, content: bytes | str, name: str) -> str:
        fp = fingerprint_content(content, with_iscc=False)
        wid = f"work-{len(records):08d}"
        fps = [f.to_dict() for f in fp.fingerprints]
        records.append(
            {**work_record(len(records), media, fp.sha256, fps), "title": name, "preferences": PREFS[0]}
        )
        note = exact_only_warning(media, fp.fingerprints)
        if note:
            warnings.append(f"{name}: {note}")
        return wid

    def put(rel: str, payload: bytes | str, media: str, alteration: str, wid: str | None) -> None:
        path = data / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload.encode() if isinstance(payload, str) else payload)
        truth[rel] = (media, alteration, wid)

    all_photos = photos() if images else []
    # photos image_start .. image_start + images are registered; copy i is edited with the seed of
    # photo i's global number, so a slice reproduces the same copies as the full run
    registered = all_photos[image_start : image_start + images]
    seen = {_thumb(p) for p in registered}
    unrelated = [p for p in all_photos[image_start + images :] if _thumb(p) not in seen][:unrelated_images]
    for i, path in enumerate(registered, start=image_start):
        wid = register("image", path.read_bytes(), path.name)
        with Image.open(path) as im:
            rgb = im.convert("RGB")
        for name, alter in IMAGE_ALTERATIONS.items():
            put(f"image/{name}/{i:03d}.jpg", alter(rgb, random.Random(f"{name}{i}")), "image", name, wid)
    for i, path in enumerate(unrelated):
        with Image.open(path) as im:
            rgb = im.convert("RGB")
        for name, alter in IMAGE_ALTERATIONS.items():
            put(
                f"image/unrelated-{name}/{i:03d}.jpg",
                alter(rgb, random.Random(f"u{name}{i}")),
                "image",
                name,
                None,
            )

    speeches = sotu() if texts else []
    order = list(range(len(speeches)))
    random.Random(3).shuffle(order)
    chosen, others = [speeches[i] for i in order[:texts]], [speeches[i] for i in order[texts:]]
    for i, speech in enumerate(chosen):
        wid = register("text", speech, f"sotu-{order[i]}")
        for name, alter in TEXT_ALTERATIONS.items():
            ext = {"html_page": "html", "markdown_page": "md"}.get(name, "txt")
            for rep in range(text_reps):
                rng = random.Random(f"{name}{i}.{rep}")
                host_words = others[rng.randrange(len(others))].split()
                start = rng.randrange(0, max(1, len(host_words) - 3000))
                host = " ".join(host_words[start : start + rng.randint(1000, 3000)])
                put(f"text/{name}/{i:02d}-{rep}.{ext}", alter(speech, rng, host), "text", name, wid)
    for i, speech in enumerate(others):
        put(f"text/unrelated-sotu/{i:03d}.txt", speech, "text", "unrelated_sotu", None)
    for i, mail in enumerate(mails(n_mails) if texts else []):
        put(f"text/unrelated-mail/{i:05d}.txt", mail, "text", "unrelated_mail", None)

    recordings = clips() if audio else []
    for i, path in enumerate(recordings[:audio]):
        wid = register("audio", path.read_bytes(), path.name)
        for name, (args, ext) in AUDIO_ALTERATIONS.items():
            rel = f"audio/{name}/{i:03d}{ext}"
            (data / rel).parent.mkdir(parents=True, exist_ok=True)
            if args:
                _ffmpeg(path, args, data / rel)
            else:
                shutil.copyfile(path, data / rel)
            truth[rel] = ("audio", name, wid)
    for i, path in enumerate(recordings[audio : 4 * audio]):
        put(f"audio/unrelated/{i:03d}.wav", path.read_bytes(), "audio", "unrelated", None)

    write_snapshot(work / "registry", iter(records))
    return {"truth": truth, "warnings": warnings, "unrelated_photos": len(unrelated)}


def run_scan(work: Path, workers: int) -> tuple[list[dict[str, Any]], float, float]:
    """``mediamanager scan`` on ``work/data`` (a subprocess, as a user runs it); rows, wall s, CPU s."""
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    exe = Path(sys.executable).with_name("mediamanager")
    cmd = [str(exe), "scan", str(work / "data"), "--purpose", "genai-train", "--registry", str(work / "registry"),
           "--out", str(out), "--unknown", "keep", "--format", "files", "--workers", str(workers),
           "--key", str(work / "builder.pem"), "--scan-time", "2026-01-01T00:00:00+00:00"]  # fmt: skip
    cpu0, start = cpu_seconds(), time.perf_counter()
    subprocess.run(cmd, check=True, env=os.environ.copy(), stdout=subprocess.DEVNULL, timeout=3600)
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
    columns = ["item_id", "outcome", "reason", "matches", "error"]
    return pq.read_table(out / "decisions.parquet", columns=columns).to_pylist(), wall, cpu


def score(rows: list[dict[str, Any]], truth: dict[str, tuple[str, str, str | None]]) -> dict[str, Any]:
    """Recall and scores per alteration, false drops per unrelated group (see the module docstring)."""
    caught: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    false: dict[str, list[int]] = {}
    errors = [r["item_id"] for r in rows if r["outcome"] == "error"]
    for r in rows:
        media, alteration, wid = truth[r["item_id"]]
        by_registry = r["outcome"] == "drop" and r["reason"].endswith(":registry")
        matches = json.loads(r["matches"] or "[]")
        if wid is None:
            group = false.setdefault(media, [0, 0])
            group[0] += int(by_registry)
            group[1] += 1
            continue
        key = f"{media}/{alteration}"
        totals[key] = totals.get(key, 0) + 1
        own = [m["score"] for m in matches if m["work_id"] == wid]
        if by_registry and own:
            caught.setdefault(key, []).append(float(own[0]))
    recall = {
        key: {
            "caught": len(caught.get(key, [])), "of": n, "recall": round(len(caught.get(key, [])) / n, 4),
            "min_score": round(min(caught[key]), 3) if caught.get(key) else None,
            "median_score": round(statistics.median(caught[key]), 3) if caught.get(key) else None,
        }
        for key, n in sorted(totals.items())
    }  # fmt: skip
    return {"recall": recall, "false_drops": {m: {"dropped": d, "of": n} for m, (d, n) in false.items()},
            "errors": errors}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=116, help="registered photos (the rest are unrelated)")
    ap.add_argument("--unrelated-images", type=int, default=232, help="at most this many unrelated photos")
    ap.add_argument("--texts", type=int, default=8, help="registered State of the Union addresses")
    ap.add_argument("--text-reps", type=int, default=6, help="seeded copies per speech and alteration")
    ap.add_argument("--mails", type=int, default=6046, help="unrelated e-mails")
    ap.add_argument("--audio", type=int, default=40, help="registered spoken-digit clips")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path("/tmp/mm-bench/scan_recall"))
    args = ap.parse_args()
    start = time.perf_counter()
    built = build(
        args.work, images=args.images, unrelated_images=args.unrelated_images, texts=args.texts, audio=args.audio, text_reps=args.text_reps,
        n_mails=args.mails,
    )  # fmt: skip
    build_s = time.perf_counter() - start
    rows, wall, cpu = run_scan(args.work, args.workers)
    result = score(rows, built["truth"])
    result.update(
        items=len(rows), build_s=round(build_s, 1), scan_wall_s=round(wall, 1), scan_cpu_s=round(cpu, 1),
        items_per_s=round(len(rows) / wall, 1), workers=args.workers, unrelated_photos=built["unrelated_photos"],
        registration_warnings=len(built["warnings"]), warning_example=(built["warnings"] or [None])[0],
    )  # fmt: skip
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
