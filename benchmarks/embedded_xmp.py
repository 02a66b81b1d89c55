"""Benchmark: our XMP packet finder (signals.xmp_containers) beside Pillow's metadata reader.

Run (one core, as in BENCHMARKS.md):

    OMP_NUM_THREADS=1 python benchmarks/embedded_xmp.py --data ../shared/test-data

Corpus: every JPEG, PNG, TIFF and WebP under the test data (real photos, fixtures from c2pa-python,
c2pa-rs, ExifTool, metadata-extractor, Pillow's metadata edge cases). For each file both readers
look for the main XMP packet without decoding pixels (Pillow: ``Image.open`` then ``info["xmp"]`` or
TIFF tag 700). Reported: how often each finds a packet, how often the packets agree byte for byte
(after trimming NUL/whitespace padding), files where only one finds one, and the time per file.
"""

from __future__ import annotations

import argparse
import io
import json
import time
import warnings
from pathlib import Path

from PIL import Image

from mediamanager.signals.embedded import read_embedded
from mediamanager.signals.xmp_containers import find_xmp, sniff_format

FORMATS = {"jpeg", "png", "tiff", "webp"}


def pillow_xmp(content: bytes) -> bytes | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(io.BytesIO(content)) as im:
                raw = im.tag_v2.get(700) if im.format == "TIFF" else im.info.get("xmp")
        except Exception:
            return None
    if raw is None:
        return None
    return raw if isinstance(raw, bytes) else str(raw).encode()


def ours_xmp(content: bytes, fmt: str) -> bytes | None:
    for where, packet in find_xmp(content, fmt).packets:
        if not where.startswith("JPEG Extended"):
            return packet
    return None


def trim(b: bytes | None) -> bytes | None:
    return None if b is None else b.strip(b"\x00 \t\r\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    files = []
    for path in sorted(args.data.rglob("*")):
        if path.is_file() and path.stat().st_size < 30_000_000:
            content = path.read_bytes()
            fmt = sniff_format(content, path.name)
            if fmt in FORMATS:
                files.append((path, content, fmt))
    ours_t = pil_t = full_t = 0.0
    both = only_ours = only_pil = same = 0
    disagreements = []
    for path, content, fmt in files:
        t = time.perf_counter()
        for _ in range(args.repeat):
            a = ours_xmp(content, fmt)
        ours_t += (time.perf_counter() - t) / args.repeat
        t = time.perf_counter()
        for _ in range(args.repeat):
            b = pillow_xmp(content)
        pil_t += (time.perf_counter() - t) / args.repeat
        t = time.perf_counter()
        read_embedded(content, path.name)
        full_t += time.perf_counter() - t
        if a is not None and b is not None:
            both += 1
            same += trim(a) == trim(b)
            if trim(a) != trim(b):
                disagreements.append(str(path.relative_to(args.data)))
        elif a is not None:
            only_ours += 1
            disagreements.append(f"only ours: {path.relative_to(args.data)}")
        elif b is not None:
            only_pil += 1
            disagreements.append(f"only Pillow: {path.relative_to(args.data)}")
    n = len(files)
    print(
        json.dumps(
            {
                "files": n,
                "packet_found_by_both": both,
                "identical_when_both": same,
                "only_ours": only_ours,
                "only_pillow": only_pil,
                "ours_ms_per_file": round(1000 * ours_t / n, 3),
                "pillow_ms_per_file": round(1000 * pil_t / n, 3),
                "speed_ratio_pillow_over_ours": round(pil_t / ours_t, 2),
                "read_embedded_ms_per_file_incl_c2pa": round(1000 * full_t / n, 3),
                "disagreements": disagreements[:20],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
