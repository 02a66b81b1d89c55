"""The curated public API: ``__all__`` names exactly what the package exports."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

# The documented public API (README.md, "Public Python API"), written out here as the contract.
DOCUMENTED: dict[str, list[str]] = {
    "mediamanager": [
        "Conditions", "Decision", "Evidence", "Fingerprint", "Match", "MediaManagerError", "MediaType", "Outcome", "Payment", "PaymentModel", "Preferences", "Purpose", "Rule", "Use", "__version__", "combine_rules", "parse_preference_spec",
    ],
    "mediamanager.model": [
        "Conditions", "Decision", "Evidence", "Fingerprint", "Match", "MediaType", "Outcome", "Payment", "PaymentModel", "Preferences", "Purpose", "Rule", "Use", "as_utc", "combine_rules", "expire", "parse_preference_spec", "utcnow",
    ],
    "mediamanager.errors": [
        "AuthError", "ConflictError", "CorruptMediaError", "InputError", "IntegrityError", "InvalidFingerprintError", "InvalidPreferenceError", "MediaManagerError", "MediaTooLargeError", "MissingExtraError", "NotFoundError", "ProvenanceError", "RegistryUnavailableError", "SignalError", "UnsupportedMediaError", "VerificationError", "require_extra",
    ],
    "mediamanager.lookup": [
        "DisputeStatus", "LookupQuery", "LookupResult", "RegistryClient", "RegistryInfo", "WorkMatch",
    ],
    "mediamanager.signals": [
        "AIAgent", "Capture", "collect_signals", "emit_ai_txt", "emit_content_signal", "emit_content_usage", "emit_robots_txt", "emit_rsl", "emit_tdmrep_json", "load_agents", "parse_ai_txt", "parse_content_signal", "parse_content_usage", "parse_robots_txt", "parse_rsl", "parse_tdm_headers", "parse_tdmrep_json", "parse_x_robots_tag", "preferences_from", "read_signals", "robots_allowed",
    ],
    "mediamanager.fingerprint": [
        "ContentFingerprints", "Limits", "detect_media_type", "exact_only_warning", "fingerprint_content", "fingerprint_text", "fingerprint_texts", "read_content",
    ],
    "mediamanager.provenance": [
        "GeneratedText", "PkiPaths", "SignResult", "TextDetection", "TextDetectionReport", "TextWatermarkKey", "TextWatermarkKeyring", "VerifyReport", "VerifyStatus", "detect_ids", "detect_text", "generate_text", "init_test_pki", "kgw_logits_processor", "load_text_model", "load_text_tokenizer", "new_text_key", "sign_file", "verify_bytes", "verify_file",
    ],
    "mediamanager.scan": [
        "ConsentFilter", "Record", "ScanConfig", "allowed", "decide_record", "scan", "verify_outputs",
    ],
}  # fmt: skip
PUBLIC_MODULES = list(DOCUMENTED)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_exactly_the_documented_list(name: str) -> None:
    assert sorted(importlib.import_module(name).__all__) == DOCUMENTED[name]


def test_readme_documents_the_same_list() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Public Python API", 1)[1].split("\n## ", 1)[0]
    listed = {}
    for line in section.splitlines():
        match = re.fullmatch(r"\* `([\w.]+)`: (.*)", line)
        if match:
            listed[match.group(1)] = sorted(re.findall(r"`(\w+)`", match.group(2)))
    assert listed == DOCUMENTED


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_lists_only_real_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert len(exported) == len(module.__all__), "duplicates in __all__"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names missing attributes: {missing}"
    assert all(not n.startswith("_") or n == "__version__" for n in exported)


def test_top_level_exports_every_model_type() -> None:
    import mediamanager
    import mediamanager.model as model

    for name in ("Preferences", "Purpose", "Use", "Evidence", "Rule", "Decision", "Outcome"):
        assert getattr(mediamanager, name) is getattr(model, name)


def test_error_tree_is_rooted_and_input_errors_are_value_errors() -> None:
    from mediamanager import errors

    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, errors.MediaManagerError)
    assert issubclass(errors.CorruptMediaError, ValueError)
    assert issubclass(errors.MissingExtraError, ImportError)
    with pytest.raises(errors.MissingExtraError, match=r"pip install 'mediamanager\[nope\]'"):
        errors.require_extra("module_that_does_not_exist_xyz", "nope")
