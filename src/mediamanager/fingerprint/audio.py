"""Audio fingerprints: Chromaprint over FFmpeg-decoded PCM, compared by bit error rate at the best offset.

One decode path serves the registry and the scanner: FFmpeg (a subprocess with a wall-clock
limit of ``Limits.timeout_s``) decodes any container it knows to mono 16-bit PCM at 11,025 Hz,
Chromaprint's own working rate, and only the first ``Limits.max_audio_seconds`` are decoded: a
one-hour file costs no more than that prefix. libchromaprint then runs in-process (through
pyacoustid's ``chromaprint`` binding), about 1,000x faster than real time.

One fingerprint per recording: ``Fingerprint("chromaprint", value, size, 0)`` where ``value`` is
Chromaprint's standard compressed, URL-safe base64 fingerprint (the AcoustID format, algorithm 2)
and ``size`` is the number of 32-bit items (about 8 per second of audio).

Documented outcomes for awkward input:

* silence (peak below -60 dBFS) and recordings too short for one item (under about 1.6 s for
  Chromaprint's 4,096-sample window plus filters) give **no** fingerprint: ``[]``. There is
  nothing to match, and silence must never match silence;
* undecodable bytes raise :class:`CorruptMediaError`; more than ``Limits.max_bytes`` or a decode
  running past ``Limits.timeout_s`` raise :class:`MediaTooLargeError`.

Matching (:func:`best_alignment`): the bit error rate (BER) of two raw item sequences at the
offset where they agree best. Re-encoding and gain changes keep the BER under about 0.1 and a
trimmed copy aligns at its offset; unrelated audio sits near 0.5.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mediamanager.errors import CorruptMediaError, MediaTooLargeError, MissingExtraError
from mediamanager.fingerprint.limits import Limits
from mediamanager.model import Fingerprint

__all__ = [
    "SAMPLE_RATE",
    "SILENCE_PEAK",
    "Alignment",
    "audio_fingerprints",
    "audio_iscc",
    "best_alignment",
    "chromaprint_items",
    "decode_pcm",
    "items_from_fingerprint",
]

SAMPLE_RATE = 11025
SILENCE_PEAK = 33  # -60 dBFS of a 16-bit signal
CHROMAPRINT_ALGORITHM = 1  # libchromaprint's ALGORITHM_TEST2, the default that AcoustID uses (reported as 2)


def _ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise MissingExtraError("ffmpeg is required to decode audio; install it (apt-get install ffmpeg)")
    return path


def decode_pcm(data: bytes, limits: Limits) -> NDArray[np.int16]:
    """Decode audio bytes to mono int16 PCM at 11,025 Hz, first ``max_audio_seconds`` only."""
    if not data:
        raise CorruptMediaError("empty audio: 0 bytes")
    if len(data) > limits.max_bytes:
        raise MediaTooLargeError(f"audio of {len(data)} bytes exceeds the limit of {limits.max_bytes} bytes")
    # a file, not a pipe: MP4/M4A keep their index at the end and need seeking
    with tempfile.NamedTemporaryFile(prefix="mm-audio-", delete=False) as handle:
        handle.write(data)
        name = handle.name
    try:
        command = [
            _ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", name,
            "-t", f"{limits.max_audio_seconds:.3f}", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE),
            "-f", "s16le", "pipe:1",
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, timeout=limits.timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise MediaTooLargeError(
                f"audio decoding took longer than the limit of {limits.timeout_s} s"
            ) from exc
    finally:
        os.unlink(name)
    pcm = np.frombuffer(done.stdout[: len(done.stdout) // 2 * 2], dtype="<i2")
    if done.returncode != 0 and pcm.size == 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CorruptMediaError(f"not decodable audio: {message[-1] if message else 'ffmpeg failed'}")
    if pcm.size == 0:
        raise CorruptMediaError("audio has no samples")
    return pcm.astype(np.int16, copy=False)


def chromaprint_items(pcm: NDArray[np.int16]) -> NDArray[np.uint32]:
    """Raw Chromaprint items (uint32) of mono 11,025 Hz PCM."""
    import chromaprint  # pyacoustid's ctypes binding to libchromaprint

    printer = chromaprint.Fingerprinter(CHROMAPRINT_ALGORITHM)
    printer.start(SAMPLE_RATE, 1)
    printer.feed(pcm.astype("<i2").tobytes())
    encoded = printer.finish()
    if not encoded:
        return np.zeros(0, dtype=np.uint32)
    items, _algorithm = chromaprint.decode_fingerprint(encoded)
    return np.asarray(items, dtype=np.int64).astype(np.uint32)


def audio_fingerprints(data: bytes, limits: Limits) -> list[Fingerprint]:
    """The Chromaprint fingerprint of an audio file, or ``[]`` for silence and too-short audio."""
    pcm = decode_pcm(data, limits)
    if int(np.abs(pcm.astype(np.int32)).max()) < SILENCE_PEAK:
        return []
    items = chromaprint_items(pcm)
    if items.size == 0:
        return []
    import chromaprint

    value = chromaprint.encode_fingerprint(
        items.astype(np.int64).astype(np.int32).tolist(), CHROMAPRINT_ALGORITHM
    )
    text = value.decode("ascii") if isinstance(value, bytes) else str(value)
    return [Fingerprint("chromaprint", text, int(items.size), 0)]


def audio_iscc(data: bytes, limits: Limits) -> str:
    """ISCC-CODE (Audio-Code + Data-Code + Instance-Code), or the ISCC-SUM for silent/too-short audio."""
    from mediamanager.fingerprint import iscc

    pcm = decode_pcm(data, limits)
    items = chromaprint_items(pcm) if int(np.abs(pcm.astype(np.int32)).max()) >= SILENCE_PEAK else None
    if items is None or items.size == 0:
        return iscc.sum_code(data)
    return iscc.compose(iscc.audio_code(items.astype(np.int64).astype(np.int32).tolist()), data)


def items_from_fingerprint(fingerprint: Fingerprint) -> NDArray[np.uint32]:
    """Raw uint32 items back from a ``chromaprint`` fingerprint's value."""
    import chromaprint

    from mediamanager.errors import InvalidFingerprintError

    if fingerprint.kind != "chromaprint":
        raise InvalidFingerprintError(f"not a chromaprint fingerprint: {fingerprint.kind!r}")
    try:
        items, _algorithm = chromaprint.decode_fingerprint(fingerprint.value.encode("ascii"))
    except Exception as exc:  # the C library reports any malformed input as a generic failure
        raise InvalidFingerprintError(f"malformed chromaprint value: {exc}") from exc
    return np.asarray(items, dtype=np.int64).astype(np.uint32)


