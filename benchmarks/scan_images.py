"""Scanner benchmark, images: images/s end to end from WebDataset shards of 1024x768 JPEGs.

Usage (from the repository root, venv active):

    OMP_NUM_THREADS=1 python benchmarks/scan_images.py --items 2000 --workers 2
    OMP_NUM_THREADS=1 python benchmarks/scan_images.py --items 2000 --workers 2 --engine ray
    OMP_NUM_THREADS=1 python benchmarks/scan_images.py --decoders   # decode options side by side

The images are the 232 real photos of ``metadata-extractor-images/photos-1024``,
cropped/resized to 1024x768 and re-encoded (quality 80-95, so every item has its own
bytes), in img2dataset-style shards of 500 samples (jpg + json with url and headers).
The first 100 photos are registered (deny); 3 % of samples carry ``noai`` headers.
datadiligence's header rules run on the same samples as the anchor. The scan reports the share of
images that needed the robust path (ORB local features), i.e. those no global hash matched.

``--decoders`` times the JPEG decode options for the fingerprint's pixels on the same JPEGs (CPU
ms per image, one process): Pillow full decode, Pillow ``draft()`` at 1/8 and 1/4 (ours), OpenCV's
``IMREAD_REDUCED_GRAYSCALE_2/4/8`` and simplejpeg's scaled decode (libjpeg-turbo), each followed by
the same 64x64 area average and PDQ; it prints each option's PDQ distance to ours (what switching
decoders would cost a registry of existing hashes) and to the full-decode reference.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import tarfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from PIL import Image

from mediamanager.model import Purpose, utcnow
from mediamanager.scan.config import ScanConfig
from mediamanager.scan.run import scan
from scan_common import TEST_DATA, cpu_seconds, peak_rss_mb, work_record, write_snapshot


def base_images() -> list[Image.Image]:
    out = []
    for p in sorted((TEST_DATA / "metadata-extractor-images" / "photos-1024").glob("*.jpg")):
        with Image.open(p) as im:
            im = im.convert("RGB")
            w, h = im.size
            target = 4 / 3
            if w / h > target:
                nw = int(h * target)
                im = im.crop(((w - nw) // 2, 0, (w - nw) // 2 + nw, h))
            else:
                nh = int(w / target)
                im = im.crop((0, (h - nh) // 2, w, (h - nh) // 2 + nh))
            out.append(im.resize((1024, 768)))
    return out


def jpeg(im: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def build(work: Path, items: int) -> tuple[Path, Path, dict[str, str]]:
    from mediamanager.fingerprint import fingerprint_content

    bases = base_images()
    registry = work / "registry-v2"
    try:
        from mediamanager.fingerprint.index import ImageIndex

        ImageIndex()
        registered = 100
    except (
        ImportError,
        AttributeError,
    ):  # the image index has not landed: measure the pipeline without matches
        print("no ImageIndex: registering no images; matching images is not measured")
        registered = 0
    if not (registry / "manifest.json").is_file():

        def works():  # type: ignore[no-untyped-def]
            for i, im in enumerate(bases[:registered]):
                data = jpeg(im, 90)
                fp = fingerprint_content(data)
                yield work_record(i * 3, "image", fp.sha256, [f.to_dict() for f in fp.fingerprints])

        write_snapshot(registry, works())
    data_dir = work / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    rng = random.Random(5)
    kinds: dict[str, str] = {}
    for s in range(-(-items // 500)):
        with tarfile.open(data_dir / f"{s:05d}.tar", "w") as tar:
            for i in range(s * 500, min(items, (s + 1) * 500)):
                b = i % len(bases)
                meta: dict[str, object] = {
                    "url": f"https://img.example/{i}.jpg",
                    "key": f"{i:09d}",
                    "status": "success",
                }
                kinds[f"{i:09d}"] = "registered" if b < registered else "clean"
                if rng.random() < 0.03:
                    meta["headers"] = {"X-Robots-Tag": "noai"}
                    kinds[f"{i:09d}"] = "noai" if b >= registered else "registered"
                for ext, payload in (
                    ("jpg", jpeg(bases[b], rng.randrange(80, 96))),
                    ("json", json.dumps(meta).encode()),
                ):
                    info = tarfile.TarInfo(f"{i:09d}.{ext}")
                    info.size = len(payload)
                    tar.addfile(info, io.BytesIO(payload))
    return registry, data_dir, kinds


def _decoder_options() -> dict[str, object]:
    import cv2
    import numpy as np

    from mediamanager.fingerprint.image import decode_luminance
    from mediamanager.fingerprint.limits import DEFAULT_LIMITS

    def pil(draft: tuple[int, int] | None):  # type: ignore[no-untyped-def]
        def run(data: bytes):  # type: ignore[no-untyped-def]
            with Image.open(io.BytesIO(data)) as im:
                if draft:
                    im.draft("L", draft)
                return np.asarray(im.convert("L"))

        return run

    def opencv(flag: int):  # type: ignore[no-untyped-def]
        return lambda data: cv2.imdecode(np.frombuffer(data, np.uint8), flag)

    options: dict[str, object] = {
        "pillow full decode": pil(None),
        "pillow draft 1/8 (before)": pil((64, 64)),
        "ours: decode_luminance (pillow draft 1/4, L)": lambda data: decode_luminance(data, DEFAULT_LIMITS),
        "opencv IMREAD_REDUCED_GRAYSCALE_2": opencv(cv2.IMREAD_REDUCED_GRAYSCALE_2),
        "opencv IMREAD_REDUCED_GRAYSCALE_4": opencv(cv2.IMREAD_REDUCED_GRAYSCALE_4),
        "opencv IMREAD_REDUCED_GRAYSCALE_8": opencv(cv2.IMREAD_REDUCED_GRAYSCALE_8),
    }
    try:
        import simplejpeg

        for side in (192, 96):  # the largest DCT scaling keeping both sides >= side: 1/4, 1/8
            options[f"simplejpeg GRAY scaled to >= {side} px"] = lambda data, m=side: simplejpeg.decode_jpeg(
                data, colorspace="GRAY", min_height=m, min_width=m
            )[:, :, 0]
    except ImportError:
        print("simplejpeg not installed (pip install 'mediamanager[bench]'): left out")
    return options


def compare_decoders(count: int = 100) -> None:
    """Decode options side by side (see the module docstring); prints JSON."""
    import statistics

    from mediamanager.fingerprint.image import global_fingerprints, hamming_hex

    rng = random.Random(7)
    datas = [jpeg(im, rng.randrange(80, 96)) for im in base_images()[:count]]
    options = _decoder_options()
    codes: dict[str, list[str]] = {}
    out: dict[str, dict[str, float]] = {}
    for name, decode in options.items():
        best = float("inf")
        for _ in range(3):
            t = time.process_time()
            greys = [decode(d) for d in datas]  # type: ignore[operator]
            best = min(best, (time.process_time() - t) / len(datas))
        t = time.process_time()
        codes[name] = [global_fingerprints(g, variants=False)[0].value for g in greys]
        hash_ms = (time.process_time() - t) / len(datas) * 1000
        out[name] = {"decode_ms": round(best * 1000, 3), "hash_ms": round(hash_ms, 3),
                     "side": f"{greys[0].shape[1]}x{greys[0].shape[0]}"}  # type: ignore[dict-item]  # fmt: skip
    ours = codes["ours: decode_luminance (pillow draft 1/4, L)"]
    full = codes["pillow full decode"]
    for name, values in codes.items():
        to_ours = [hamming_hex(a, b) for a, b in zip(values, ours, strict=True)]
        to_full = [hamming_hex(a, b) for a, b in zip(values, full, strict=True)]
        out[name].update(
            pdq_bits_to_ours_mean=round(statistics.mean(to_ours), 1), pdq_bits_to_ours_max=max(to_ours),
            pdq_bits_to_full_mean=round(statistics.mean(to_full), 1), pdq_bits_to_full_max=max(to_full),
        )  # fmt: skip
    print(json.dumps({"images": len(datas), "options": out}, indent=1))


def robust_share(rows: list[dict[str, object]]) -> float:
    """Share of images no global hash (sha256, PDQ/pHash) matched: they went through ORB."""
    through = 0
    for r in rows:
        kinds = {m["kind"] for m in json.loads(str(r["matches"] or "[]"))}
        through += not (kinds & {"sha256", "pdq"})
    return round(through / max(1, len(rows)), 4)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engine", default="local")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--work", type=Path, default=Path("/tmp/mm-bench/scan_images"))
    ap.add_argument("--decoders", action="store_true", help="only compare the decode options")
    args = ap.parse_args()
    if args.decoders:
        compare_decoders()
        return
    t = time.perf_counter()
    registry, data_dir, kinds = build(args.work, args.items)
    print(f"data built in {time.perf_counter() - t:.0f}s")
    out = args.work / f"out-{args.engine}"
    shutil.rmtree(out, ignore_errors=True)
    config = ScanConfig(Purpose.GENAI_TRAIN, str(registry), utcnow(), batch_size=args.batch_size)
    cpu0, t = cpu_seconds(), time.perf_counter()
    summary = scan(
        str(data_dir), out, config, engine=args.engine, workers=args.workers, key_path=args.work / "k.pem"
    )
    wall, cpu = time.perf_counter() - t, cpu_seconds() - cpu0
    rows = pq.read_table(
        out / "decisions.parquet", columns=["item_id", "outcome", "reason", "matches"]
    ).to_pylist()
    registered = {k for k, v in kinds.items() if v == "registered"}
    by_registry = {r["item_id"] for r in rows if r["reason"].endswith(":registry")}
    import datadiligence.rules as ddr

    rule = ddr.XRobotsTagHeader(user_agent=None)
    t = time.perf_counter()
    dd_drop = set()
    for shard in sorted(data_dir.iterdir()):
        with tarfile.open(shard) as tar:
            for m in tar:
                if m.name.endswith(".json"):
                    meta = json.loads(tar.extractfile(m).read())  # type: ignore[union-attr]
                    if not rule.is_allowed(headers=meta.get("headers") or {"content-type": "image/jpeg"}):
                        dd_drop.add(meta["key"])
    dd_s = time.perf_counter() - t
    own, kids = peak_rss_mb()
    print(json.dumps({
        "engine": args.engine, "workers": args.workers, "items": summary.total, "scan_wall_s": round(wall, 2),
        "images_per_s_end_to_end": round(summary.total / wall, 1), "cpu_s": round(cpu, 1),
        "images_per_cpu_s": round(summary.total / cpu, 1), "counts": summary.counts,
        "ours_recall_registered": round(len(by_registry & registered) / max(1, len(registered)), 4),
        "ours_registry_false_matches": len(by_registry - registered),
        "share_through_robust_path": robust_share(rows),
        "datadiligence_images_per_s": round(args.items / dd_s, 1),
        "datadiligence_recall_registered": round(len(dd_drop & registered) / max(1, len(registered)), 4),
        "peak_rss_mb_driver": round(own), "peak_rss_mb_largest_worker": round(kids),
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
