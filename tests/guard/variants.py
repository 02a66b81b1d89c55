"""Copied spans as a model might emit them: plain, upper-cased, re-punctuated, with homoglyphs."""

from __future__ import annotations

import random
import re

# Cyrillic and Greek look-alikes of Latin letters (Unicode confusables, written out by hand).
HOMOGLYPHS = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445",
              "i": "\u0456", "y": "\u0443", "A": "\u0391", "B": "\u0392", "E": "\u0395", "H": "\u0397",
              "T": "\u03a4", "O": "\u039f"}  # fmt: skip
SEPARATORS = [" ", ", ", "; ", " \u2014 ", "... ", " - ", ": "]
_NON_WORD = re.compile(r"[\W_]+")
KINDS = ("plain", "upper", "repunct", "homoglyph")


def span_words(text: str, start: int, n: int) -> list[str]:
    """``n`` words from word ``start`` of ``text``, punctuation removed (each is letters/digits)."""
    words = [w for w in _NON_WORD.split(text) if w]
    return words[start : start + n]


def variant(words: list[str], kind: str, rng: random.Random) -> str:
    if kind == "plain":
        return " ".join(words)
    if kind == "upper":
        return " ".join(words).upper()
    if kind == "repunct":
        out = words[0]
        for w in words[1:]:
            out += rng.choice(SEPARATORS) + w
        return out
    if kind == "homoglyph":
        return "".join(HOMOGLYPHS.get(ch, ch) for ch in " ".join(words))
    raise ValueError(kind)
