"""An invisible, keyed image watermark carrying a 32-bit manifest key (scheme ``dft-tile.1``).

Why our own scheme rather than invisible-watermark's ``dwtDctSvd``: that method has no error
correction, works on fixed block positions (so a crop or a 50 % resize loses it) and costs about
200 ms per image; the benchmark (``benchmarks/image_watermark.py``) runs both side by side.

How it works

* The luminance is resampled to a ``FRAME`` x ``FRAME`` working frame, so any resize of the whole
  image is undone for free.
* A ``TILE`` x ``TILE`` pattern is repeated over the frame. It is a weighted sum of keyed, mutually
  orthogonal +-1 patterns (rows of a Walsh-Hadamard matrix, scrambled by a keyed +-1 carrier and a keyed
  permutation): one *pilot* pattern for synchronisation plus one pattern per coded bit.
* The 32-bit payload is protected by a rate-1/4, K=7 convolutional code (152 coded bits) decoded with
  soft-decision Viterbi (:mod:`.conv_code`).
* The pattern, scaled by a local-activity mask (stronger in texture, weaker in flat areas), is
  upsampled to the image size, scaled so that the image's PSNR is ``target_psnr`` (39 dB), and added
  equally to R, G and B (a pure luminance change).

Detection high-passes the working frame, folds it into one tile (summing every repetition, which is
what makes a crop a mere cyclic shift), finds the shift by FFT cross-correlation with the pilot for a
few zoom hypotheses (a crop enlarges the content inside the frame), reads the 152 soft bits, decodes
them, re-encodes the decoded payload and counts bit agreement. "Detected" means the exact binomial
false-positive bound (:mod:`.detect_stats`) is at most ``fpr`` (1e-6 by default): a decoded payload is
never trusted on its own.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from mediamanager.errors import CorruptMediaError, InputError, MediaTooLargeError, UnsupportedMediaError
from mediamanager.provenance.watermark import conv_code
from mediamanager.provenance.watermark.detect_stats import false_positive_probability, min_agreement_for

__all__ = [
    "ALG",
    "DEFAULT_FPR",
    "DEFAULT_KEY",
    "PAYLOAD_BITS",
    "Detection",
    "WatermarkParams",
    "detect_image",
    "detect_image_bytes",
    "embed_image",
    "embed_image_file",
    "load_rgb",
    "payload_from_manifest_id",
    "psnr",
    "watermark_key",
]

ALG = "org.mediamanager.watermark.dft-tile.1"
PAYLOAD_BITS = 32
DEFAULT_FPR = 1e-6
# The public default key. Deployments that want unforgeable marks set their own (MM_WATERMARK_KEY).
DEFAULT_KEY = b"mediamanager-watermark-v1"
KEY_ENV = "MEDIAMANAGER_WATERMARK_KEY"
MAX_PIXELS = 50_000_000
MIN_SIDE = 64


@dataclass(frozen=True, slots=True)
class WatermarkParams:
    """Tunable parameters; the defaults are those measured in BENCHMARKS.md."""

    frame: int = 256
    tile: int = 32
    target_psnr: float = 39.0
    pilot_weight: float = 6.0
    zooms: tuple[float, ...] = (1.0, 0.95, 0.9, 0.85)
    subcell_shifts: tuple[tuple[float, float], ...] = ((0.0, 0.0), (0.0, 0.5), (0.5, 0.0), (0.5, 0.5))
    hypotheses_tested: int = 3
    fpr: float = DEFAULT_FPR


@dataclass(frozen=True)
class Detection:
    """What the detector found; ``payload`` is set only when ``detected`` is true."""

    detected: bool
    payload: int | None
    payload_hex: str | None
    bit_agreement: int
    bits: int
    agreement_ratio: float
    false_positive_probability: float
    threshold_agreement: int
    pilot_score: float
    zoom: float
    alg: str = ALG

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def watermark_key() -> bytes:
    """The deployment's watermark key: ``MEDIAMANAGER_WATERMARK_KEY`` if set, else the public default."""
    import os

    value = os.environ.get(KEY_ENV)
    return value.encode("utf-8") if value else DEFAULT_KEY


def payload_from_manifest_id(manifest_id: str) -> int:
    """A 32-bit watermark payload derived from a manifest id (SHA-256, first four bytes)."""
    return int.from_bytes(hashlib.sha256(manifest_id.encode("utf-8")).digest()[:4], "big")


def _hadamard_rows(order: int, rows: np.ndarray) -> np.ndarray:
    """Rows of the Sylvester Hadamard matrix: H[i, j] = (-1)^popcount(i & j)."""
    j = np.arange(order)
    anded = rows[:, None] & j[None, :]
    pop = np.zeros_like(anded)
    x = anded.copy()
    while x.any():
        pop += x & 1
        x >>= 1
    return (1 - 2 * (pop & 1)).astype(np.float32)


