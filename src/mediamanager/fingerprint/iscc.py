"""ISCC codes (ISO 24138) via iscc-core: the interoperable content code stored and exported per work.

Which code each media type gets (``ContentFingerprints.iscc``):

* **text**: ISCC-CODE composed of Text-Code + Data-Code + Instance-Code. The Text-Code is
  iscc-core's own (pure Python, about 0.3 MB/s); for texts longer than
  ``Limits.iscc_text_max_chars`` it is left out and the result is an ISCC-SUM
  (Data-Code + Instance-Code), so a huge text cannot stall a batch;
* **image**: ISCC-CODE of Image-Code (from 32×32 grey pixels, :func:`image_code`) + Data + Instance;
* **audio**: ISCC-CODE of Audio-Code (iscc-core's Audio-Code takes a Chromaprint vector,
  :func:`audio_code`) + Data + Instance;
* anything else: ISCC-SUM (Data-Code + Instance-Code), :func:`sum_code`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import iscc_core

from mediamanager.errors import InputError

__all__ = ["audio_code", "compose", "image_code", "iscc_for_text", "sum_code", "text_code"]


def text_code(text: str) -> str:
    """ISCC Text-Code (64 bits) of a text."""
    return str(iscc_core.gen_text_code_v0(text)["iscc"])


def image_code(pixels: Sequence[int]) -> str:
    """ISCC Image-Code from 1024 grey values (32×32, row-major, 0-255), as iscc-core expects."""
    if len(pixels) != 1024:
        raise InputError(f"ISCC Image-Code needs 32x32 = 1024 grey pixels, got {len(pixels)}")
    return str(iscc_core.gen_image_code_v0(list(pixels))["iscc"])


def audio_code(chromaprint: Sequence[int]) -> str:
    """ISCC Audio-Code from a raw Chromaprint vector (signed 32-bit ints, fpcalc ``-raw``)."""
    return str(iscc_core.gen_audio_code_v0(list(chromaprint))["iscc"])


def _data_and_instance(data: bytes) -> tuple[str, str]:
    data_code = str(iscc_core.gen_data_code_v0(io.BytesIO(data))["iscc"])
    instance_code = str(iscc_core.gen_instance_code_v0(io.BytesIO(data))["iscc"])
    return data_code, instance_code


def compose(content_code: str | None, data: bytes) -> str:
    """ISCC-CODE of a content code (or none) plus the Data- and Instance-Code of the raw bytes."""
    units = [u for u in (content_code, *_data_and_instance(data)) if u]
    return str(iscc_core.gen_iscc_code_v0(units)["iscc"])


def sum_code(data: bytes) -> str:
    """ISCC-SUM (Data-Code + Instance-Code) for content without a content code."""
    return compose(None, data)


def iscc_for_text(text: str, data: bytes, max_chars: int) -> str:
    """ISCC-CODE of a text (Text-Code only up to ``max_chars`` characters, see module docstring)."""
    return compose(text_code(text) if len(text) <= max_chars else None, data)
