"""Text normalisation shared by registration and scanning: one code path on both sides.

The pipeline, in order (``normalize_text``):

1. markup: HTML tags, comments, ``<script>``/``<style>`` bodies and entities are stripped,
   Markdown links/images keep only their text (other Markdown punctuation falls out in step 5);
2. Unicode NFKC (compatibility forms: full-width letters, ligatures, super/subscripts);
3. per character, through one cached table: combining marks, format characters
   (zero-width space/joiner, soft hyphen, BOM, bidi controls) and the default-ignorable Hangul
   fillers are deleted; every non-ASCII
   character that Unicode's confusables data (UTS #39, shipped by ``confusable-homoglyphs``)
   lists as a look-alike of an ASCII letter or digit is folded to it (Cyrillic 'а' -> 'a',
   Greek 'Ν' -> 'n'); accented letters lose their accents ('é' -> 'e'); ASCII letters become
   lower case;
4. case folding (``str.casefold``) of what remains (letters of other scripts);
5. every character that is not a letter or digit (punctuation, symbols, quotes, dashes,
   control characters, any whitespace incl. non-breaking spaces) becomes one separator,
   so words are the maximal runs of letters and digits.

'I' and 'l' (and their look-alikes) are one letter class, written 'i', because capital I and
small l look identical in many fonts. Other ASCII look-alikes among themselves ('1' vs 'l',
'0' vs 'O') are *not* folded: that would merge real words; the threat model is non-Latin look-alikes substituted into Latin text.
Changing anything here changes every text fingerprint: bump ``NORMALIZER_VERSION``.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt

__all__ = [
    "NORMALIZER_VERSION",
    "confusable_fold_table",
    "normalize_text",
    "normalized_bytes",
    "normalized_words",
    "strip_markup",
]

NORMALIZER_VERSION = 1

_TAG_HINT = re.compile(r"<[A-Za-z!/]")
_DROP_BLOCKS = re.compile(r"<(script|style|head|noscript)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_TAGS = re.compile(r"<[A-Za-z!/][^>]{0,2000}>")
_MD_LINK = re.compile(r"!?\[([^\]\n]{0,500})\]\([^)\s]{0,2000}(?:\s+\"[^\"\n]{0,200}\")?\)")


# Byte table: ASCII letters are lower-cased ('l' and 'L' become 'i', see confusable_fold_table),
# digits and UTF-8 bytes of other letters (>= 0x80, already folded) pass, every other ASCII byte
# separates words.
def _byte_map(c: int) -> int:
    if c in (ord("l"), ord("L")):
        return ord("i")
    if 65 <= c <= 90:
        return c + 32
    return c if (48 <= c <= 57 or 97 <= c <= 122 or c >= 128) else 32


_ASCII_TABLE = bytes(_byte_map(c) for c in range(256))


def strip_markup(text: str) -> str:
    """Reduce HTML or Markdown to its visible text (cheap no-op for plain text)."""
    if "<" in text and _TAG_HINT.search(text):
        text = _DROP_BLOCKS.sub(" ", text)
        text = _TAGS.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if "](" in text:
        text = _MD_LINK.sub(r" \1 ", text)
    return text


@lru_cache(maxsize=1)
def confusable_fold_table() -> dict[str, str]:
    """Map each non-ASCII look-alike (after NFKC) to the ASCII letter or digit it imitates, case kept.

    Folding happens *before* case folding, because case folding can turn an upper-case look-alike
    into a lower-case letter that imitates something else (Greek 'Ν' looks like 'N', its lower
    case 'ν' like 'v').
    """
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    data: dict[str, list[dict[str, str]]] = json.loads(raw)
    claims: dict[str, list[str]] = {}
    for target in [chr(c) for c in range(0x30, 0x7F) if chr(c).isalnum()]:
        for entry in data.get(target, ()):
            glyph = entry["c"]
            if len(glyph) != 1 or glyph.isascii():
                continue
            key = unicodedata.normalize("NFKC", glyph)
            if len(key) == 1 and not key.isascii():
                claims.setdefault(key, []).append(target)
    # A glyph may imitate several ASCII characters: prefer a letter of the glyph's own case,
    # then any letter, then a digit, so the choice is stable.
    table: dict[str, str] = {}
    for key, targets in claims.items():
        same_case = [t for t in targets if t.isalpha() and t.isupper() == key.isupper()]
        letters = [t for t in targets if t.isalpha()]
        table[key] = min(same_case or letters or targets)
    # Lower-case glyphs that look like small capitals ('т', 'м', 'к', 'κ', 'χ'): UTS #39 lists
    # only their upper-case forms ('Т' ~ 'T'), so close the table under case.
    for key, target in list(table.items()):
        lower = key.lower()
        if key.isupper() and target.isupper() and len(lower) == 1 and lower not in table:
            table[lower] = target.lower()
    # 'I', 'l' and their look-alikes ('Ι', 'І', 'ӏ', '|') are one class: UTS #39 itself maps
    # capital-I look-alikes to 'l', and the two are identical in many fonts.
    return {k: _I_CLASS.get(v, v) for k, v in table.items()}


_I_CLASS = {"l": "i", "L": "I"}


class _FoldMap(dict[int, str | None]):
    """``str.translate`` table for non-ASCII text, filled lazily one code point at a time."""

    def __missing__(self, code: int) -> str | None:
        value = _fold_char(chr(code))
        self[code] = value
        return value


# Default-ignorable code points that Unicode files as letters (Lo): the Hangul fillers render as
# nothing, yet would form invisible "words" that break every shingle around them (red-team D12).
_IGNORABLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def _fold_char(ch: str) -> str | None:
    if ch.isascii():
        return ch if ch.isalnum() else " "
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Cf") or ch in _IGNORABLE_LETTERS:
        return None  # combining marks and zero-width/format characters vanish inside words
    folded = confusable_fold_table().get(ch)
    if folded is not None:
        return folded.lower()
    if cat[0] in "LN":
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        base = base or ch
        if base.isascii():
            return base.lower() if base.isalnum() else " "
        return "".join(confusable_fold_table().get(c, c) for c in base.casefold()).lower()
    return " "


_FOLD = _FoldMap()
_DELETE = 0
_UNKNOWN = 0xFFFFFFFE
_SLOW = 0xFFFFFFFF
# ``_fold_char`` + case folding for every Basic Multilingual Plane code point, filled lazily.
# ``str.translate`` with a Python mapping costs about 40 ns per character; this NumPy gather
# costs a few. Entries: the folded code point, ``_DELETE`` for deletion, ``_SLOW`` where the
# fold yields several characters ('ß' -> 'ss'; handled by ``str.translate``), ``_UNKNOWN``
# until first seen.
_BMP = np.full(0x10000, _UNKNOWN, np.uint32)


def _slow_fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_FOLD).casefold()


def _fill(codes: npt.NDArray[np.intp]) -> None:
    for code in np.unique(codes).tolist():
        value = _slow_fold(chr(code))
        _BMP[code] = _DELETE if not value else (ord(value) if len(value) == 1 else _SLOW)


def _fold(text: str, depth: int = 0) -> str:
    """Steps 2-4 of the module docstring (NFKC, per-character fold, case folding) for any text.

    One table lookup per character, with NFKC applied per character: NFKC of a whole text
    differs from that only by composing sequences (base letter + combining mark, Hangul jamo),
    and step 3 removes the marks again. The few characters the table cannot hold (folds into
    several characters such as 'ß' -> 'ss', or code points beyond the BMP such as emoji) are
    replaced by their exact fold first.
    """
    codes = np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), np.uint32).astype(np.intp)
    astral = codes >= 0x10000
    if astral.any():
        return _fold(_replace_exactly(text, codes[astral]), depth + 1) if depth < 2 else _slow_fold(text)
    folded = _BMP[codes]
    if folded.max(initial=0) >= _UNKNOWN:
        unknown = folded == _UNKNOWN
        if unknown.any():
            _fill(codes[unknown])
            folded = _BMP[codes]
        slow = folded == _SLOW
        if slow.any():
            return _fold(_replace_exactly(text, codes[slow]), depth + 1) if depth < 2 else _slow_fold(text)
    if folded.min(initial=1) == _DELETE:
        folded = folded[folded != _DELETE]
    return folded.tobytes().decode("utf-32-le")


def _replace_exactly(text: str, codes: npt.NDArray[np.intp]) -> str:
    for code in np.unique(codes).tolist():
        ch = chr(code)
        text = text.replace(ch, _slow_fold(ch))
    return text


def normalize_text(text: str) -> str:
    """Normalised text: lower-case ASCII/Unicode words separated by single spaces (see module doc)."""
    text = strip_markup(text)
    if not text.isascii():
        text = _fold(text)
        if not text.isascii():
            # Letters of other scripts stay; only ASCII bytes are mapped below, UTF-8 bytes pass.
            return " ".join(text.encode("utf-8").translate(_ASCII_TABLE).decode("utf-8").split())
    return " ".join(text.encode("ascii").translate(_ASCII_TABLE).decode("ascii").split())


def normalized_bytes(text: str) -> bytes:
    """Normalised text as UTF-8 bytes in which every ASCII space byte separates words.

    Runs of separators are not collapsed (the vectorised shingler does not need it); newline
    bytes never occur, so callers may use ``b"\\n"`` to separate documents.
    """
    text = strip_markup(text)
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLE)
    return _fold(text).encode("utf-8", errors="surrogatepass").translate(_ASCII_TABLE)


def normalized_words(text: str) -> list[bytes]:
    """The words of ``text`` after normalisation, as UTF-8 byte strings."""
    return normalized_bytes(text).split()