@dataclass(frozen=True, slots=True)
class Alignment:
    """Where a query lines up with a reference: ``query[i]`` meets ``reference[i + offset]``."""

    ber: float
    offset: int
    overlap: int


def best_alignment(
    query: NDArray[np.uint32],
    reference: NDArray[np.uint32],
    *,
    min_overlap: int = 8,
    offsets: NDArray[np.int64] | None = None,
) -> Alignment | None:
    """The offset with the lowest bit error rate over at least ``min_overlap`` items, or ``None``.

    ``offsets`` limits the search (e.g. to offsets voted for by an inverted index); by default
    every offset with enough overlap is tried, which costs ``len(query) * len(reference)`` popcounts.
    """
    n, m = int(query.size), int(reference.size)
    need = min(min_overlap, n, m)
    if need <= 0:
        return None
    candidates = np.arange(need - n, m - need + 1, dtype=np.int64) if offsets is None else offsets
    best: Alignment | None = None
    for offset in candidates.tolist():
        lo_q, hi_q = max(0, -offset), min(n, m - offset)
        if hi_q - lo_q < need:
            continue
        errors = np.bitwise_count(query[lo_q:hi_q] ^ reference[lo_q + offset : hi_q + offset]).sum()
        ber = float(errors) / (32.0 * (hi_q - lo_q))
        if best is None or ber < best.ber:
            best = Alignment(ber, int(offset), hi_q - lo_q)
    return best
