"""Resource limits for fingerprinting one item, so hostile input can never stall a batch."""

from __future__ import annotations

from dataclasses import dataclass

from mediamanager.errors import InputError

__all__ = ["DEFAULT_LIMITS", "Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Upper bounds applied to every item before and while it is decoded.

    * ``max_bytes``: raw input larger than this is refused with
      :class:`~mediamanager.errors.MediaTooLargeError` before it is read
      (a 1 GB text never reaches the normaliser).
    * ``max_text_chars``: decoded text longer than this is refused the same way.
    * ``max_pixels``: images whose header declares more pixels are refused
      (decompression bombs) before the pixels are decoded.
    * ``max_audio_seconds``: audio longer than this is fingerprinted on its
      first ``max_audio_seconds`` only (see ``docs/fingerprint.md``, audio).
    * ``timeout_s``: wall-clock budget for decoding one item in a subprocess
      (used by the audio decoder; pure-Python steps are bounded by the sizes above).
    * ``max_decode_s``: wall-clock budget for decoding one image in process; it is checked
      after the pixels are decoded and after each reduction step, and a decode over it is
      refused with :class:`~mediamanager.errors.MediaTooLargeError` rather than hashed.
    * ``iscc_text_max_chars``: the ISCC Text-Code (iscc-core, pure Python, about
      0.3 MB/s) is computed only up to this length; longer texts get an ISCC-SUM
      (Data-Code + Instance-Code) instead, see :mod:`mediamanager.fingerprint.iscc`.
    """

    max_bytes: int = 64 * 1024 * 1024
    max_text_chars: int = 64 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_audio_seconds: float = 900.0
    timeout_s: float = 30.0
    max_decode_s: float = 10.0
    iscc_text_max_chars: int = 200_000

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_text_chars", "max_pixels", "iscc_text_max_chars"):
            if getattr(self, name) <= 0:
                raise InputError(f"Limits.{name} must be positive, got {getattr(self, name)!r}")
        if self.max_audio_seconds <= 0 or self.timeout_s <= 0 or self.max_decode_s <= 0:
            raise InputError(
                "Limits.max_audio_seconds, Limits.timeout_s and Limits.max_decode_s must be positive"
            )


DEFAULT_LIMITS = Limits()
