"""Issue 10: altered copies of registered works are caught by ``mediamanager scan`` (the CLI, a subprocess).

Each test registers real third-party works into a snapshot, builds a folder of altered copies and
unrelated items with the alteration suites of ``benchmarks/alterations`` (the ones
``benchmarks/scan_recall.py`` measures at full size), runs the scan CLI and counts, from
``decisions.parquet``, the copies dropped by the registry with their own work among the matches.
The expected counts are the levels reached (BENCHMARKS.md, "Recall through the scanner").
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:  # scan_recall imports its neighbours as top-level modules
    sys.path.insert(0, str(BENCHMARKS))

scan_recall = pytest.importorskip("scan_recall", reason="benchmarks/scan_recall.py not importable")


def _recall(tmp_path: Path, **sizes: int) -> tuple[dict[str, Any], dict[str, Any]]:
    built = scan_recall.build(tmp_path / "w", **sizes)
    rows, _wall, _cpu = scan_recall.run_scan(tmp_path / "w", workers=1)
    result = scan_recall.score(rows, built["truth"])
    assert result["errors"] == []
    return built, result


def _caught(result: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {key: (v["caught"], v["of"]) for key, v in result["recall"].items()}


def test_scan_catches_cropped_rotated_framed_and_captioned_photos(tmp_path: Path) -> None:
    """10 photos x 10 edits: every copy is caught; 3 unrelated photos x 10 edits: none is dropped."""
    _built, result = _recall(
        tmp_path, images=10, unrelated_images=3, texts=0, audio=0, text_reps=0, n_mails=0
    )
    names = (
        "reencode_q85", "crop_70_free", "side_crop_15", "rotate_5", "rotate_10", "letterbox", "border",
        "meme_frame", "caption_bar", "mirror_resize_q70",
    )  # fmt: skip
    assert _caught(result) == {f"image/{n}": (10, 10) for n in names}
    assert result["false_drops"] == {"image": {"dropped": 0, "of": 30}}


def test_scan_catches_excerpts_in_articles_edits_wrappers_and_typography(tmp_path: Path) -> None:
    """2 speeches x 9 edits x 2 copies: all caught (excerpts of 100 words inside 1,000-3,000 words
    of another address included); 231 other addresses and 300 e-mails: none dropped."""
    _built, result = _recall(
        tmp_path, images=0, unrelated_images=0, texts=2, audio=0, text_reps=2, n_mails=300
    )
    names = (
        "excerpt_100_in_article", "excerpt_150_in_article", "excerpt_300_in_article", "edit_10", "reformat",
        "html_page", "markdown_page", "typographic", "homoglyph_10",
    )  # fmt: skip
    assert _caught(result) == {f"text/{n}": (4, 4) for n in names}
    assert result["false_drops"] == {"text": {"dropped": 0, "of": 531}}


def test_short_clips_are_registered_exact_only_and_said_so(tmp_path: Path) -> None:
    """Spoken digits (0.3-0.8 s) have no Chromaprint fingerprint: every registration says that only
    byte-exact copies will be found, exact copies are caught, re-encoded ones are not."""
    built, result = _recall(tmp_path, images=0, unrelated_images=0, texts=0, audio=5, text_reps=0, n_mails=0)
    assert len(built["warnings"]) == 5
    assert all("only byte-exact copies of this audio work will be found" in w for w in built["warnings"])
    assert _caught(result) == {"audio/exact_copy": (5, 5), "audio/mp3_64k": (0, 5), "audio/vorbis_q3": (0, 5)}
    assert result["false_drops"] == {"audio": {"dropped": 0, "of": 15}}
