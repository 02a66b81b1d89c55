"""Audio fingerprints: re-encoded, louder/quieter and trimmed copies match; bad and extreme input is bounded."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from mediamanager.errors import CorruptMediaError, MediaTooLargeError
from mediamanager.fingerprint.audio import audio_fingerprints
from mediamanager.fingerprint.index.audio import AudioIndex
from mediamanager.fingerprint.limits import DEFAULT_LIMITS, Limits


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", *args], check=True, timeout=120)


def _concat(clips: list[Path], out: Path) -> bytes:
    """A longer 'work' made of spoken-digit clips: Chromaprint needs seconds, a clip lasts 0.5 s."""
    inputs = [a for clip in clips for a in ("-i", str(clip))]
    streams = "".join(f"[{i}:a]" for i in range(len(clips)))
    _ffmpeg(*inputs, "-filter_complex", f"{streams}concat=n={len(clips)}:v=0:a=1", str(out))
    return out.read_bytes()


@pytest.fixture(scope="module")
def works(test_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("audio")
    recordings = test_data / "fsdd-spoken-digits" / "recordings"
    out = {}
    for speaker in ("jackson", "theo", "nicolas"):
        clips = sorted(recordings.glob(f"*_{speaker}_*.wav"))[:30]
        path = folder / f"{speaker}.wav"
        _concat(clips, path)
        out[speaker] = path
    return out


def test_reencoded_louder_quieter_and_trimmed_copies_match(works: dict[str, Path], tmp_path: Path) -> None:
    index = AudioIndex()
    for name in ("jackson", "theo"):
        index.add(name, works[name])
    source = works["jackson"]
    variants = {
        "mp3_64k.mp3": ["-i", str(source), "-b:a", "64k"],
        "louder.wav": ["-i", str(source), "-af", "volume=6dB"],
        "quieter.wav": ["-i", str(source), "-af", "volume=-6dB"],
    }
    duration = float(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(source)],
        capture_output=True, text=True, check=True).stdout)  # fmt: skip
    variants["trim30.wav"] = [
        "-ss",
        f"{duration * 0.15:.3f}",
        "-t",
        f"{duration * 0.7:.3f}",
        "-i",
        str(source),
    ]
    for name, args in variants.items():
        _ffmpeg(*args, str(tmp_path / name))
        matches = index.search(tmp_path / name)
        assert matches and matches[0].key == "jackson", f"{name}: {matches}"
        assert [m.key for m in matches] == ["jackson"], f"{name}: {matches}"
        assert matches[0].score > 0.6
    assert index.search(works["nicolas"]) == []


def test_index_save_load_round_trip_and_remove(works: dict[str, Path], tmp_path: Path) -> None:
    index = AudioIndex(shard_size=1)
    for name, path in works.items():
        index.add(name, path)
    assert index.remove("theo") and not index.remove("theo")
    index.save(tmp_path / "idx")
    loaded = AudioIndex.load(tmp_path / "idx")
    assert len(loaded) == 2 and "theo" not in loaded
    for name in ("jackson", "nicolas"):
        assert loaded.search(works[name])[0].key == name
        assert loaded.search(works[name]) == index.search(works[name])
    assert loaded.search(works["theo"]) == []


def test_silence_and_short_clips_have_no_fingerprint(test_data: Path, tmp_path: Path) -> None:
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "10", str(tmp_path / "silence.wav"))
    assert audio_fingerprints((tmp_path / "silence.wav").read_bytes(), DEFAULT_LIMITS) == []
    clip = next((test_data / "fsdd-spoken-digits" / "recordings").glob("3_*.wav"))
    assert audio_fingerprints(clip.read_bytes(), DEFAULT_LIMITS) == []  # 0.5 s: below one Chromaprint item


def test_one_hour_audio_is_bounded_by_the_limits(tmp_path: Path) -> None:
    path = tmp_path / "hour.flac"
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=8000",
        "-af",
        "tremolo=f=3",
        "-t",
        "3600",
        "-ac",
        "1",
        str(path),
    )
    data = path.read_bytes()
    start = time.monotonic()
    fps = audio_fingerprints(data, Limits(max_audio_seconds=60.0, timeout_s=30.0))
    assert time.monotonic() - start < 20
    assert len(fps) == 1 and fps[0].size is not None and 400 <= fps[0].size <= 500  # about 8 items/s x 60 s
    with pytest.raises(MediaTooLargeError, match="longer than"):
        audio_fingerprints(data, Limits(max_audio_seconds=3600.0, timeout_s=0.05))


def test_bad_audio_raises_clear_errors() -> None:
    with pytest.raises(CorruptMediaError, match="0 bytes"):
        audio_fingerprints(b"", DEFAULT_LIMITS)
    with pytest.raises(CorruptMediaError):
        audio_fingerprints(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 4, DEFAULT_LIMITS)
    with pytest.raises(MediaTooLargeError):
        audio_fingerprints(b"x" * 2000, Limits(max_bytes=1000))


def test_audio_iscc_has_an_audio_content_unit(works: dict[str, Path]) -> None:
    import iscc_core

    from mediamanager.fingerprint.audio import audio_iscc

    units = iscc_core.iscc_decompose(audio_iscc(works["theo"].read_bytes(), DEFAULT_LIMITS))
    assert any(iscc_core.Code(u).subtype == iscc_core.ST_CC.AUDIO for u in units), units
