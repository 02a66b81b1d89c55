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


def test_scan_recall_on_the_low_texture_photos_is_the_level_reached(tmp_path: Path) -> None:
    """Photos 104-113 hold the hard cases (106, 107, 109: film scans; 111, 112: low texture, few
    ORB keypoints): the exact counts the scan reaches on them, and no false drop among 20
    unrelated photos x 10 edits. Rotations and frames are caught by the wide-rotation and trimmed
    registered parts; the crops of 111/112 are still missed (BENCHMARKS, issue 10). With only these
    10 photos registered, ORB's ratio test meets other neighbours than in the 116-photo run, so
    meme_frame and side_crop_15 differ by one from that run's counts for the same photos."""
    _built, result = _recall(
        tmp_path, images=10, unrelated_images=20, texts=0, audio=0, text_reps=0, n_mails=0, image_start=104
    )
    full = ("reencode_q85", "rotate_5", "rotate_10", "border", "mirror_resize_q70")
    expected = {f"image/{n}": (10, 10) for n in full}
    expected |= {
        "image/caption_bar": (7, 10), "image/crop_70_free": (5, 10), "image/letterbox": (8, 10),
        "image/side_crop_15": (7, 10), "image/meme_frame": (9, 10),
    }  # fmt: skip
    assert _caught(result) == expected
    assert result["false_drops"] == {"image": {"dropped": 0, "of": 200}}


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