@lru_cache(maxsize=8)
def _patterns(key: bytes, tile: int, n_bits: int) -> np.ndarray:
    """``(1 + n_bits, tile, tile)`` orthogonal keyed +-1 patterns; index 0 is the pilot."""
    order = tile * tile
    seed = int.from_bytes(hashlib.sha256(b"patterns|" + key).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    rows = rng.choice(np.arange(1, order), size=1 + n_bits, replace=False)
    base = _hadamard_rows(order, rows)
    carrier = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=order)
    perm = rng.permutation(order)
    pats = (base * carrier)[:, perm]
    return pats.reshape(1 + n_bits, tile, tile)


def _scramble(key: bytes, n: int) -> np.ndarray:
    """Keyed whitening of the coded bits, so a constant payload is not a constant pattern."""
    seed = int.from_bytes(hashlib.sha256(b"scramble|" + key).digest()[:8], "big")
    return np.random.default_rng(seed).integers(0, 2, n).astype(np.int8)


def _payload_bits(payload: int) -> np.ndarray:
    return np.array([(payload >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)], dtype=np.int8)


def _bits_to_int(bits: np.ndarray) -> int:
    out = 0
    for b in bits:
        out = (out << 1) | int(b)
    return out


def load_rgb(data: bytes, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode image bytes to an RGB uint8 array, refusing bombs, truncation and non-images."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > max_pixels:
                raise MediaTooLargeError(
                    f"image has {im.width * im.height} pixels; the limit is {max_pixels}"
                )
            oriented = ImageOps.exif_transpose(im) or im
            rgb = np.asarray(oriented.convert("RGB"))
    except MediaTooLargeError:
        raise
    except UnidentifiedImageError as exc:
        raise UnsupportedMediaError(f"not an image Pillow can read: {exc}") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise CorruptMediaError(f"cannot decode image: {exc}") from None
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise InputError(f"image is smaller than {MIN_SIDE} px on a side; too small to carry a watermark")
    return rgb


def _luma_frame(rgb: np.ndarray, frame: int) -> np.ndarray:
    """Luminance (BT.601) area-resampled to the ``frame`` x ``frame`` working frame, as float32."""
    import cv2

    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (frame, frame), interpolation=cv2.INTER_AREA).astype(np.float32)


def embed_image(
    rgb: np.ndarray, payload: int, *, key: bytes = DEFAULT_KEY, params: WatermarkParams | None = None
) -> np.ndarray:
    """Return a copy of ``rgb`` (H x W x 3 uint8) carrying ``payload`` (0 <= payload < 2**32)."""
    import cv2

    p = params or WatermarkParams()
    if not 0 <= payload < 2**PAYLOAD_BITS:
        raise InputError(f"payload must fit in {PAYLOAD_BITS} bits")
    h, w = rgb.shape[:2]
    coded = conv_code.encode(_payload_bits(payload)) ^ _scramble(key, conv_code.coded_length(PAYLOAD_BITS))
    pats = _patterns(key, p.tile, len(coded))
    signs = (2.0 * coded - 1.0).astype(np.float32)
    tile = p.pilot_weight * pats[0] + np.tensordot(signs, pats[1:], axes=1)
    tile /= math.sqrt(len(coded) + p.pilot_weight**2)
    reps = math.ceil(p.frame / p.tile)
    frame = np.tile(tile, (reps, reps))[: p.frame, : p.frame]

    small = _luma_frame(rgb, p.frame)
    # Local activity mask: hide more energy in texture, less in flat sky (mean 1 over the frame).
    blur = cv2.GaussianBlur(small, (0, 0), 2.0)
    activity = np.sqrt(cv2.GaussianBlur((small - blur) ** 2, (0, 0), 4.0)) + 2.0
    mask = np.clip(activity / float(activity.mean()), 0.4, 2.5)
    delta_small = (frame * mask).astype(np.float32)
    delta: np.ndarray = np.asarray(
        cv2.resize(delta_small, (w, h), interpolation=cv2.INTER_LINEAR), np.float32
    )
    # Scale to the target PSNR, so every image spends the same visibility budget (small or flat
    # images would otherwise get a weaker mark than large textured ones).
    rms = float(np.sqrt(np.mean(delta * delta))) or 1.0
    delta = delta * np.float32((255.0 / 10 ** (p.target_psnr / 20)) / rms)
    # rgb is integral, so rounding the delta first equals rounding the sum; int16 keeps it cheap.
    step = np.rint(delta).astype(np.int16)[..., None]
    return np.clip(rgb.astype(np.int16) + step, 0, 255).astype(np.uint8)


def _highpass(frame: np.ndarray) -> np.ndarray:
    import cv2

    hp = frame - cv2.GaussianBlur(frame, (0, 0), 1.5)
    # Divide by local energy so one strong edge cannot dominate the correlation.
    energy = np.sqrt(cv2.GaussianBlur(hp * hp, (0, 0), 3.0)) + 1.0
    return (hp / energy).astype(np.float32)


