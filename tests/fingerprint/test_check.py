"""Shape checks accept every encoding the package writes and reject malformed values by kind."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from mediamanager.errors import InvalidFingerprintError
from mediamanager.fingerprint import fingerprint_content
from mediamanager.fingerprint.check import KNOWN_KINDS, check_fingerprint
from mediamanager.model import Fingerprint


def _tones(seconds: int = 10, rate: int = 11025) -> bytes:
    t = np.arange(rate * seconds) / rate
    freqs = np.random.default_rng(0).uniform(200, 2000, 12)
    sig = sum(np.sin(2 * np.pi * f * t) * (np.sin(2 * np.pi * 0.3 * k * t) > 0) for k, f in enumerate(freqs))
    pcm = (sig / np.abs(sig).max() * 20000).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return out.getvalue()


def test_everything_fingerprint_content_writes_passes(test_data: Path) -> None:
    photo = sorted((test_data / "metadata-extractor-images" / "photos-1024").glob("*.jpg"))[0]
    results = [
        fingerprint_content(photo),
        fingerprint_content(_tones(), filename="tones.wav"),
        fingerprint_content("a registered article about rivers and their many bridges " * 40),
    ]
    seen = set()
    for cf in results:
        for fp in (*cf.fingerprints, Fingerprint("sha256", cf.sha256), Fingerprint("iscc", cf.iscc)):
            check_fingerprint(fp)
            seen.add(fp.kind)
    assert seen == KNOWN_KINDS


@pytest.mark.parametrize(
    ("fp", "message"),
    [
        (Fingerprint("pdq", "zz"), "64 hexadecimal digits"),
        (Fingerprint("pdq", "ab" * 31), "64 hexadecimal digits"),
        (Fingerprint("phash", "g" * 16), "16 hexadecimal digits"),
        (Fingerprint("minhash", "", 10), '"mh1:"'),
        (Fingerprint("minhash", "mh1:" + "A" * 684, 0), "size greater than 0"),
        (Fingerprint("orb", "A" * 47), "multiple of 36 bytes"),
        (Fingerprint("chromaprint", "not base64!"), "URL-safe base64"),
        (Fingerprint("sha256", "0" * 63), "64 hexadecimal digits"),
        (Fingerprint("iscc", "KAAS"), "ISCC code"),
        (Fingerprint("vibes", "x"), "unknown fingerprint kind 'vibes'"),
    ],
)
def test_malformed_values_are_rejected_with_what_was_expected(fp: Fingerprint, message: str) -> None:
    with pytest.raises(InvalidFingerprintError, match=message):
        check_fingerprint(fp)
