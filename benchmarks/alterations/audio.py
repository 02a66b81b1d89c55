"""Reusable audio alterations made with FFmpeg: re-encoding, gain changes and trimming.

Each alteration takes the path of a source recording and a target folder and returns the path of
the altered file (the bytes a dataset would hold). ``GOALS`` gives the recall each must reach.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

Alteration = Callable[[Path, Path], Path]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *args], check=True, timeout=300)


def duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return float(out.stdout)


def mp3_64k(source: Path, folder: Path) -> Path:
    out = folder / f"{source.stem}.mp3_64k.mp3"
    ffmpeg("-i", str(source), "-codec:a", "libmp3lame", "-b:a", "64k", str(out))
    return out


def gain(db: float) -> Alteration:
    def changed(source: Path, folder: Path) -> Path:
        out = folder / f"{source.stem}.gain{db:+g}.wav"
        ffmpeg("-i", str(source), "-af", f"volume={db}dB", str(out))
        return out

    changed.__name__ = f"volume_{db:+g}dB"
    return changed


def trim(fraction: float) -> Alteration:
    """Cut ``fraction`` of the duration, split between the start and the end."""

    def trimmed(source: Path, folder: Path) -> Path:
        total = duration(source)
        out = folder / f"{source.stem}.trim{round(fraction * 100)}.wav"
        ffmpeg(
            "-ss",
            f"{total * fraction / 2:.3f}",
            "-t",
            f"{total * (1 - fraction):.3f}",
            "-i",
            str(source),
            str(out),
        )
        return out

    trimmed.__name__ = f"trim_{round(fraction * 100)}"
    return trimmed


def concat(clips: list[Path], out: Path) -> Path:
    """Join short clips into one longer recording (Chromaprint needs seconds of audio)."""
    inputs = [a for clip in clips for a in ("-i", str(clip))]
    streams = "".join(f"[{i}:a]" for i in range(len(clips)))
    ffmpeg(*inputs, "-filter_complex", f"{streams}concat=n={len(clips)}:v=0:a=1", str(out))
    return out


ALTERATIONS: dict[str, Alteration] = {
    "mp3_64k": mp3_64k,
    "volume_+6dB": gain(6.0),
    "volume_-6dB": gain(-6.0),
    "trim_30": trim(0.3),
}
GOALS = dict.fromkeys(ALTERATIONS, 0.95)
