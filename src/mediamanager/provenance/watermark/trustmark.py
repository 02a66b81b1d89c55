"""Optional: Adobe TrustMark (the C2PA-listed open watermark) behind the ``trustmark`` extra.

TrustMark's package ships no model weights; on first use it downloads them from Adobe's host. Media
Manager never downloads at run time, so this adapter only works when the weights are already present
(``MEDIAMANAGER_TRUSTMARK_MODELS`` pointing at a folder with ``encoder_*.ckpt`` and ``decoder_*.ckpt``,
or the package's own ``models/`` folder), and otherwise fails with a message saying what is missing.
Soft-binding ``alg`` ids: ``com.adobe.trustmark.Q`` / ``.C`` / ``.P`` / ``.B``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mediamanager.errors import MissingExtraError, require_extra

__all__ = ["MODELS_ENV", "load_trustmark", "trustmark_alg"]

MODELS_ENV = "MEDIAMANAGER_TRUSTMARK_MODELS"


def trustmark_alg(model_type: str = "Q") -> str:
    """The C2PA soft-binding algorithm id for a TrustMark variant."""
    return f"com.adobe.trustmark.{model_type.upper()}"


def _weights_folder(module: Any) -> Path:
    configured = os.environ.get(MODELS_ENV)
    return Path(configured) if configured else Path(module.__file__).resolve().parent / "models"


def load_trustmark(model_type: str = "Q") -> Any:
    """A ``trustmark.TrustMark`` instance, or :class:`MissingExtraError` if the package or weights are absent."""
    module: Any = require_extra("trustmark", "trustmark")
    folder = _weights_folder(module)
    letter = model_type.upper()
    have = {p.name for p in folder.glob("*.ckpt")} if folder.is_dir() else set()
    needed = [f"encoder_{letter}.ckpt", f"decoder_{letter}.ckpt"]
    missing = [n for n in needed if n not in have]
    if missing:
        raise MissingExtraError(
            f"TrustMark weights {', '.join(missing)} are not in {folder}; Media Manager does not download "
            f"models at run time. Fetch them once (see adobe/trustmark) and set {MODELS_ENV}."
        )
    return module.TrustMark(verbose=False, model_type=letter)
