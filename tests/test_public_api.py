"""The curated public API: ``__all__`` names exactly what the package exports."""

from __future__ import annotations

import importlib

import pytest

PUBLIC_MODULES = [
    "mediamanager",
    "mediamanager.model",
    "mediamanager.errors",
    "mediamanager.lookup",
    "mediamanager.signals",
    "mediamanager.fingerprint",
    "mediamanager.provenance",
]


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
