"""Every media index shares the FingerprintIndex shape, so the registry and scanner never branch."""

from __future__ import annotations

import inspect

import pytest

import mediamanager.fingerprint.index as index_pkg
from mediamanager.fingerprint.index import FingerprintIndex

METHODS = ("add", "add_fingerprints", "remove", "search", "search_fingerprints", "save", "load", "__len__")


@pytest.mark.parametrize("name", ["TextIndex", "ImageIndex", "AudioIndex"])
def test_index_has_the_shared_shape(name: str) -> None:
    cls = getattr(index_pkg, name)
    assert issubclass(cls, FingerprintIndex), f"{name} must subclass FingerprintIndex"
    assert not inspect.isabstract(cls), f"{name} leaves abstract methods: {cls.__abstractmethods__}"
    for method in METHODS:
        assert callable(getattr(cls, method)), f"{name}.{method} missing"
    assert inspect.signature(cls.search).parameters["limit"].default == 10
    assert isinstance(cls.load, type(FingerprintIndex.load)) or inspect.ismethod(cls.load)
