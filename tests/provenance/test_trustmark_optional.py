"""TrustMark is an optional extra: without its package or weights it fails with a clear message."""

from __future__ import annotations

import importlib.util

import pytest

from mediamanager.errors import MissingExtraError
from mediamanager.provenance.watermark.trustmark import load_trustmark, trustmark_alg


def test_alg_ids_follow_the_soft_binding_list() -> None:
    assert trustmark_alg("q") == "com.adobe.trustmark.Q"


def test_missing_trustmark_fails_clearly(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIAMANAGER_TRUSTMARK_MODELS", str(tmp_path))
    with pytest.raises(MissingExtraError) as info:
        load_trustmark("Q")
    message = str(info.value)
    if importlib.util.find_spec("trustmark") is None:
        assert "pip install 'mediamanager[trustmark]'" in message
    else:
        assert "encoder_Q.ckpt" in message and "does not download" in message
