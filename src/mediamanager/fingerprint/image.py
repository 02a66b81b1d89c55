"""Image fingerprints: PDQ (with dihedral and geometric variants), a 64-bit pHash, ORB local features.

One decode path serves the registry and the scanner, so both sides hash the same pixels:

1. The header is read first; more than ``Limits.max_pixels`` is refused before any pixel is
   decoded (decompression bombs), as are empty, unreadable and truncated files.
2. JPEGs are decoded once, at reduced size, with Pillow's ``draft()`` straight to luminance
   (libjpeg scales by 1/2, 1/4 or 1/8 inside the DCT), so a 1024x768 photo is decoded to 256x192:
   the decode, not the hash, is the cost of an image fingerprint. The same pixels feed the global
   hashes and the ORB features (one decode, not two: ``benchmarks/scan_images.py --decoders``
   compares this with full decodes, OpenCV's reduced decodes and simplejpeg).
3. The luminance is area-averaged to a canonical 64x64 image; PDQ and pHash are computed on it.
   This is not bit-exact with PDQ's reference pipeline (full decode, tent filters): on the 18
   ThreatExchange reference images it lands within 31 bits of the reference hash for most, but
   up to about 80 bits away on two small, highly textured 256x256 images. Both sides of a match
   use this path, so matching is unaffected; :func:`pdq_full_decode` gives the reference hash
   (within the upstream tolerance of 16 bits, tested) for exchange with other PDQ systems.
4. ORB local features (OpenCV, no model weights) come from the same decoded pixels, scaled to
   at most 320 px. They find crops, which defeat every global hash, after geometric verification.
   ``fingerprint_content(query=True)`` sends them with the query (one round trip to a registry
   service); the scanner asks for them only for the images its global hashes did not match
   (``local=False`` defers them to ``ContentFingerprints.deferred``).

Animated images (GIF, APNG, WebP) are fingerprinted on their first frame. EXIF orientation is
ignored: the registered dihedral variants match an image in any of its eight orientations.

Fingerprints of one image (``Fingerprint.part`` numbers the variant; both kinds exist per part):

* ``pdq``: 64 hex digits (256 bits, pdqhash's bit order), ``size`` = PDQ quality (0-100; below
  :data:`PDQ_MIN_QUALITY` the image is too flat to be matched on PDQ).
* ``phash``: 16 hex digits (64 bits): the DCT rule of ``imagehash.phash`` on the canonical image.
* part 0 is the image as given; parts 1-7 are its rotations and mirror images (PDQ's dihedral
  group); parts 8-11 are rotations by -5, -2.5, +2.5 and +5 degrees; parts 12-20 are 3x3 windows
  keeping 80 % of the area; parts 21-24 are rotations by -10, -7.5, +7.5 and +10 degrees (added
  for issue 10; works registered before lack them and fall back on ORB for those angles);
  part 25 is the image with plain bands trimmed off its sides (:func:`trim_borders`), present
  only when it has such bands. Parts 1-24 are only computed for registration (``variants=True``):
  a query sends part 0 and its own trimmed part 25, so the scanner pays for two hashes at most,
  not twenty-six.
* ``orb``: up to 150 (registration) or 500 (query) ORB keypoints with descriptors (see
  :func:`local_features`), part 0; the index searches them only when the global hashes found nothing.
"""

from __future__ import annotations

import base64
import io
import math
import time
import warnings
from typing import Any

import cv2
import numpy as np
import pdqhash
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from mediamanager.errors import CorruptMediaError, InvalidFingerprintError, MediaTooLargeError
from mediamanager.fingerprint.limits import Limits
from mediamanager.model import Fingerprint

__all__ = [
    "CANONICAL_SIDE",
    "CROP_PARTS",
    "DIHEDRAL_PARTS",
    "LOCAL_DECODE_SIDE",
    "PDQ_MIN_QUALITY",
    "QUERY_LOCAL_FEATURES",
    "QUERY_PARTS",
    "ROTATION_PARTS",
    "TRIMMED_PART",
    "WIDE_ROTATION_PARTS",
    "WIDE_WORK_SIDE",
    "canonical_image",
    "decode_luminance",
    "global_fingerprints",
    "hamming_hex",
    "image_fingerprints",
    "image_iscc",
    "local_features",
    "local_fingerprints",
    "pdq_full_decode",
    "phash64",
    "trim_borders",
    "unpack_local_features",
]

