"""Audio matching benchmark: recall for MP3 64 kbps, +-6 dB and a 30 % trim on the spoken-digit set.

Run from the repository root:

    OMP_NUM_THREADS=1 python -m benchmarks.audio_matching [--clips-per-work 20]

The FSDD clips last about 0.5 s, below one Chromaprint item (about 1.6 s of audio is needed), so a
single clip has no fingerprint at all. The benchmark therefore builds longer "works": each is
``--clips-per-work`` consecutive clips of one speaker joined with FFmpeg (about 8-10 s). Half of
the works are registered; the other half are the unregistered negatives (false-match check).
It also reports how many single clips get a fingerprint (none: the honest limit), and fingerprint
speed next to ``fpcalc`` on the same files.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from benchmarks.alterations.audio import ALTERATIONS, GOALS, concat

from mediamanager.fingerprint.audio import audio_fingerprints
from mediamanager.fingerprint.index.audio import AudioIndex
from mediamanager.fingerprint.limits import DEFAULT_LIMITS

DATA = Path(
    os.environ.get("MEDIAMANAGER_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "test-data")
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips-per-work", type=int, default=20)
    parser.add_argument("--works", type=int, default=60)
    args = parser.parse_args()
    recordings = sorted((DATA / "fsdd-spoken-digits" / "recordings").glob("*.wav"))
    by_speaker: dict[str, list[Path]] = defaultdict(list)
    for clip in recordings:
        by_speaker[clip.stem.split("_")[1]].append(clip)
    singles = recordings[::100]
    with_fp = sum(bool(audio_fingerprints(c.read_bytes(), DEFAULT_LIMITS)) for c in singles)
    print(f"single 0.5 s clips with a Chromaprint fingerprint: {with_fp}/{len(singles)}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        works: list[Path] = []
        groups = [(s, clips[i : i + args.clips_per_work]) for s, clips in sorted(by_speaker.items())
                  for i in range(0, len(clips) - args.clips_per_work + 1, args.clips_per_work)]  # fmt: skip
        for n, (speaker, clips) in enumerate(groups[:: max(1, len(groups) // args.works)][: args.works]):
            works.append(concat(clips, folder / f"work{n:03d}-{speaker}.wav"))
        registered, negatives = works[0::2], works[1::2]
        index = AudioIndex()
        start = time.perf_counter()
        for path in registered:
            index.add(path.stem, path)
        ours = len(registered) / (time.perf_counter() - start)
        start = time.perf_counter()
        for path in registered:
            subprocess.run(["fpcalc", "-raw", "-length", "0", str(path)], capture_output=True, check=False)
        fpcalc = len(registered) / (time.perf_counter() - start)
        seconds = (
            sum(
                float(fp.size or 0)
                for p in registered[:5]
                for fp in audio_fingerprints(p.read_bytes(), DEFAULT_LIMITS)
            )
            / 5
            / 8.07
        )
        print(
            f"{len(works)} works of {args.clips_per_work} clips (about {seconds:.1f} s each); {len(registered)} registered"
        )
        print(
            f"fingerprint speed: ours {ours:.1f} files/s wall (ffmpeg decode + libchromaprint + indexing), fpcalc {fpcalc:.1f} files/s wall"
        )
        print("| alteration | recall | goal | false matches | queries |")
        for name, alteration in ALTERATIONS.items():
            found = false = 0
            for path in registered:
                matches = index.search(alteration(path, folder))
                found += any(m.key == path.stem for m in matches)
                false += sum(m.key != path.stem for m in matches)
            print(
                f"| {name} | {found / len(registered):.3f} | {GOALS[name]:.2f} | {false} | {len(registered)} |"
            )
        hits = sum(bool(index.search(path)) for path in negatives)
        print(f"unregistered works matched: {hits}/{len(negatives)}")


if __name__ == "__main__":
    main()
