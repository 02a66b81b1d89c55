"""The image watermark survives the stated edits, never fires on unmarked photos, and states its odds."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from mediamanager.errors import CorruptMediaError, InputError, MediaTooLargeError, UnsupportedMediaError
from mediamanager.provenance.watermark import conv_code
from mediamanager.provenance.watermark.detect_stats import (
    binomial_tail,
    false_positive_probability,
    min_agreement_for,
)
from mediamanager.provenance.watermark.image import (
    DEFAULT_FPR,
    detect_image,
    detect_image_bytes,
    embed_image,
    load_rgb,
    payload_from_manifest_id,
    psnr,
)


def _jpeg(a: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _half(a: np.ndarray) -> np.ndarray:
    im = Image.fromarray(a)
    return np.asarray(im.resize((im.width // 2, im.height // 2), Image.Resampling.BILINEAR))


def _crop10(a: np.ndarray) -> np.ndarray:
    h, w = a.shape[:2]
    return a[int(h * 0.1) :, int(w * 0.1) :]  # 10 % off the top and the left: a shift and a zoom


def _brightness(f: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda a: np.clip(a.astype(np.float32) * f, 0, 255).astype(np.uint8)


ATTACKS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "none": lambda a: a,
    "jpeg-q50": lambda a: _jpeg(a, 50),
    "resize-50%": _half,
    "crop-10%": _crop10,
    "brightness+20%": _brightness(1.2),
    "brightness-20%": _brightness(0.8),
    "jpeg-q70+resize": lambda a: _half(_jpeg(a, 70)),
}


@pytest.fixture(scope="module")
def marked(photos: list[Path]) -> list[tuple[np.ndarray, np.ndarray, int]]:
    out = []
    for i, path in enumerate(photos[:3]):
        rgb = load_rgb(path.read_bytes())
        payload = payload_from_manifest_id(f"urn:c2pa:test-{i}")
        out.append((rgb, embed_image(rgb, payload), payload))
    return out


def test_invisible(marked: list[tuple[np.ndarray, np.ndarray, int]]) -> None:
    for original, watermarked, _ in marked:
        assert psnr(original, watermarked) >= 38.0


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_payload_survives(attack: str, marked: list[tuple[np.ndarray, np.ndarray, int]]) -> None:
    for _, watermarked, payload in marked:
        found = detect_image(ATTACKS[attack](watermarked))
        assert found.detected, (attack, found)
        assert found.payload == payload
        assert found.false_positive_probability <= DEFAULT_FPR


def test_unmarked_photos_are_not_detected(photos: list[Path]) -> None:
    for path in photos:
        found = detect_image(load_rgb(path.read_bytes()))
        assert not found.detected and found.payload is None, path.name
        assert found.false_positive_probability > DEFAULT_FPR


def test_wrong_key_does_not_detect(marked: list[tuple[np.ndarray, np.ndarray, int]]) -> None:
    _, watermarked, _ = marked[0]
    assert not detect_image(watermarked, key=b"someone-else").detected


def test_noise_images_are_not_detected() -> None:
    rng = np.random.default_rng(7)
    for _ in range(5):
        found = detect_image(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))
        assert not found.detected


def test_bad_images_get_clear_errors() -> None:
    with pytest.raises(UnsupportedMediaError):
        detect_image_bytes(b"not an image at all")
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (90, 120, 30)).save(buf, "JPEG")
    with pytest.raises(CorruptMediaError):
        load_rgb(buf.getvalue()[:300])
    with pytest.raises(MediaTooLargeError):
        load_rgb(buf.getvalue(), max_pixels=1000)
    tiny = io.BytesIO()
    Image.new("RGB", (20, 20)).save(tiny, "PNG")
    with pytest.raises(InputError, match="too small"):
        load_rgb(tiny.getvalue())
    with pytest.raises(InputError):
        embed_image(np.zeros((100, 100, 3), np.uint8), 2**32)


def test_binomial_tail_is_exact() -> None:
    n = 20
    for m in range(n + 2):
        brute = sum(math.comb(n, i) for i in range(m, n + 1)) / 2**n if m <= n else 0.0
        assert binomial_tail(n, m) == pytest.approx(brute, rel=1e-12)


def test_threshold_meets_the_stated_rate() -> None:
    n = conv_code.coded_length(32)
    m = min_agreement_for(n, 1e-6, payload_bits=32, hypotheses=3)
    assert false_positive_probability(n, m, payload_bits=32, hypotheses=3) <= 1e-6
    assert false_positive_probability(n, m - 1, payload_bits=32, hypotheses=3) > 1e-6


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**31))
def test_convolutional_code_round_trip_with_errors(payload: int, seed: int) -> None:
    bits = np.array([(payload >> (31 - i)) & 1 for i in range(32)], dtype=np.int8)
    coded = conv_code.encode(bits)
    soft = 2.0 * coded - 1.0
    rng = np.random.default_rng(seed)
    flips = rng.choice(len(coded), size=12, replace=False)  # 8 % of the bits, spread out
    soft[flips] *= -0.5
    assert np.array_equal(conv_code.decode(soft, 32), bits)
