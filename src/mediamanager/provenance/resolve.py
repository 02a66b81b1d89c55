"""Lead an image back to its manifest: the watermark first, then the PDQ fingerprint.

The watermark is exact when it decodes (its false-positive bound is stated per detection); the PDQ
fallback covers what the watermark cannot survive (very small images, heavy edits) and images marked
before the watermark existed. A PDQ match needs the query to have PDQ quality of at least
``PDQ_MIN_QUALITY`` (flat images hash alike) and a Hamming distance of at most ``PDQ_MATCH_DISTANCE``
bits of 256 (ThreatExchange's recommended threshold is 31).
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from typing import Any

from mediamanager.provenance.repository import ManifestRecord, ManifestRepository, SoftBinding
from mediamanager.provenance.watermark.image import ALG, DEFAULT_KEY, Detection, detect_image, load_rgb

__all__ = [
    "PDQ_MATCH_DISTANCE",
    "Resolution",
    "binding_value",
    "image_pdq",
    "record_for_signed_asset",
    "resolve_image_bytes",
]

PDQ_MATCH_DISTANCE = 31


@dataclass(frozen=True)
class Resolution:
    """The manifests an image leads to, and how they were found."""

    method: str | None  # "watermark", "pdq" or None when nothing matched
    manifest_ids: tuple[str, ...] = ()
    pdq_distance: int | None = None
    watermark: dict[str, Any] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def binding_value(payload: int) -> str:
    """The soft-binding value for a 32-bit watermark payload: base64 of its 4 big-endian bytes."""
    return base64.b64encode(payload.to_bytes(4, "big")).decode("ascii")


def image_pdq(data: bytes) -> tuple[str, int]:
    """PDQ (hex, quality) of an image through the fingerprint module's shared decode path."""
    from mediamanager.fingerprint.image import image_fingerprints
    from mediamanager.fingerprint.limits import Limits

    for fp in image_fingerprints(data, Limits(), variants=False):
        if fp.kind == "pdq" and fp.part == 0:
            return str(fp.value), int(fp.size or 0)
    raise ValueError("fingerprint module returned no PDQ")  # pragma: no cover - contract of fingerprint


def resolve_image_bytes(
    data: bytes,
    repository: ManifestRepository,
    *,
    key: bytes = DEFAULT_KEY,
    pdq_max_distance: int = PDQ_MATCH_DISTANCE,
) -> Resolution:
    """Find the manifests for image ``data``; raises an :class:`InputError` if it is not an image."""
    from mediamanager.fingerprint.image import PDQ_MIN_QUALITY

    detection: Detection = detect_image(load_rgb(data), key=key)
    notes: list[str] = []
    if detection.detected and detection.payload is not None:
        ids = repository.by_binding(ALG, binding_value(detection.payload))
        if ids:
            return Resolution("watermark", tuple(ids), watermark=detection.to_dict())
        notes.append("watermark found but no manifest is stored under it")
    else:
        notes.append("no watermark at the stated false-positive rate")
    pdq, quality = image_pdq(data)
    if quality < PDQ_MIN_QUALITY:
        notes.append(f"PDQ quality {quality} < {PDQ_MIN_QUALITY}: too flat to match by fingerprint")
        return Resolution(None, watermark=detection.to_dict(), notes=tuple(notes))
    nearest = repository.nearest_pdq(pdq, max_distance=pdq_max_distance)
    if not nearest:
        notes.append(f"no stored PDQ within {pdq_max_distance} bits")
        return Resolution(None, watermark=detection.to_dict(), notes=tuple(notes))
    best = nearest[0][1]
    closest = tuple(mid for mid, dist in nearest if dist == best)
    return Resolution("pdq", closest, pdq_distance=best, watermark=detection.to_dict(), notes=tuple(notes))


def record_for_signed_asset(
    data: bytes,
    *,
    mime: str,
    manifest_id: str,
    manifest_json: dict[str, Any],
    manifest_bytes: bytes | None = None,
    payload: int | None = None,
) -> ManifestRecord:
    """The repository record for a signed asset: its soft binding (if watermarked) and PDQ (if an image)."""
    from mediamanager.errors import InputError

    bindings = (SoftBinding(ALG, binding_value(payload)),) if payload is not None else ()
    pdq: str | None = None
    quality: int | None = None
    if mime.startswith("image/"):
        try:
            pdq, quality = image_pdq(data)
        except InputError:
            pdq = None
    return ManifestRecord(
        manifest_id=manifest_id,
        format=mime,
        manifest_json=manifest_json,
        manifest_bytes=manifest_bytes,
        pdq=pdq,
        pdq_quality=quality,
        bindings=bindings,
    )
