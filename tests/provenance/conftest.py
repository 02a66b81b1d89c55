"""Fixtures for the provenance tests: a test PKI made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediamanager.provenance.keys import PkiPaths, init_test_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    """A fresh root -> intermediate -> signer chain."""
    return init_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def photos(test_data: Path) -> list[Path]:
    """A few of the real 1024 px photos (small sample: benchmarks use all 232)."""
    folder = test_data / "metadata-extractor-images" / "photos-1024"
    files = sorted(folder.glob("*.jpg"))
    if len(files) < 200:
        pytest.fail(f"expected the 232 photos in {folder}")
    return [files[i] for i in (3, 40, 77, 150, 201)]
