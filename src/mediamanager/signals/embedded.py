"""AI-usage preferences carried inside a file: read them all, or embed a creator's preferences.

Readers: C2PA/CAWG training-mining assertions (:mod:`.c2pa_tm`, through c2pa-python) and IPTC/PLUS
``plus:DataMining`` plus our exact rules in XMP (:mod:`.xmp`, packets found by
:mod:`.xmp_containers`). Evidence ``source`` is ``"c2pa"``, ``"cawg"`` or ``"iptc-xmp"``.

* A file with no manifest and no XMP statement gives ``[]``: unknown, never permission.
* A damaged or hostile file (truncated boxes, an XML bomb, a claimed 100,000 x 100,000 image,
  garbage, invalid UTF-8, an invalid or tampered manifest) gives error entries with the reason, plus
  whatever could still be read safely. An error entry never counts as allow.
* Pixels are never decoded.
"""

from __future__ import annotations

from mediamanager.errors import CorruptMediaError, InputError, InvalidPreferenceError, UnsupportedMediaError
from mediamanager.model import Evidence, Preferences, Purpose, Use
from mediamanager.signals import c2pa_tm, xmp
from mediamanager.signals.xmp_containers import find_xmp, replace_xmp, sniff_format

__all__ = ["embed_preferences", "read_embedded"]

_MIME = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "tiff": "image/tiff",
    "webp": "image/webp",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "heif": "image/heif",
    "pdf": "application/pdf",
    "mp4": "video/mp4",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
}
_XMP_WRITABLE = ("jpeg", "png", "tiff", "webp", "xmp")


def read_embedded(content: bytes, filename: str | None = None) -> list[Evidence]:
    """Every AI-usage statement embedded in ``content``, as evidence (``[]`` when there is none)."""
    location = filename or "content"
    if not isinstance(content, bytes | bytearray | memoryview):
        return [Evidence(xmp.SOURCE, repr(type(content)), location, error="content is not bytes")]
    content = bytes(content)
    if not content:
        return [
            Evidence(xmp.SOURCE, "", location, error="empty content: embedded signals could not be checked")
        ]
    fmt = sniff_format(content, filename)
    out: list[Evidence] = []
    mime = _MIME.get(fmt)
    if mime is not None:
        out.extend(c2pa_tm.read_c2pa(content, mime, location=location))
    container = find_xmp(content, fmt)
    for where, packet in container.packets:
        out.extend(xmp.read_xmp_packet(packet, f"{location}#{where}"))
    for problem in container.problems:
        out.append(Evidence(xmp.SOURCE, "", location, error=f"{fmt}: {problem}"))
    if fmt == "unknown" and not container.packets:
        out.append(
            Evidence(
                xmp.SOURCE,
                content[:32].hex(),
                location,
                error="unrecognised binary format: embedded signals could not be checked",
            )
        )
    return out


def _main_packet(content: bytes, fmt: str) -> bytes | None:
    container = find_xmp(content, fmt)
    if container.problems:
        raise CorruptMediaError(f"refusing to rewrite a damaged {fmt} file: {container.problems[0]}")
    for where, packet in container.packets:
        if not where.startswith("JPEG Extended"):
            return packet
    return None


def embed_preferences(
    content: bytes,
    filename: str,
    prefs: Preferences,
    *,
    c2pa_key: bytes | None = None,
    c2pa_cert_chain: bytes | None = None,
    xmp: bool = True,
) -> bytes:
    """A copy of ``content`` carrying ``prefs``: in XMP (IPTC/PLUS + exact rules) and/or a signed C2PA manifest.

    C2PA is added when both ``c2pa_key`` and ``c2pa_cert_chain`` (PEM) are given; it is signed after
    the XMP is written, so the manifest covers it. A manifest already in the file becomes the new
    manifest's parent ingredient. ``search`` has no C2PA entry, so it needs XMP. Reading the result
    with :func:`read_embedded` gives ``prefs`` back. Raises :class:`InputError` subclasses for
    unusable arguments or files and :class:`~mediamanager.errors.ProvenanceError` if signing fails.
    """
    from mediamanager.signals import xmp as xmp_mod

    if (c2pa_key is None) != (c2pa_cert_chain is None):
        raise InputError("C2PA signing needs both a private key and its certificate chain")
    sign = c2pa_key is not None and c2pa_cert_chain is not None
    if not xmp and not sign:
        raise InputError("nothing to embed: ask for XMP, or give a C2PA key and certificate chain")
    stated = [p for p, r in prefs if r.use is not Use.UNKNOWN]
    if not stated:
        raise InvalidPreferenceError("no preferences to embed: every purpose is unknown")
    if sign and not xmp and Purpose.SEARCH in stated:
        raise InvalidPreferenceError("C2PA training-mining has no search entry; embed XMP as well")
    original = bytes(content)
    fmt = sniff_format(original, filename)
    out = original
    if xmp:
        if fmt not in _XMP_WRITABLE:
            raise UnsupportedMediaError(
                f"cannot embed XMP into {fmt}; supported: JPEG, PNG, TIFF, WebP, .xmp"
            )
        try:
            packet = xmp_mod.build_packet(prefs, _main_packet(original, fmt))
        except ValueError as exc:  # lxml refuses characters XML cannot carry
            if isinstance(exc, InputError):
                raise
            raise InvalidPreferenceError(f"a preference holds text XMP cannot carry: {exc}") from exc
        out = replace_xmp(original, fmt, packet)
        if not sign and fmt in _MIME and c2pa_tm.has_manifest(original, _MIME[fmt]):
            raise InputError(
                "the file carries a C2PA manifest that editing its XMP would invalidate; "
                "sign a new manifest (give a key and certificate) or embed C2PA only"
            )
    if sign:
        assert c2pa_key is not None and c2pa_cert_chain is not None
        mime = _MIME.get(fmt)
        if mime is None:
            raise UnsupportedMediaError(f"cannot embed C2PA into {fmt}")
        c2pa_prefs = Preferences({p: r for p, r in prefs if p is not Purpose.SEARCH})
        out = c2pa_tm.embed_c2pa(
            out, mime, c2pa_prefs, key_pem=c2pa_key, cert_chain_pem=c2pa_cert_chain, parent=original
        )
    return out
