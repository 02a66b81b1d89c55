"""Text alterations a copy may go through before it lands in a training set, all seeded.

Every function takes the text and a ``random.Random`` and returns the altered text, so a run is
reproducible and tests can reuse the exact same suite (``ALTERATIONS``) as the benchmarks.
``embed`` also needs unrelated filler text.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

__all__ = [
    "ALTERATIONS",
    "HOMOGLYPHS",
    "combined",
    "edit_words",
    "embed",
    "homoglyphs",
    "reformat",
    "truncate",
]

# Look-alikes from other scripts, written out by hand (independent of the normaliser's table).
HOMOGLYPHS: dict[str, str] = {
    "a": "аɑα", "c": "сϲ", "e": "еҽ", "o": "оοσ", "p": "рρ", "x": "хχ", "y": "уγ", "i": "іι",
    "j": "ј", "s": "ѕ", "h": "һ", "d": "ԁ", "l": "ӏ", "n": "ո", "v": "νѵ", "w": "ԝ", "g": "ɡ",
    "q": "ԛ", "k": "κ", "u": "υ", "b": "Ь", "m": "м", "t": "т", "r": "г",
    "A": "АΑ", "B": "ВΒ", "C": "СϹ", "E": "ЕΕ", "H": "НΗ", "I": "ІΙ", "J": "Ј", "K": "КΚ",
    "M": "МΜ", "N": "Ν", "O": "ОΟ", "P": "РΡ", "S": "Ѕ", "T": "ТΤ", "X": "ХΧ", "Y": "ҮΥ", "Z": "Ζ",
}  # fmt: skip

_FILLER_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "was",
    "for",
    "on",
    "that",
    "with",
    "as",
    "by",
    "at",
    "from",
    "it",
    "an",
    "be",
    "this",
    "are",
    "which",
    "or",
    "have",
    "has",
    "one",
    "their",
    "were",
    "not",
    "but",
    "all",
    "new",
    "more",
    "been",
    "other",
    "when",
    "there",
    "can",
    "would",
    "time",
    "who",
    "its",
    "only",
    "also",
]


def edit_words(text: str, rng: random.Random, rate: float = 0.05) -> str:
    """Substitute, delete or insert ``rate`` of the words (a third each), keeping line breaks."""
    tokens = re.split(r"(\s+)", text)
    words = [i for i, t in enumerate(tokens) if t and not t.isspace()]
    if not words:
        return text
    for i in rng.sample(words, max(1, round(rate * len(words)))):
        op = rng.randrange(3)
        if op == 0:
            tokens[i] = rng.choice(_FILLER_WORDS)
        elif op == 1:
            tokens[i] = ""
        else:
            tokens[i] = f"{tokens[i]} {rng.choice(_FILLER_WORDS)}"
    return "".join(tokens)


def reformat(text: str, rng: random.Random) -> str:
    """Change case, quotes, dashes, line breaks and spaces; drop some punctuation; add markup."""
    out = text.replace('"', "“").replace("'", "’").replace(" - ", " – ").replace("--", "—")
    out = re.sub(r"[,;:]", lambda m: "" if rng.random() < 0.5 else m.group(), out)
    words = out.split()
    lines: list[str] = []
    line: list[str] = []
    for w in words:
        line.append(w)
        if len(line) >= rng.randint(6, 14):
            lines.append("\u00a0".join(line[:2]) + (" " + "  ".join(line[2:]) if len(line) > 2 else ""))
            line = []
    if line:
        lines.append(" ".join(line))
    out = "\n".join(lines)
    mode = rng.randrange(3)
    if mode == 0:
        out = out.upper()
    elif mode == 1:
        out = out.lower()
    else:
        out = out.title()
    return f"<div><p>{out}</p></div>" if rng.random() < 0.5 else f"## {out}"


def truncate(text: str, rng: random.Random, keep: float = 0.5) -> str:
    """Keep the first ``keep`` of the words (as a scraper's preview or a cut-off page would)."""
    del rng
    words = text.split()
    return " ".join(words[: max(1, int(len(words) * keep))])


def embed(text: str, rng: random.Random, filler: str, ratio: float = 2.0) -> str:
    """Wrap ``text`` in ``ratio`` times its length of unrelated ``filler`` text, split before/after."""
    fw = filler.split()
    need = int(len(text.split()) * ratio)
    if len(fw) < need:
        fw = (fw * (need // max(1, len(fw)) + 1))[:need]
    start = rng.randrange(0, max(1, len(fw) - need + 1))
    chunk = fw[start : start + need]
    cut = rng.randint(0, len(chunk))
    return " ".join(chunk[:cut]) + "\n\n" + text + "\n\n" + " ".join(chunk[cut:])


def homoglyphs(text: str, rng: random.Random, rate: float = 0.1) -> str:
    """Replace ``rate`` of all letters with look-alikes from other scripts."""
    chars = list(text)
    letters = sum(1 for c in chars if c.isalpha())
    candidates = [i for i, c in enumerate(chars) if c in HOMOGLYPHS]
    for i in rng.sample(candidates, min(len(candidates), round(rate * letters))):
        chars[i] = rng.choice(HOMOGLYPHS[chars[i]])
    return "".join(chars)


def combined(text: str, rng: random.Random, filler: str) -> str:
    """All of the above: 5 % edits, reformatting, truncation to 50 %, 2x embedding, 10 % homoglyphs."""
    out = edit_words(text, rng)
    out = truncate(out, rng)
    out = reformat(out, rng)
    out = embed(out, rng, filler)
    return homoglyphs(out, rng)


Alteration = Callable[[str, random.Random, str], str]

#: name -> alteration(text, rng, filler); the suite the goals are stated for.
ALTERATIONS: dict[str, Alteration] = {
    "exact": lambda t, r, f: t,
    "edit5": lambda t, r, f: edit_words(t, r, 0.05),
    "reformat": lambda t, r, f: reformat(t, r),
    "truncate50": lambda t, r, f: truncate(t, r, 0.5),
    "embed2x": lambda t, r, f: embed(t, r, f, 2.0),
    "homoglyph10": lambda t, r, f: homoglyphs(t, r, 0.1),
    "combined": combined,
}