CANONICAL_SIDE = 64
# libjpeg picks the smallest scale keeping both sides >= this: 1/4 for 1024x768. ORB needs that
# many pixels; the global hashes, area-averaged to 64x64 from the same decode, land within a mean
# of 3 PDQ bits (max 26, 232 photos) of the 1/8 decode used before issue 10, so works registered
# earlier still match; re-registering them brings them onto the same pixels.
DECODE_SIDE = 192
LOCAL_DECODE_SIDE = DECODE_SIDE
LOCAL_SIDE = 320
LOCAL_FEATURES = 150
# A query keeps more keypoints than registration: the letters of a caption or meme frame and the
# corners of a border take keypoints away from the picture; at 300, 6 of 60 meme-framed photos
# were missed, at 500 none (benchmarks/scan_recall.py), for about 12 ms more per query.
QUERY_LOCAL_FEATURES = 500
MIN_KEYPOINTS = 8
PDQ_MIN_QUALITY = 50  # ThreatExchange's advice: lower-quality PDQ hashes come from near-flat images
DIHEDRAL_PARTS = range(1, 8)
ROTATION_ANGLES = (-5.0, -2.5, 2.5, 5.0)
ROTATION_PARTS = range(8, 8 + len(ROTATION_ANGLES))
CROP_SCALE = math.sqrt(0.8)
CROP_GRID = (0.0, 0.5, 1.0)
CROP_PARTS = range(ROTATION_PARTS.stop, ROTATION_PARTS.stop + len(CROP_GRID) ** 2)
# Wider rotations for issue 10 (+-10 degrees through the scanner), numbered after the crops so
# that the parts of works registered before keep their meaning.
WIDE_ROTATION_ANGLES = (-10.0, -7.5, 7.5, 10.0)
WIDE_ROTATION_PARTS = range(CROP_PARTS.stop, CROP_PARTS.stop + len(WIDE_ROTATION_ANGLES))
# The image with plain bands trimmed off its sides (borders, letterboxing, meme frames, caption
# bars): registered as part 25 and sent by a query beside part 0 (see :func:`trim_borders`).
TRIMMED_PART = WIDE_ROTATION_PARTS.stop
QUERY_PARTS = frozenset({0, TRIMMED_PART})
TRIM_TOLERANCE = 24  # grey levels from the band's colour (JPEG ringing, text anti-aliasing)
TRIM_CLEAN = 0.9  # share of a line near the band colour for it to end a band
TRIM_LOOSE = 0.4  # share below which a line is picture: a caption's letters stay above it
TRIM_MIN_KEEP = 3  # at least 1/3 of each side is kept

# Scale factors that turn OpenCV's orthonormal DCT-II into SciPy's unnormalised one, which
# imagehash.phash uses; the median rule is then the same as imagehash's.
_N = 32
_G = np.full(_N, math.sqrt(2 * _N), dtype=np.float32)
_G[0] = math.sqrt(4 * _N)
_SCIPY_SCALE = np.outer(_G, _G)[:8, :8]


