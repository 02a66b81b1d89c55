"""fingerprint_content: media type detection, ids, and clear errors for bad input."""

from __future__ import annotations

import os
import struct
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediamanager.errors import CorruptMediaError, InputError, MediaTooLargeError, UnsupportedMediaError
from mediamanager.fingerprint import ContentFingerprints, detect_media_type, fingerprint_content
from mediamanager.fingerprint.exact import sha256_hex
from mediamanager.fingerprint.limits import DEFAULT_LIMITS, Limits
from mediamanager.model import Fingerprint, MediaType

TEXT = "The registry is only worth something if a registered work is found when it turns up. " * 20


def test_text_gets_sha256_iscc_and_minhash() -> None:
    result = fingerprint_content(TEXT.encode())
    assert result.media_type is MediaType.TEXT
    assert result.sha256 == sha256_hex(TEXT.encode())
    assert result.iscc.startswith("ISCC:") and result.size_bytes == len(TEXT.encode())
    assert [f.kind for f in result.fingerprints] == ["minhash"]
    assert fingerprint_content(TEXT) == result  # str and its UTF-8 bytes are the same content


def test_long_text_gets_an_iscc_sum_instead_of_a_text_code() -> None:
    short = fingerprint_content(TEXT)
    long = fingerprint_content(TEXT, limits=replace(DEFAULT_LIMITS, iscc_text_max_chars=100))
    assert short.iscc != long.iscc and long.iscc.startswith("ISCC:")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, MediaType.IMAGE),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, MediaType.IMAGE),
        (b"GIF89a" + b"\0" * 20, MediaType.IMAGE),
        (b"RIFF" + struct.pack("<I", 100) + b"WEBPVP8 " + b"\0" * 8, MediaType.IMAGE),
        (b"RIFF" + struct.pack("<I", 100) + b"WAVEfmt " + b"\0" * 8, MediaType.AUDIO),
        (b"ID3\x03\x00" + b"\0" * 20, MediaType.AUDIO),
        (b"fLaC" + b"\0" * 20, MediaType.AUDIO),
        (b"OggS" + b"\0" * 20, MediaType.AUDIO),
        (b"\0\0\0\x18ftypisom" + b"\0" * 12, MediaType.VIDEO),
        (b"plain old text, nothing else", MediaType.TEXT),
        ("Ünïcode tëxt".encode(), MediaType.TEXT),
        ("utf-16 text".encode("utf-16"), MediaType.TEXT),
    ],
)
def test_magic_bytes_decide_the_media_type(head: bytes, expected: MediaType) -> None:
    assert detect_media_type(head, "misleading.txt") is expected


def test_binary_is_refused_with_a_clear_message() -> None:
    with pytest.raises(UnsupportedMediaError, match="binary"):
        fingerprint_content(os.urandom(4096).replace(b"\xff", b"\0"))


def test_empty_input_is_refused() -> None:
    for empty in (b"", ""):
        with pytest.raises(CorruptMediaError, match="empty"):
            fingerprint_content(empty)


def test_text_without_words_has_ids_but_no_matching_fingerprint() -> None:
    result = fingerprint_content(" ... !!! ")
    assert result.fingerprints == () and result.sha256 and result.iscc


def test_video_is_unsupported() -> None:
    with pytest.raises(UnsupportedMediaError, match="video"):
        fingerprint_content(b"\0\0\0\x18ftypisom" + b"\0" * 100)


def test_legacy_encodings_decode() -> None:
    assert fingerprint_content("Café crème".encode("cp1252")).media_type is MediaType.TEXT


def test_one_gigabyte_text_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.txt"
    with open(big, "wb") as fh:  # sparse: 1 GiB on paper, nothing on disk
        fh.truncate(1024**3)
    started = time.monotonic()
    with pytest.raises(MediaTooLargeError, match="over the limit"):
        fingerprint_content(big)
    assert time.monotonic() - started < 1.0


def test_size_limits_apply_to_bytes_and_text() -> None:
    limits = Limits(max_bytes=1000, max_text_chars=1000)
    with pytest.raises(MediaTooLargeError):
        fingerprint_content(b"a " * 1000, limits=limits)
    with pytest.raises(MediaTooLargeError):
        fingerprint_content("a " * 1000, limits=limits)


