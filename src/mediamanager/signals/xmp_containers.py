"""Find and replace XMP packets inside JPEG, PNG, TIFF, WebP and PDF files, without decoding pixels.

We walk the containers ourselves because no permissive-licence Python library both reads *and*
writes XMP at the container level for these formats: Pillow re-encodes pixels on save (lossy for
JPEG, and it drops C2PA manifests and unknown chunks), misses JPEG Extended XMP and PNG chunks after
IDAT, and the exiv2 bindings are GPL and parse hostile input in C. The walkers only follow length
fields, check every bound, cap every count and never allocate more than the input's size (plus a
capped decompression budget), so hostile input costs bounded time and memory.

Where the packet lives (and where :func:`replace_xmp` writes it):

* JPEG: an APP1 segment ``http://ns.adobe.com/xap/1.0/\\0`` + packet (at most 65,502 bytes), placed
  after SOI/APP0/APP1-Exif; Extended XMP (``http://ns.adobe.com/xmp/extension/\\0`` + 32-byte GUID +
  32-bit total length + 32-bit offset + chunk) is read and left untouched on write.
* PNG: an ``iTXt`` chunk with keyword ``XML:com.adobe.xmp``, uncompressed, written right after IHDR.
* TIFF (classic, either byte order): tag 700 (XMLPacket, type BYTE) in IFD0. On write the packet and a
  copy of IFD0 with tag 700 set are appended and the header points at the new IFD; no data moves.
* WebP: an ``XMP `` RIFF chunk at the end, with the XMP flag set in ``VP8X`` (a simple lossy or
  lossless file is promoted to the extended format, its canvas size taken from the bitstream header).
* PDF (read only): every ``<x:xmpmeta>`` packet in the file, including ``/FlateDecode`` metadata streams.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field

from mediamanager.errors import CorruptMediaError, MediaTooLargeError, UnsupportedMediaError

__all__ = [
    "MAX_IMAGE_PIXELS",
    "Container",
    "find_xmp",
    "replace_xmp",
    "sniff_format",
]

MAX_IMAGE_PIXELS = 89_478_485  # Pillow's default decompression-bomb threshold
MAX_PACKET = 8 * 1024 * 1024  # largest XMP packet we parse
MAX_ITEMS = 200_000  # most segments / chunks / IFD entries we walk
MAX_PDF_STREAMS = 64  # most compressed PDF metadata streams we inflate
_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_JPEG_EXT = b"http://ns.adobe.com/xmp/extension/\x00"
_JPEG_SOF = frozenset((0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF))
_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_PNG_KEY = b"XML:com.adobe.xmp"
_XMP_START = re.compile(rb"<\?xpacket begin=|<x:x[am]pmeta[\s>]|<rdf:RDF[\s>]")
_XMP_END = {
    b"<?": re.compile(rb"<\?xpacket end=[^>]{0,20}>"),
    b"<x": re.compile(rb"</x:x[am]pmeta\s*>"),
    b"<r": re.compile(rb"</rdf:RDF\s*>"),
}


def sniff_format(content: bytes, filename: str | None = None) -> str:
    """The container format by magic bytes (the filename is only a fallback for text-like sidecars).

    One of ``jpeg``, ``png``, ``tiff``, ``bigtiff``, ``webp``, ``pdf``, ``xmp``, ``gif``, ``svg``,
    ``heif``, ``mp4``, ``wav``, ``mp3``, ``flac``, ``text`` or ``unknown``.
    """
    head = content[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(_PNG_SIG):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] in (b"II+\x00", b"MM\x00+"):
        return "bigtiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if b"%PDF-" in content[:1024]:
        return "pdf"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "heif" if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"heif") else "mp4"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if head.startswith(b"fLaC"):
        return "flac"
    for magic, name in _OTHER_MAGIC:
        if head.startswith(magic):
            return name
    if content[128:132] == b"DICM":
        return "dicom"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith((b"<?xpacket", b"<x:xmpmeta", b"<rdf:RDF")):
        return "xmp"
    if stripped.startswith((b"<svg", b"<?xml")) and b"<svg" in content[:4096]:
        return "svg"
    if filename and filename.lower().endswith(".xmp"):
        return "xmp"
    sample = content[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"  # UTF-16 with a byte-order mark
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    if sample and b"\x00" not in sample and controls * 100 <= len(sample):
        return "text"
    return "unknown"


# Formats that carry no C2PA or XMP we read as such (we still scan them for XMP packets); knowing
# them keeps "unrecognised binary" errors for content that is really garbage.
_OTHER_MAGIC = (
    (b"BM", "bmp"),
    (b"OggS", "ogg"),
    (b"PK\x03\x04", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!", "rar"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x1a\x45\xdf\xa3", "matroska"),
    (b"RIFF", "riff"),
    (b"FORM", "iff"),
    (b"\x00\x00\x00\x0cjP  ", "jpeg2000"),
    (b"\xffO\xffQ", "jpeg2000"),
    (b"\xff\x0a", "jxl"),
    (b"\x00\x00\x00\x0cJXL ", "jxl"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"\x00\x01\x00\x00", "font"),
    (b"OTTO", "font"),
    (b"wOFF", "font"),
    (b"wOF2", "font"),
    (b"8BPS", "psd"),
    (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "asf"),
    (b"\x76\x2f\x31\x01", "exr"),
    (b"FUJIFILMCCD-RAW", "raf"),
    (b"IIRO", "orf"),
    (b"IIU\x00", "rw2"),
    (b"PAR1", "parquet"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"MThd", "midi"),
    (b"\x93NUMPY", "npy"),
    (b"%!PS", "postscript"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
)


@dataclass
class Container:
    """What a walk of one file found: XMP packets (with where they were) and warnings.

    ``main`` is the packet a writer replaces; ``packets`` holds every packet found, as
    ``(location, bytes)``; ``problems`` are reasons the file is damaged or hostile (reported as
    error evidence by the reader while still using whatever could be read).
    """

    format: str
    packets: list[tuple[str, bytes]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    width: int | None = None
    height: int | None = None

    def check_size(self) -> None:
        if self.width is not None and self.height is not None and self.width * self.height > MAX_IMAGE_PIXELS:
            self.problems.append(
                f"image claims {self.width} x {self.height} pixels, over the {MAX_IMAGE_PIXELS:,} limit "
                "(possible decompression bomb; pixels were not decoded)"
            )


# --- JPEG -----------------------------------------------------------------------------------


@dataclass
class _Segment:
    marker: int
    start: int  # offset of the 0xFF
    payload: int  # offset of the payload (after the length field)
    end: int  # offset after the segment


def _jpeg_segments(b: bytes, problems: list[str]) -> tuple[list[_Segment], int]:
    """Segments from SOI up to SOS/EOI; returns them and the offset where entropy-coded data starts."""
    segs: list[_Segment] = []
    i = 2
    n = len(b)
    while i < n:
        if len(segs) >= MAX_ITEMS:
            problems.append("JPEG has too many segments")
            break
        if b[i] != 0xFF:
            # Extraneous bytes before a marker: libjpeg skips them with a warning, and so do we.
            nxt = b.find(b"\xff", i)
            if nxt < 0:
                problems.append(f"JPEG marker expected at byte {i}; none follows (truncated)")
                break
            i = nxt
        while i < n and b[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            problems.append("JPEG truncated inside a marker")
            break
        marker = b[i]
        start = i - 1
        i += 1
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            segs.append(_Segment(marker, start, i, i))
            continue
        if marker == 0xD9:
            return segs, start
        if i + 2 > n:
            problems.append("JPEG truncated inside a segment length")
            break
        (length,) = struct.unpack(">H", b[i : i + 2])
        if length < 2 or i + length > n:
            problems.append(f"JPEG segment 0x{marker:02X} at byte {start} overruns the file (truncated)")
            break
        segs.append(_Segment(marker, start, i + 2, i + length))
        i += length
        if marker == 0xDA:
            return segs, i
    return segs, n


def _walk_jpeg(b: bytes) -> Container:
    c = Container("jpeg")
    segs, _ = _jpeg_segments(b, c.problems)
    extended: dict[bytes, tuple[int, dict[int, bytes]]] = {}
    for s in segs:
        body = b[s.payload : s.end]
        if s.marker == 0xE1 and body.startswith(_JPEG_XMP):
            c.packets.append((f"JPEG APP1 XMP @{s.start}", body[len(_JPEG_XMP) :]))
        elif s.marker == 0xE1 and body.startswith(_JPEG_EXT) and len(body) >= len(_JPEG_EXT) + 40:
            off = len(_JPEG_EXT)
            guid = body[off : off + 32]
            total, chunk_off = struct.unpack(">II", body[off + 32 : off + 40])
            if total > MAX_PACKET:
                c.problems.append(f"JPEG Extended XMP claims {total} bytes, over the limit")
                continue
            _, parts = extended.setdefault(guid, (total, {}))
            parts[chunk_off] = body[off + 40 :]
        elif s.marker in _JPEG_SOF and len(body) >= 5 and c.width is None:
            c.height, c.width = struct.unpack(">HH", body[1:5])
    for guid, (total, parts) in extended.items():
        data = bytearray()
        for off in sorted(parts):
            if off != len(data):
                break
            data += parts[off]
        if len(data) != total:
            c.problems.append(f"JPEG Extended XMP {guid.decode('ascii', 'replace')} is incomplete")
            continue
        c.packets.append((f"JPEG Extended XMP {guid.decode('ascii', 'replace')}", bytes(data)))
    c.check_size()
    return c


def _replace_jpeg(b: bytes, packet: bytes) -> bytes:
    if len(packet) + len(_JPEG_XMP) + 2 > 0xFFFF:
        raise MediaTooLargeError("XMP packet does not fit one JPEG APP1 segment (65,502 bytes)")
    problems: list[str] = []
    segs, _ = _jpeg_segments(b, problems)
    if problems:
        raise CorruptMediaError(f"cannot rewrite a damaged JPEG: {problems[0]}")
    new_seg = b"\xff\xe1" + struct.pack(">H", len(packet) + len(_JPEG_XMP) + 2) + _JPEG_XMP + packet
    old = [s for s in segs if s.marker == 0xE1 and b[s.payload : s.end].startswith(_JPEG_XMP)]
    if old:
        first = old[0]
        out = bytearray(b[: first.start]) + new_seg
        pos = first.end
        for s in old[1:]:
            out += b[pos : s.start]
            pos = s.end
        return bytes(out + b[pos:])
    # After SOI, JFIF APP0 and Exif APP1, which readers expect first.
    insert = 2
    for s in segs[1:]:
        if s.marker == 0xE0 or (s.marker == 0xE1 and b[s.payload : s.payload + 6] == b"Exif\x00\x00"):
            insert = s.end
        else:
            break
    return b[:insert] + new_seg + b[insert:]


# --- PNG ------------------------------------------------------------------------------------


def _png_chunks(b: bytes, problems: list[str]) -> list[tuple[bytes, int, int, int]]:
    """``(type, start, data_start, end)`` for every chunk up to IEND."""
    chunks: list[tuple[bytes, int, int, int]] = []
    i = 8
    n = len(b)
    while i < n:
        if len(chunks) >= MAX_ITEMS:
            problems.append("PNG has too many chunks")
            break
        if i + 8 > n:
            problems.append("PNG truncated inside a chunk header")
            break
        (length,) = struct.unpack(">I", b[i : i + 4])
        ctype = b[i + 4 : i + 8]
        end = i + 12 + length
        if length > 0x7FFFFFFF or end > n:
            problems.append(f"PNG chunk {ctype!r} at byte {i} overruns the file (truncated)")
            break
        chunks.append((ctype, i, i + 8, end - 4))
        i = end
        if ctype == b"IEND":
            break
    return chunks


def _inflate(data: bytes, what: str, problems: list[str]) -> bytes | None:
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, MAX_PACKET + 1)
    except zlib.error as exc:
        problems.append(f"{what}: corrupt compressed data ({exc})")
        return None
    if len(out) > MAX_PACKET:
        problems.append(f"{what}: decompresses past {MAX_PACKET:,} bytes (possible zip bomb)")
        return None
    return out


def _png_xmp(data: bytes, ctype: bytes, problems: list[str]) -> bytes | None:
    key, sep, rest = data.partition(b"\x00")
    if not sep or key != _PNG_KEY:
        return None
    if ctype == b"iTXt":
        if len(rest) < 2:
            problems.append("PNG iTXt XMP chunk truncated")
            return None
        compressed, _method = rest[0], rest[1]
        parts = rest[2:].split(b"\x00", 2)
        if len(parts) != 3:
            problems.append("PNG iTXt XMP chunk malformed")
            return None
        text = parts[2]
        return _inflate(text, "PNG iTXt XMP", problems) if compressed else text
    if ctype == b"zTXt":
        return _inflate(rest[1:], "PNG zTXt XMP", problems)
    return rest  # tEXt


def _walk_png(b: bytes) -> Container:
    c = Container("png")
    for ctype, start, data, end in _png_chunks(b, c.problems):
        if ctype == b"IHDR" and end - data >= 8:
            c.width, c.height = struct.unpack(">II", b[data : data + 8])
        elif ctype in (b"iTXt", b"tEXt", b"zTXt"):
            packet = _png_xmp(b[data:end], ctype, c.problems)
            if packet is not None:
                c.packets.append((f"PNG {ctype.decode()} XMP @{start}", packet))
    c.check_size()
    return c


def _png_chunk(ctype: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)
    )


def _replace_png(b: bytes, packet: bytes) -> bytes:
    problems: list[str] = []
    chunks = _png_chunks(b, problems)
    if problems or not chunks or chunks[0][0] != b"IHDR":
        raise CorruptMediaError(f"cannot rewrite a damaged PNG: {problems[0] if problems else 'no IHDR'}")
    new = _png_chunk(b"iTXt", _PNG_KEY + b"\x00\x00\x00\x00\x00" + packet)
    out = bytearray(b[:8])
    for ctype, start, data, end in chunks:
        if ctype in (b"iTXt", b"tEXt", b"zTXt") and b[data:end].partition(b"\x00")[0] == _PNG_KEY:
            continue
        out += b[start : end + 4]
        if ctype == b"IHDR":
            out += new
    return bytes(out + b[chunks[-1][3] + 4 :])


# --- TIFF -----------------------------------------------------------------------------------

_TIFF_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}


def _tiff_ifd0(
    b: bytes, problems: list[str]
) -> tuple[str, int, list[tuple[int, int, int, bytes]], int] | None:
    """Byte order, IFD0 offset, its entries ``(tag, type, count, 4 value bytes)`` and next-IFD offset."""
    bo = "<" if b[:2] == b"II" else ">"
    if len(b) < 8:
        problems.append("TIFF header truncated")
        return None
    (ifd,) = struct.unpack(bo + "I", b[4:8])
    if ifd + 2 > len(b):
        problems.append("TIFF IFD0 offset points past the end of the file (truncated)")
        return None
    (count,) = struct.unpack(bo + "H", b[ifd : ifd + 2])
    if ifd + 2 + 12 * count + 4 > len(b):
        problems.append("TIFF IFD0 overruns the file (truncated)")
        return None
    entries = []
    for k in range(count):
        e = ifd + 2 + 12 * k
        tag, typ, cnt = struct.unpack(bo + "HHI", b[e : e + 8])
        entries.append((tag, typ, cnt, b[e + 8 : e + 12]))
    (nxt,) = struct.unpack(bo + "I", b[ifd + 2 + 12 * count : ifd + 6 + 12 * count])
    return bo, ifd, entries, nxt


def _tiff_value(b: bytes, bo: str, typ: int, cnt: int, raw: bytes) -> bytes | None:
    size = _TIFF_SIZES.get(typ, 1) * cnt
    if size <= 4:
        return raw[:size]
    (off,) = struct.unpack(bo + "I", raw)
    if off + size > len(b):
        return None
    return b[off : off + size]


def _walk_tiff(b: bytes) -> Container:
    c = Container("tiff")
    parsed = _tiff_ifd0(b, c.problems)
    if parsed is None:
        return c
    bo, _, entries, _ = parsed
    for tag, typ, cnt, raw in entries:
        if tag in (256, 257) and typ in (3, 4) and cnt == 1:
            (v,) = struct.unpack(bo + ("H" if typ == 3 else "I"), raw[: 2 if typ == 3 else 4])
            if tag == 256:
                c.width = v
            else:
                c.height = v
        elif tag == 700:
            if cnt > MAX_PACKET:
                c.problems.append(f"TIFF XMP tag claims {cnt} bytes, over the limit")
                continue
            value = _tiff_value(b, bo, typ, cnt, raw)
            if value is None:
                c.problems.append("TIFF XMP tag points past the end of the file (truncated)")
            else:
                c.packets.append(("TIFF IFD0 tag 700 XMP", value))
    c.check_size()
    return c


def _replace_tiff(b: bytes, packet: bytes) -> bytes:
    problems: list[str] = []
    parsed = _tiff_ifd0(b, problems)
    if parsed is None:
        raise CorruptMediaError(f"cannot rewrite a damaged TIFF: {problems[0]}")
    bo, _, entries, nxt = parsed
    out = bytearray(b)
    if len(out) % 2:
        out += b"\x00"
    packet_off = len(out)
    out += packet
    if len(out) % 2:
        out += b"\x00"
    ifd_off = len(out)
    if ifd_off + 2 + 12 * (len(entries) + 1) + 4 > 0xFFFFFFFF:
        raise MediaTooLargeError("TIFF would exceed 4 GiB; BigTIFF is not supported")
    new_entries = [e for e in entries if e[0] != 700]
    new_entries.append((700, 1, len(packet), struct.pack(bo + "I", packet_off)))
    new_entries.sort(key=lambda e: e[0])
    out += struct.pack(bo + "H", len(new_entries))
    for tag, typ, cnt, raw in new_entries:
        out += struct.pack(bo + "HHI", tag, typ, cnt) + raw
    out += struct.pack(bo + "I", nxt)
    out[4:8] = struct.pack(bo + "I", ifd_off)
    return bytes(out)


# --- WebP -----------------------------------------------------------------------------------


def _webp_chunks(b: bytes, problems: list[str]) -> list[tuple[bytes, int, int, int]]:
    """``(fourcc, start, data_start, data_end)`` for each RIFF chunk."""
    chunks: list[tuple[bytes, int, int, int]] = []
    (riff_size,) = struct.unpack("<I", b[4:8])
    n = min(len(b), 8 + riff_size)
    if 8 + riff_size > len(b):
        problems.append("WebP RIFF size exceeds the file (truncated)")
    i = 12
    while i + 8 <= n:
        if len(chunks) >= MAX_ITEMS:
            problems.append("WebP has too many chunks")
            break
        fourcc = b[i : i + 4]
        (size,) = struct.unpack("<I", b[i + 4 : i + 8])
        if i + 8 + size > n:
            problems.append(f"WebP chunk {fourcc!r} at byte {i} overruns the file (truncated)")
            break
        chunks.append((fourcc, i, i + 8, i + 8 + size))
        i += 8 + size + (size & 1)
    return chunks


def _webp_canvas(b: bytes, fourcc: bytes, data: int, end: int) -> tuple[int, int, bool] | None:
    body = b[data:end]
    if fourcc == b"VP8X" and len(body) >= 10:
        w = int.from_bytes(body[4:7], "little") + 1
        h = int.from_bytes(body[7:10], "little") + 1
        return w, h, bool(body[0] & 0x10)
    if fourcc == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", body[6:10])
        return w & 0x3FFF, h & 0x3FFF, False
    if fourcc == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool((bits >> 28) & 1)
    return None


def _walk_webp(b: bytes) -> Container:
    c = Container("webp")
    for fourcc, start, data, end in _webp_chunks(b, c.problems):
        if fourcc == b"XMP ":
            c.packets.append((f"WebP XMP chunk @{start}", b[data:end]))
        elif fourcc in (b"VP8X", b"VP8 ", b"VP8L") and c.width is None:
            canvas = _webp_canvas(b, fourcc, data, end)
            if canvas:
                c.width, c.height, _ = canvas
    c.check_size()
    return c


def _riff_chunk(fourcc: bytes, data: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")


def _replace_webp(b: bytes, packet: bytes) -> bytes:
    problems: list[str] = []
    chunks = _webp_chunks(b, problems)
    if problems or not chunks:
        raise CorruptMediaError(f"cannot rewrite a damaged WebP: {problems[0] if problems else 'no chunks'}")
    body = bytearray()
    if chunks[0][0] != b"VP8X":
        canvas = _webp_canvas(b, chunks[0][0], chunks[0][2], chunks[0][3])
        if canvas is None:
            raise CorruptMediaError("WebP bitstream header unreadable; cannot add XMP")
        w, h, alpha = canvas
        flags = 0x04 | (0x10 if alpha else 0)
        body += _riff_chunk(
            b"VP8X", bytes([flags, 0, 0, 0]) + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
        )
    for fourcc, start, data, end in chunks:
        if fourcc == b"XMP ":
            continue
        chunk = bytearray(b[start : end + ((end - data) & 1)])
        if fourcc == b"VP8X":
            chunk[8] |= 0x04
        body += chunk
    body += _riff_chunk(b"XMP ", packet)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + bytes(body)


# --- PDF and anything else: scan for packets ---------------------------------------------------


def _scan_packets(b: bytes, label: str, c: Container) -> None:
    pos = 0
    while len(c.packets) < MAX_PDF_STREAMS:
        m = _XMP_START.search(b, pos)
        if m is None:
            return
        end = _XMP_END[m.group(0)[:2]].search(b, m.start(), m.start() + MAX_PACKET)
        if end is None:
            c.problems.append(f"{label}: XMP packet at byte {m.start()} has no end (truncated or too large)")
            return
        c.packets.append((f"{label} XMP @{m.start()}", b[m.start() : end.end()]))
        pos = end.end()


_PDF_XML_SUBTYPE = re.compile(rb"/Subtype\s{0,8}/XML\b")


def _walk_pdf(b: bytes) -> Container:
    c = Container("pdf")
    _scan_packets(b, "PDF", c)
    # Compressed metadata streams: a dictionary with /Subtype /XML and /FlateDecode, then `stream`.
    # Anchored on the rare /Subtype /XML and looking only a bounded distance either side, so that a
    # file of repeated "<<" or "/Subtype /XML" costs linear time.
    inflated = 0
    for seen, m in enumerate(_PDF_XML_SUBTYPE.finditer(b)):
        if inflated >= MAX_PDF_STREAMS or seen >= 4 * MAX_PDF_STREAMS:
            break
        dict_start = b.rfind(b"<<", max(0, m.start() - 2000), m.start())
        keyword = b.find(b"stream", m.end(), m.end() + 2000)
        if dict_start < 0 or keyword < 0 or b"/FlateDecode" not in b[dict_start:keyword]:
            continue
        data = keyword + 6
        data += 2 if b[data : data + 2] == b"\r\n" else 1 if b[data : data + 1] in (b"\n", b"\r") else 0
        end = b.find(b"endstream", data, data + MAX_PACKET)
        if end < 0:
            c.problems.append(f"PDF metadata stream at byte {dict_start} has no end")
            break  # every later stream would scan the same remainder
        inflated += 1
        xml = _inflate(b[data:end], "PDF metadata stream", c.problems)
        if xml:
            sub = Container("pdf")
            _scan_packets(xml, f"PDF stream @{dict_start}", sub)
            c.packets.extend(sub.packets)
            c.problems.extend(sub.problems)
    return c


def find_xmp(content: bytes, fmt: str) -> Container:
    """Every XMP packet in ``content`` (format from :func:`sniff_format`), with any problems found."""
    if fmt == "jpeg":
        return _walk_jpeg(content)
    if fmt == "png":
        return _walk_png(content)
    if fmt == "tiff":
        return _walk_tiff(content)
    if fmt == "webp":
        return _walk_webp(content)
    if fmt == "pdf":
        return _walk_pdf(content)
    if fmt == "xmp":
        c = Container("xmp")
        if len(content) > MAX_PACKET:
            c.problems.append(f"XMP file over {MAX_PACKET:,} bytes")
        else:
            c.packets.append(("XMP sidecar", content))
        return c
    c = Container(fmt)
    _scan_packets(content, fmt.upper(), c)
    return c


def replace_xmp(content: bytes, fmt: str, packet: bytes) -> bytes:
    """A copy of ``content`` whose main XMP packet is ``packet`` (JPEG, PNG, TIFF, WebP, sidecar)."""
    if fmt == "jpeg":
        return _replace_jpeg(content, packet)
    if fmt == "png":
        return _replace_png(content, packet)
    if fmt == "tiff":
        return _replace_tiff(content, packet)
    if fmt == "webp":
        return _replace_webp(content, packet)
    if fmt == "xmp":
        return packet
    raise UnsupportedMediaError(
        f"embedding XMP into {fmt} is not supported (JPEG, PNG, TIFF, WebP, .xmp are)"
    )
