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


# --- issue 10: the edits a scan must survive (benchmarks/scan_recall.py, tests/scan/test_recall.py) ----


def excerpt_in(text: str, rng: random.Random, host: str, words: int) -> str:
    """``words`` consecutive words of ``text`` at a random place inside ``host`` (a longer article)."""
    source, around = text.split(), host.split()
    start = rng.randrange(0, max(1, len(source) - words))
    cut = rng.randint(0, len(around))
    excerpt = " ".join(source[start : start + words])
    return " ".join(around[:cut]) + "\n\n" + excerpt + "\n\n" + " ".join(around[cut:])


def typographic(text: str, rng: random.Random) -> str:
    """Curly quotes, en/em dashes, ligatures, non-breaking and zero-width spaces, soft hyphens."""
    out = (
        text.replace('"', "\u201c").replace("'", "\u2019").replace(" - ", " \u2013 ").replace("--", "\u2014")
    )
    out = out.replace("fi", "\ufb01").replace("fl", "\ufb02")
    words = out.split(" ")
    for i in rng.sample(range(len(words)), len(words) // 10):
        words[i] = words[i][: len(words[i]) // 2] + "\u00ad" + words[i][len(words[i]) // 2 :]
    return "".join(w + rng.choice([" ", "\u00a0", " \u200b"]) for w in words).strip()


def html_page(text: str, rng: random.Random) -> str:
    """The text as paragraphs of an HTML page with navigation, scripts and a footer."""
    paragraphs = "".join(f"<p>{p}</p>\n" for p in text.split("\n") if p.strip())
    return (
        "<!doctype html><html><head><title>News</title><script>var t = 1;</script>"
        "<style>p { margin: 0 }</style></head><body><nav><a href='/'>Home</a></nav>"
        f"<article>{paragraphs}</article><footer>&copy; 2026 Example</footer></body></html>"
    )


def markdown_page(text: str, rng: random.Random) -> str:
    """The text as a Markdown post: a heading, emphasis, a link and a quote block."""
    words = text.split()
    words[0] = f"**{words[0]}**"
    body = " ".join(words)
    return f"# Archive post {rng.randint(1, 999)}\n\n> Reposted from [the source](https://example.com/a)\n\n{body}\n"


#: issue 10's suite (name -> alteration(text, rng, host)); goal 0.95 for each.
SCAN_ALTERATIONS: dict[str, Alteration] = {
    "excerpt_100_in_article": lambda t, r, h: excerpt_in(t, r, h, 100),
    "excerpt_150_in_article": lambda t, r, h: excerpt_in(t, r, h, 150),
    "excerpt_300_in_article": lambda t, r, h: excerpt_in(t, r, h, 300),
    "edit_10": lambda t, r, h: edit_words(t, r, 0.10),
    "reformat": lambda t, r, h: reformat(t, r),
    "html_page": lambda t, r, h: html_page(t, r),
    "markdown_page": lambda t, r, h: markdown_page(t, r),
    "typographic": lambda t, r, h: typographic(t, r),
    "homoglyph_10": lambda t, r, h: homoglyphs(t, r, 0.1),
}
SCAN_GOAL = 0.95
