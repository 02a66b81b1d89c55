"""Image matching benchmark: speed against imagehash pHash and full-decode pdqhash, recall per alteration.

Run from the repository root (one core, as the goals are per core):

    OMP_NUM_THREADS=1 python -m benchmarks.image_matching [--photos 232]

Registers the 232 photos of ``metadata-extractor-images/photos-1024`` in an :class:`ImageIndex`,
applies every alteration of ``benchmarks/alterations/image.py`` to each photo, and counts how many
altered copies find their original (recall) and how many find another photo (false matches).
Pairs of photos that are one picture stored twice (mean pixel difference < 2/255) count as the same.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import time
from pathlib import Path

import numpy as np
from benchmarks.alterations.image import ALTERATIONS, GOALS
from PIL import Image

from mediamanager.fingerprint.image import image_fingerprints, pdq_full_decode
from mediamanager.fingerprint.index.binary import ImageIndex
from mediamanager.fingerprint.limits import DEFAULT_LIMITS

DATA = Path(
    os.environ.get("MEDIAMANAGER_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "test-data")
)


def _rate(fn, items) -> float:  # type: ignore[no-untyped-def]
    start = time.process_time()
    for item in items:
        fn(item)
    return len(items) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=232)
    args = parser.parse_args()
    import imagehash

    paths = sorted((DATA / "metadata-extractor-images" / "photos-1024").glob("*.jpg"))[: args.photos]
    datas = [p.read_bytes() for p in paths]
    sized = [d for d in datas if Image.open(io.BytesIO(d)).size in ((1024, 768), (768, 1024))]
    print(f"## speed: {len(sized)} photos of 1024x768, images per CPU-second (best of 2)")
    rows = {
        "imagehash.phash (full decode)": lambda d: imagehash.phash(Image.open(io.BytesIO(d))),
        "pdqhash full decode": lambda d: pdq_full_decode(d, DEFAULT_LIMITS),
        "ours, query (draft + PDQ + pHash)": lambda d: image_fingerprints(d, DEFAULT_LIMITS, variants=False),
        "ours, query + ORB (when the hashes miss)": lambda d: image_fingerprints(
            d, DEFAULT_LIMITS, variants=False, local=True
        ),
        "ours, registration (21 variants + ORB)": lambda d: image_fingerprints(
            d, DEFAULT_LIMITS, variants=True
        ),
    }
    base = None
    for name, fn in rows.items():
        rate = max(_rate(fn, sized), _rate(fn, sized))
        base = base or rate
        print(f"| {name} | {rate:.0f} | {rate / base:.2f}x |")

    thumbs = [
        np.asarray(Image.open(io.BytesIO(d)).convert("L").resize((32, 32)), dtype=np.float32) for d in datas
    ]
    index = ImageIndex()
    for path, data in zip(paths, datas, strict=True):
        index.add(path.name, data)
    names = [p.name for p in paths]

    def same(i: int, key: str) -> bool:
        return bool(np.abs(thumbs[i] - thumbs[names.index(key)]).mean() < 2.0)

    print(f"\n## recall: {len(paths)} registered photos, one altered copy of each per alteration")
    print("| alteration | recall | goal | found by global hashes | false matches | queries |")
    for name, alteration in ALTERATIONS.items():
        rng = random.Random(name)
        found = false = total = by_hash = 0
        for i, data in enumerate(datas):
            fps = image_fingerprints(data, DEFAULT_LIMITS, variants=False)
            if fps[0].size is not None and fps[0].size < 5:
                continue  # the one all-black photo: documented as unmatchable
            query = alteration(Image.open(io.BytesIO(data)).convert("RGB"), rng)
            matches = index.search(query)
            total += 1
            found += any(same(i, m.key) for m in matches)
            by_hash += any(same(i, m.key) and m.kind == "pdq" for m in matches)
            false += sum(not same(i, m.key) for m in matches)
        print(
            f"| {name} | {found / total:.3f} | {GOALS[name]:.2f} | {by_hash / total:.3f} | {false} | {total} |"
        )
    false_self = sum(sum(not same(i, m.key) for m in index.search(data)) for i, data in enumerate(datas))
    print(f"\nphotos searched against each other: {false_self} false matches among {len(datas)} photos")


if __name__ == "__main__":
    main()
