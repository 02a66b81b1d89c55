"""Which media type a byte string holds: magic bytes first, the file name only as a fallback."""

from __future__ import annotations

from pathlib import PurePath

from mediamanager.errors import CorruptMediaError, UnsupportedMediaError
from mediamanager.model import MediaType

__all__ = ["decode_text", "detect_media_type", "looks_binary"]

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
_AUDIO_MAGIC = (
    b"ID3",
    b"OggS",
    b"fLaC",
    b"\xff\xfb",
    b"\xff\xf3",
    b"\xff\xf2",
    b"\xff\xfa",
    b"\xff\xf1",
    b"\xff\xf9",
)
_IMAGE_BRANDS = (b"heic", b"heix", b"mif1", b"avif", b"avis")
_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"F4A ")
_EXTENSIONS = {
    MediaType.TEXT: {
        ".txt",
        ".md",
        ".markdown",
        ".html",
        ".htm",
        ".xhtml",
        ".rst",
        ".csv",
        ".json",
        ".xml",
        ".eml",
    },
    MediaType.IMAGE: {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".avif"},
    MediaType.AUDIO: {".mp3", ".wav", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aiff", ".aif"},
    MediaType.VIDEO: {".mp4", ".mkv", ".webm", ".mov", ".avi"},
}
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _magic_type(head: bytes) -> MediaType | None:
    if head.startswith(_IMAGE_MAGIC):
        return MediaType.IMAGE
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MediaType.IMAGE
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return MediaType.AUDIO
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return MediaType.AUDIO
    if head.startswith(_AUDIO_MAGIC):
        return MediaType.AUDIO
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _IMAGE_BRANDS:
            return MediaType.IMAGE
        if brand in _AUDIO_BRANDS:
            return MediaType.AUDIO
        return MediaType.VIDEO
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return MediaType.VIDEO
    return None


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text: NUL bytes, or many control bytes, in the first 64 KiB."""
    if any(data.startswith(bom) for bom, _ in _BOMS[1:]):
        return False
    sample = data[:65536]
    if b"\x00" in sample:
        return True
    controls = sum(sample.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13, 27))
    return controls > max(8, len(sample) // 100)


def detect_media_type(data: bytes, filename: str | None = None) -> MediaType:
    """The media type of ``data``: magic bytes, then text sniffing, then the file extension.

    Raises :class:`UnsupportedMediaError` for binary content of no known type.
    """
    if not data:
        raise CorruptMediaError("empty content (0 bytes): nothing to fingerprint")
    found = _magic_type(data[:16])
    if found is not None:
        return found
    if not looks_binary(data):
        return MediaType.TEXT
    if filename:
        ext = PurePath(filename).suffix.lower()
        for media, exts in _EXTENSIONS.items():
            if ext in exts and media is not MediaType.TEXT:
                return media
    raise UnsupportedMediaError(
        f"unrecognised binary content{f' in {filename!r}' if filename else ''}: "
        f"not text, and no known image or audio signature (first bytes {data[:8].hex()})"
    )


def decode_text(data: bytes) -> str:
    """Bytes to text: a BOM decides; otherwise UTF-8, falling back to Windows-1252 (legacy mail)."""
    if looks_binary(data):
        raise UnsupportedMediaError("content is binary, not text (NUL or control bytes)")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