def test_limits_validate() -> None:
    with pytest.raises(InputError):
        Limits(max_bytes=0)


def test_missing_file_and_wrong_types_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        fingerprint_content(tmp_path / "nope.txt")
    with pytest.raises(InputError):
        fingerprint_content(12345)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        fingerprint_content("text", MediaType.IMAGE)


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_content_fingerprints_round_trip_through_dict(text: str) -> None:
    result = fingerprint_content(text)
    assert ContentFingerprints.from_dict(result.to_dict()) == result
    assert all(isinstance(f, Fingerprint) for f in result.fingerprints)


def test_batch_path_equals_single_path_and_isolates_errors() -> None:
    from mediamanager.fingerprint import fingerprint_texts

    items: list[str | bytes] = [TEXT, b"", "x" * 10, b"\x00\x01binary\x00", "Ünïcode ".encode() * 50, "   "]
    results = fingerprint_texts(items)
    assert len(results) == len(items)
    assert isinstance(results[1], CorruptMediaError) and isinstance(results[3], UnsupportedMediaError)
    for item, result in zip(items, results, strict=True):
        if isinstance(result, ContentFingerprints):
            single = fingerprint_content(item, with_iscc=False)
            assert result == single and result.iscc == ""
    with_iscc = fingerprint_texts([TEXT], with_iscc=True)[0]
    assert with_iscc == fingerprint_content(TEXT)


def test_query_fingerprints_of_an_image_are_the_untransformed_subset(test_data: Path) -> None:
    """A lookup computes part 0 of the global hashes (and the trimmed part 25 when the picture has
    plain bands), plus its own (larger) ORB feature set."""
    photo = sorted((test_data / "metadata-extractor-images" / "photos-1024").glob("*.jpg"))[0]
    full = fingerprint_content(photo, with_iscc=False)
    query = fingerprint_content(photo, with_iscc=False, query=True)
    assert {f.part for f in query.fingerprints} <= {0, 25}
    hashes = {f for f in query.fingerprints if f.kind != "orb"}
    assert {f.kind for f in hashes} == {"pdq", "phash"}
    assert hashes <= set(full.fingerprints)
    (orb,) = [f for f in query.fingerprints if f.kind == "orb"]
    (registered_orb,) = [f for f in full.fingerprints if f.kind == "orb"]
    assert (registered_orb.size, orb.size) == (150, 500)
    assert len(full.fingerprints) > len(query.fingerprints)
    assert query.sha256 == full.sha256


def test_deferred_local_features_are_the_query_orb_from_the_same_pixels(test_data: Path) -> None:
    """``local=False`` (the scanner): global hashes only, and ``deferred`` gives the same ORB
    fingerprint that ``query=True`` sends at once."""
    photo = sorted((test_data / "metadata-extractor-images" / "photos-1024").glob("*.jpg"))[5]
    eager = fingerprint_content(photo, with_iscc=False, query=True)
    lazy = fingerprint_content(photo, with_iscc=False, query=True, local=False)
    assert "orb" not in {f.kind for f in lazy.fingerprints}
    assert lazy.deferred is not None
    assert (*lazy.fingerprints, *lazy.deferred()) == eager.fingerprints


def test_a_framed_photo_is_trimmed_back_to_the_picture(test_data: Path) -> None:
    """Oracle: the frame's geometry. A 256x192 picture inside a 20 px grey border, and the same
    picture above a 40 px black caption bar with white text, come back within 2 px of the picture."""
    import numpy as np
    from PIL import Image, ImageDraw

    from mediamanager.fingerprint.image import trim_borders

    photo = sorted((test_data / "metadata-extractor-images" / "photos-1024").glob("*.jpg"))[5]
    with Image.open(photo) as im:
        picture = im.convert("L").resize((256, 192))
    bordered = Image.new("L", (256 + 40, 192 + 40), 128)
    bordered.paste(picture, (20, 20))
    captioned = Image.new("L", (256, 192 + 40), 0)
    captioned.paste(picture, (0, 0))
    ImageDraw.Draw(captioned).text((20, 200), "Photo: staff 123", fill=255, font_size=16)
    for canvas in (bordered, captioned):
        trimmed = trim_borders(np.asarray(canvas))
        assert trimmed is not None
        height, width = trimmed.shape
        assert abs(width - 256) <= 2 and abs(height - 192) <= 2, trimmed.shape