def _open(data: bytes, limits: Limits) -> Image.Image:
    if not data:
        raise CorruptMediaError("empty image: 0 bytes")
    if len(data) > limits.max_bytes:
        raise MediaTooLargeError(f"image of {len(data)} bytes exceeds the limit of {limits.max_bytes} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # Pillow's own guard, for headers far beyond ours
        raise MediaTooLargeError(f"image exceeds the pixel limit: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise CorruptMediaError(f"not a readable image: {exc}") from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise CorruptMediaError(f"image declares an empty size {width}x{height}")
    if width * height > limits.max_pixels:
        raise MediaTooLargeError(
            f"image of {width}x{height} = {width * height} pixels exceeds the limit of {limits.max_pixels}"
        )
    return image


_WIDE_MODES = ("I;16", "I;16B", "I;16L", "I", "F")
# 16-bit and 32-bit rasters are area-averaged (Pillow's BOX filter works on them natively) to
# about this shorter side before the float stretch to 8 bits: the stretch on a full 49 Mpx
# 16-bit PNG allocated about 1 GB of float64 and took 12 s (red-team D7). 1024 px is far above
# every working size below (64 px canonical, 320 px ORB), and images this small are unchanged.
WIDE_WORK_SIDE = 1024


def _check_budget(started: float, limits: Limits, step: str) -> None:
    elapsed = time.monotonic() - started
    if elapsed > limits.max_decode_s:
        raise MediaTooLargeError(
            f"image decode took {elapsed:.3g} s by the {step}, over the budget of {limits.max_decode_s} s"
        )


def _wide_to_luminance(image: Image.Image, started: float, limits: Limits) -> NDArray[np.uint8]:
    """Stretch a 16/32-bit or float raster to 8 bits, after reducing it to the working size."""
    width, height = image.size
    factor = min(width, height) // WIDE_WORK_SIDE
    if factor >= 2:
        image = image.resize((width // factor, height // factor), Image.Resampling.BOX)
        _check_budget(started, limits, "reduction")
    array = np.asarray(image, dtype=np.float64)
    low = float(array.min())
    span = float(array.max() - low) or 1.0
    return np.ascontiguousarray(((array - low) * (255.0 / span)).astype(np.uint8))


def decode_luminance(data: bytes, limits: Limits, min_side: int = DECODE_SIDE) -> NDArray[np.uint8]:
    """Decode the first frame to 8-bit luminance, at the smallest JPEG scale keeping ``min_side`` px.

    16-bit, 32-bit and float images are first area-averaged to about :data:`WIDE_WORK_SIDE` px
    on their shorter side. A decode that has run longer than ``Limits.max_decode_s`` is refused
    with :class:`MediaTooLargeError` (checked after the pixels are decoded and after each step).
    """
    started = time.monotonic()
    image = _open(data, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.draft("L", (min_side, min_side))  # JPEG only; a no-op for other formats
            image.load()
            _check_budget(started, limits, "end of decoding")
            if image.mode in _WIDE_MODES:
                return _wide_to_luminance(image, started, limits)
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                # transparent pixels hash as white, the way viewers show them on a page
                background = Image.new("RGBA", image.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, image.convert("RGBA"))
            grey = image.convert("L")
            return np.ascontiguousarray(np.asarray(grey, dtype=np.uint8))
    except MediaTooLargeError:  # the decode budget; a ValueError, not a corrupt file
        raise
    except Image.DecompressionBombError as exc:
        raise MediaTooLargeError(f"image exceeds Pillow's pixel limit: {exc}") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise CorruptMediaError(f"image could not be decoded: {exc}") from exc


def canonical_image(grey: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Area-average luminance to the canonical 64x64 image every hash is computed from."""
    return np.ascontiguousarray(
        cv2.resize(grey, (CANONICAL_SIDE, CANONICAL_SIDE), interpolation=cv2.INTER_AREA)
    )


def _pdq_codes(canonical: NDArray[np.uint8], dihedral: bool) -> tuple[list[bytes], int]:
    rgb = cv2.cvtColor(canonical, cv2.COLOR_GRAY2RGB)
    if dihedral:
        hashes, quality = pdqhash.compute_dihedral(rgb)
        return [np.packbits(h).tobytes() for h in hashes], int(quality)
    bits, quality = pdqhash.compute(rgb)
    return [np.packbits(bits).tobytes()], int(quality)


def phash64(canonical: NDArray[np.uint8]) -> bytes:
    """64-bit pHash: sign of the 8x8 lowest DCT coefficients of a 32x32 image against their median."""
    small = cv2.resize(canonical, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8] * _SCIPY_SCALE
    return np.packbits((low > np.median(low)).ravel()).tobytes()


_DIHEDRAL_TRANSFORMS = (  # pdqhash.compute_dihedral's order: original, rot90, rot180, rot270, flips
    lambda a: a,
    lambda a: np.rot90(a, 1),
    lambda a: np.rot90(a, 2),
    lambda a: np.rot90(a, 3),
    lambda a: a[::-1, :],
    lambda a: a[:, ::-1],
    lambda a: a.T,
    lambda a: np.rot90(a, 2).T,
)


def _rotated(grey: NDArray[np.uint8], angle: float) -> NDArray[np.uint8]:
    height, width = grey.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return np.asarray(
        cv2.warpAffine(grey, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=0), dtype=np.uint8
    )


def _windows(grey: NDArray[np.uint8]) -> list[NDArray[np.uint8]]:
    height, width = grey.shape
    cw, ch = width * CROP_SCALE, height * CROP_SCALE
    out = []
    for fy in CROP_GRID:
        for fx in CROP_GRID:
            x0, y0 = (width - cw) * fx, (height - ch) * fy
            window = grey[
                round(y0) : max(round(y0 + ch), round(y0) + 1), round(x0) : max(round(x0 + cw), round(x0) + 1)
            ]
            out.append(window)
    return out


def _band(lines: NDArray[np.int16]) -> int:
    """How many leading lines form a plain band: lines near the first line's colour, ending clean."""
    colour = float(np.median(lines[0]))
    near = (np.abs(lines - colour) <= TRIM_TOLERANCE).mean(axis=1)
    loose = np.nonzero(near < TRIM_LOOSE)[0]
    stop = int(loose[0]) if len(loose) else len(near)
    clean = np.nonzero(near[:stop] >= TRIM_CLEAN)[0]
    width = int(clean[-1]) + 1 if len(clean) else 0
    return width + 1 if width >= 2 else 0  # one line more: the band's JPEG-blurred edge


def trim_borders(grey: NDArray[np.uint8]) -> NDArray[np.uint8] | None:
    """The picture inside plain bands along its sides, or ``None`` when there is nothing to trim.

    A band starts at an edge and runs inward over lines (rows or columns) of which at least
    :data:`TRIM_LOOSE` of the pixels are within :data:`TRIM_TOLERANCE` of the edge line's median
    colour; it ends at its last line with at least :data:`TRIM_CLEAN` of them, so a caption's
    letters inside a bar or a meme frame stay within the band. Hand-written (a few NumPy lines):
    OpenCV and Pillow offer no trim that tolerates text in the bands (``ImageOps.crop`` cuts a
    fixed width, ``getbbox`` stops at the first non-background pixel).
    """
    height, width = grey.shape
    if min(height, width) < 16:
        return None
    lines = grey.astype(np.int16)
    top, bottom = _band(lines), _band(lines[::-1])
    left, right = _band(lines.T), _band(lines.T[::-1])
    if not top + bottom + left + right:
        return None
    if (height - top - bottom) * TRIM_MIN_KEEP < height or (width - left - right) * TRIM_MIN_KEEP < width:
        return None
    return np.ascontiguousarray(grey[top : height - bottom, left : width - right])


def _hashes(region: NDArray[np.uint8], part: int) -> list[Fingerprint]:
    small = canonical_image(region)
    (code,), quality = _pdq_codes(small, dihedral=False)
    return [
        Fingerprint("pdq", code.hex(), quality, part),
        Fingerprint("phash", phash64(small).hex(), None, part),
    ]


def global_fingerprints(grey: NDArray[np.uint8], *, variants: bool) -> list[Fingerprint]:
    """PDQ and pHash of decoded luminance: part 0 and the trimmed part (queries), or all parts.

    ``variants=False`` (a query) gives part 0 and, when the image has plain bands along its
    sides, part :data:`TRIMMED_PART`; ``variants=True`` (registration) gives parts 0-25.
    """
    canonical = canonical_image(grey)
    codes, quality = _pdq_codes(canonical, dihedral=variants)
    out: list[Fingerprint] = []
    for part, code in enumerate(codes):
        out.append(Fingerprint("pdq", code.hex(), quality, part))
        turned = np.ascontiguousarray(_DIHEDRAL_TRANSFORMS[part](canonical))
        out.append(Fingerprint("phash", phash64(turned).hex(), None, part))
    trimmed = trim_borders(grey)
    if not variants:
        return out if trimmed is None else out + _hashes(trimmed, TRIMMED_PART)
    extra = (
        [_rotated(grey, angle) for angle in ROTATION_ANGLES]
        + _windows(grey)
        + [_rotated(grey, angle) for angle in WIDE_ROTATION_ANGLES]
    )
    for part, region in enumerate(extra, start=ROTATION_PARTS.start):
        out.extend(_hashes(region, part))
    return out if trimmed is None else out + _hashes(trimmed, TRIMMED_PART)


def local_features(grey: NDArray[np.uint8], nfeatures: int = LOCAL_FEATURES) -> Fingerprint | None:
    """ORB keypoints and descriptors of decoded luminance, as one ``orb`` fingerprint (or ``None``).

    Registration keeps :data:`LOCAL_FEATURES` (150) keypoints; a query asks for
    :data:`QUERY_LOCAL_FEATURES` (500), so that a caption's letter corners cannot crowd out the
    picture's own keypoints. The image is scaled so that its longer side is at most :data:`LOCAL_SIDE`; each keypoint is
    stored as ``x, y`` (little-endian ``uint16``, in 1/16 pixel of that scaled image) followed by
    its 32-byte ORB descriptor: 36 bytes per keypoint, URL-safe base64, ``size`` = keypoint count.
    """
    height, width = grey.shape
    if min(height, width) < 32:  # too small for ORB's pyramid and 15 px patches
        return None
    scale = LOCAL_SIDE / max(height, width)
    image = grey
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    keypoints, descriptors = _orb(nfeatures).detectAndCompute(image, None)
    if descriptors is None or len(keypoints) < MIN_KEYPOINTS:
        return None
    xy = np.asarray([k.pt for k in keypoints], dtype=np.float64)
    fixed = np.clip(np.round(xy * 16), 0, 65535).astype("<u2")
    packed = np.concatenate([fixed.view(np.uint8).reshape(-1, 4), descriptors.astype(np.uint8)], axis=1)
    return Fingerprint("orb", base64.urlsafe_b64encode(packed.tobytes()).decode("ascii"), len(keypoints), 0)


def unpack_local_features(fingerprint: Fingerprint) -> tuple[NDArray[np.float32], NDArray[np.uint8]]:
    """Keypoint coordinates ``(n, 2)`` and descriptors ``(n, 32)`` from an ``orb`` fingerprint."""
    try:
        raw = np.frombuffer(base64.urlsafe_b64decode(fingerprint.value.encode("ascii")), dtype=np.uint8)
        rows = raw.reshape(-1, 36)
    except ValueError as exc:
        raise InvalidFingerprintError(f"malformed orb fingerprint: {exc}") from exc
    xy = np.ascontiguousarray(rows[:, :4]).view("<u2").reshape(-1, 2).astype(np.float32) / 16.0
    return xy, np.ascontiguousarray(rows[:, 4:])


_ORB: dict[int, Any] = {}


def _orb(nfeatures: int) -> Any:
    if nfeatures not in _ORB:
        # small patches and 4 pyramid levels suit 256-320 px images
        _ORB[nfeatures] = cv2.ORB_create(  # type: ignore[attr-defined]
            nfeatures=nfeatures, scaleFactor=1.3, nlevels=4, edgeThreshold=15, patchSize=15, fastThreshold=10
        )
    return _ORB[nfeatures]


def image_fingerprints(
    data: bytes, limits: Limits, *, variants: bool = True, local: bool | None = None
) -> list[Fingerprint]:
    """PDQ, pHash and ORB fingerprints of an image file (first frame), for the registry or a query.

    ``variants=True`` (registration) adds the dihedral, rotated and cropped variants described
    in the module docstring; ``variants=False`` (a query) returns part 0 only. ``local`` adds the
    ORB local features (default: with the variants, i.e. at registration). Raises
    :class:`CorruptMediaError` for unreadable input and :class:`MediaTooLargeError` over a limit.
    """
    grey = decode_luminance(data, limits)
    out = global_fingerprints(grey, variants=variants)
    if variants if local is None else local:
        out.extend(local_fingerprints(grey, query=not variants))
    return out


def local_fingerprints(grey: NDArray[np.uint8], *, query: bool) -> list[Fingerprint]:
    """The ``orb`` fingerprint of decoded luminance as a list (empty when too few keypoints)."""
    features = local_features(grey, QUERY_LOCAL_FEATURES if query else LOCAL_FEATURES)
    return [] if features is None else [features]


def pdq_full_decode(data: bytes, limits: Limits) -> tuple[str, int]:
    """Reference PDQ (hex, quality) from a full-size RGB decode: the anchor, not the production path."""
    image = _open(data, limits)
    try:
        rgb = np.asarray(image.convert("RGB"))
    except (OSError, ValueError) as exc:
        raise CorruptMediaError(f"image could not be decoded: {exc}") from exc
    bits, quality = pdqhash.compute(rgb)
    return np.packbits(bits).tobytes().hex(), int(quality)


def image_iscc(data: bytes, limits: Limits) -> str:
    """ISCC-CODE (Image-Code + Data-Code + Instance-Code) of an image, from the same decode path.

    The Image-Code's 32x32 grey pixels come from the draft-decoded luminance (bicubic), so it may
    differ in a few bits from iscc-sdk's normaliser, which decodes in full and trims borders.
    """
    from mediamanager.fingerprint import iscc

    grey = Image.fromarray(decode_luminance(data, limits))
    pixels = np.asarray(grey.resize((32, 32), Image.Resampling.BICUBIC), dtype=np.uint8).ravel().tolist()
    return iscc.compose(iscc.image_code(pixels), data)


def hamming_hex(a: str, b: str) -> int:
    """Hamming distance between two equal-length hex codes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
