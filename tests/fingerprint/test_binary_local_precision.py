"""ORB local features: distinct photos never match a small registered sample; 80 % crops still do.

The scanner once saw photo 1 match photo 8 of ``photos-1024`` at score 0.52: many query keypoints
voted for one registered keypoint and RANSAC accepted a collapsed, scale-0 transform. These pairs
are in the sample below.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from PIL import Image

from mediamanager.fingerprint.image import image_fingerprints
from mediamanager.fingerprint.index.binary import ImageIndex
from mediamanager.fingerprint.limits import DEFAULT_LIMITS

# sorted-order positions: 0 vs 7 and 109 vs 167 were false ORB matches; 100 and 148 drew collapsed
# transforms from 66, 85 and 158 (texture, text, flat areas)
REGISTERED = (0, 66, 100, 109, 148, 183)
# one picture stored twice (by bytes or re-encoded): not distinct, left out of the queries
SAME_PICTURE = {57, 202, 106, 107, 111, 112}
EXTRA_QUERIES = (7, 36, 85, 142, 158, 167, 199, 227)


@pytest.fixture(scope="module")
def photos(test_data: Path) -> list[Path]:
    files = sorted((test_data / "metadata-extractor-images" / "photos-1024").glob("*.jpg"))
    if len(files) < 232:
        pytest.fail(f"expected the 232 photos of metadata-extractor-images/photos-1024, found {len(files)}")
    return files


def _orb_only(data: bytes) -> list:  # type: ignore[type-arg]
    """The query's ORB fingerprint alone, so the local-feature path runs even when hashes would decide."""
    fps = [
        fp for fp in image_fingerprints(data, DEFAULT_LIMITS, variants=False, local=True) if fp.kind == "orb"
    ]
    assert fps, "the query photo has no ORB features"
    return fps


def test_distinct_photos_do_not_match_by_local_features(photos: list[Path]) -> None:
    index = ImageIndex()
    singles: dict[int, ImageIndex] = {}
    for i in REGISTERED:
        fps = image_fingerprints(photos[i].read_bytes(), DEFAULT_LIMITS, variants=True, local=True)
        assert any(fp.kind == "orb" for fp in fps)
        index.add_fingerprints(photos[i].name, fps)
        singles[i] = ImageIndex()  # one registered photo: the ratio test has no other photo to compare with
        singles[i].add_fingerprints(photos[i].name, fps)
    queries = sorted(
        ({*range(1, len(photos), 9), *EXTRA_QUERIES} - set(REGISTERED) - SAME_PICTURE)
        & set(range(len(photos)))
    )
    assert len(queries) >= 30
    false: list[tuple[str, str, float]] = []
    for q in queries:
        data = photos[q].read_bytes()
        fps = _orb_only(data)
        for idx in (index, *singles.values()):
            false += [(photos[q].name, m.key, m.score) for m in idx.search_fingerprints(fps)]
        false += [(photos[q].name, m.key, m.score) for m in index.search(data)]
    assert false == [], f"distinct photos matched: {false}"


def test_crops_keeping_80_percent_still_match_by_local_features(photos: list[Path]) -> None:
    from benchmarks.alterations.image import crop_area

    index = ImageIndex()
    for i in REGISTERED:
        index.add_fingerprints(
            photos[i].name,
            image_fingerprints(photos[i].read_bytes(), DEFAULT_LIMITS, variants=True, local=True),
        )
    rng = random.Random(80)
    found = total = 0
    for i in REGISTERED:
        image = Image.open(io.BytesIO(photos[i].read_bytes())).convert("RGB")
        for crop in (crop_area(0.8), crop_area(0.8, keep_aspect=False)):
            matches = index.search_fingerprints(_orb_only(crop(image, rng)))
            total += 1
            assert all(m.key == photos[i].name for m in matches), matches
            found += bool(matches) and matches[0].kind == "orb"
    assert found >= total - 1, f"only {found} of {total} 80 % crops matched by local features"
