"""Words of a text with their character offsets in the original, hashed after normalisation.

The regurgitation index needs offsets in the *original* output, which
:func:`mediamanager.fingerprint.normalize.normalize_text` cannot give (it rewrites the whole
string). So words are found in the original first (runs of letters and digits, with combining
marks and zero-width characters kept inside a word), and each word is then normalised on its
own by the project's normaliser (NFKC, homoglyph folding from ``confusable-homoglyphs``,
accents, case folding). Registration and checking both go through :func:`words`, so the two
sides cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from mediamanager.errors import require_extra
from mediamanager.fingerprint.normalize import normalized_words


@lru_cache(maxsize=1)
def _xxh64() -> Any:
    """xxHash64, imported on first use: the API imports this module in a base install too."""
    return require_extra("xxhash", "guard").xxh64_intdigest  # type: ignore[attr-defined]


__all__ = ["Words", "kgram_hashes", "word_hash", "words"]

# Letters/digits (not "_"), plus the marks and format characters the normaliser deletes.
_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u00ad\u200b-\u200d\u2060\ufeff])+")
_MULT = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0x94D049BB133111EB,
        0xBF58476D1CE4E5B9,
        0x2545F4914F6CDD1D,
    ],
    dtype=np.uint64,
)


@lru_cache(maxsize=1 << 18)
def _normal(word: str) -> tuple[int, ...]:
    h = _xxh64()
    return tuple(h(w) for w in normalized_words(word))


def word_hash(word: bytes) -> int:
    """The 64-bit hash of one *normalised* word (as :func:`words` computes it)."""
    return int(_xxh64()(word))


@dataclass(frozen=True, slots=True)
class Words:
    """``hashes[i]`` is normalised word ``i``; it spans ``text[starts[i]:ends[i]]``."""

    hashes: npt.NDArray[np.uint64]
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.hashes)


def words(text: str, offset: int = 0) -> Words:
    """The normalised words of ``text`` with offsets (plus ``offset``) into it."""
    hs: list[int] = []
    st: list[int] = []
    en: list[int] = []
    for m in _WORD.finditer(text):
        parts = _normal(m.group())
        hs.extend(parts)
        st.extend([m.start() + offset] * len(parts))
        en.extend([m.end() + offset] * len(parts))
    return Words(np.array(hs, np.uint64), np.array(st, np.int64), np.array(en, np.int64))


def _fmix64(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def kgram_hashes(hashes: npt.NDArray[np.uint64], k: int) -> npt.NDArray[np.uint32]:
    """32-bit hash of every run of ``k`` consecutive words (``len - k + 1`` values)."""
    n = len(hashes) - k + 1
    if n <= 0:
        return np.empty(0, np.uint32)
    with np.errstate(over="ignore"):
        acc = hashes[:n] * _MULT[0]
        for j in range(1, k):
            acc = acc + hashes[j : j + n] * _MULT[j]
        return (_fmix64(acc) >> np.uint64(32)).astype(np.uint32)


def check_bytes(hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]:
    """One verification byte per word (the top byte of its hash; the k-gram uses all bits)."""
    return (hashes >> np.uint64(56)).astype(np.uint8)