def _fold(frame: np.ndarray, tile: int) -> np.ndarray:
    n = (frame.shape[0] // tile) * tile
    m = (frame.shape[1] // tile) * tile
    return frame[:n, :m].reshape(n // tile, tile, m // tile, tile).sum(axis=(0, 2))


def detect_image(
    rgb: np.ndarray, *, key: bytes = DEFAULT_KEY, params: WatermarkParams | None = None
) -> Detection:
    """Look for a watermark made with ``key`` in ``rgb`` and report the binomial evidence."""
    import cv2

    p = params or WatermarkParams()
    n_coded = conv_code.coded_length(PAYLOAD_BITS)
    pats = _patterns(key, p.tile, n_coded)
    pilot_f = np.conj(np.fft.fft2(pats[0]))
    base = _luma_frame(rgb, p.frame)

    candidates: list[tuple[float, float, np.ndarray]] = []
    k = np.fft.fftfreq(p.tile)
    for zoom in p.zooms:
        size = max(p.tile, round(p.frame * zoom))
        frame = base if size == p.frame else cv2.resize(base, (size, size), interpolation=cv2.INTER_AREA)
        folded_f = np.fft.fft2(_fold(_highpass(frame), p.tile))
        # A crop rarely lands on the cell grid: try half-cell shifts too (a phase ramp on the folded tile).
        for fy, fx in p.subcell_shifts:
            ramp = np.exp(2j * np.pi * (fy * k[:, None] + fx * k[None, :]))
            shifted_f = folded_f * ramp
            corr = np.real(np.fft.ifft2(shifted_f * pilot_f))
            flat = corr.ravel()
            best = int(np.argmax(flat))
            spread = float(np.std(flat)) or 1.0
            score = (float(flat[best]) - float(np.mean(flat))) / spread
            dy, dx = divmod(best, p.tile)
            aligned = np.roll(np.real(np.fft.ifft2(shifted_f)), (-dy, -dx), axis=(0, 1))
            candidates.append((score, zoom, aligned))
    candidates.sort(key=lambda c: c[0], reverse=True)

    threshold = min_agreement_for(n_coded, p.fpr, payload_bits=PAYLOAD_BITS, hypotheses=p.hypotheses_tested)
    scramble_signs = 1.0 - 2.0 * _scramble(key, n_coded)
    best_result: Detection | None = None
    for score, zoom, aligned in candidates[: p.hypotheses_tested]:
        soft = np.tensordot(pats[1:], aligned, axes=([1, 2], [0, 1])) * scramble_signs
        message = conv_code.decode(soft, PAYLOAD_BITS)
        recoded = conv_code.encode(message)
        agreement = int(np.sum((soft > 0).astype(np.int8) == recoded))
        fp = false_positive_probability(
            n_coded, agreement, payload_bits=PAYLOAD_BITS, hypotheses=p.hypotheses_tested
        )
        detected = fp <= p.fpr
        payload = _bits_to_int(message) if detected else None
        result = Detection(
            detected=detected,
            payload=payload,
            payload_hex=None if payload is None else f"{payload:08x}",
            bit_agreement=agreement,
            bits=n_coded,
            agreement_ratio=round(agreement / n_coded, 4),
            false_positive_probability=fp,
            threshold_agreement=threshold,
            pilot_score=round(score, 3),
            zoom=zoom,
        )
        if best_result is None or result.bit_agreement > best_result.bit_agreement:
            best_result = result
        if detected:
            return result
    assert best_result is not None
    return best_result


def detect_image_bytes(
    data: bytes, *, key: bytes = DEFAULT_KEY, params: WatermarkParams | None = None
) -> Detection:
    """:func:`detect_image` on encoded image bytes (raises an :class:`InputError` for non-images)."""
    return detect_image(load_rgb(data), key=key, params=params)


def embed_image_file(
    src: str | Path, out: str | Path, payload: int, *, key: bytes = DEFAULT_KEY, quality: int = 95
) -> Path:
    """Embed ``payload`` into the image file ``src`` and write ``out`` (format from its extension)."""
    from PIL import Image

    rgb = load_rgb(Path(src).read_bytes())
    marked = embed_image(rgb, payload, key=key)
    out_path = Path(out)
    fmt = Image.registered_extensions().get(out_path.suffix.lower())
    if fmt is None:
        raise UnsupportedMediaError(f"cannot write images with extension {out_path.suffix!r}")
    options: dict[str, Any] = {"quality": quality} if fmt in ("JPEG", "WEBP", "AVIF") else {}
    Image.fromarray(marked).save(out_path, format=fmt, **options)
    return out_path


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB between two uint8 images of the same shape."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * math.log10(255.0**2 / mse)
