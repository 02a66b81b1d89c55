"""Style/name gate: registered creators named in a prompt, with their "no imitation" preference.

Where the preference lives: a **guard-side names table** (:class:`NamesTable`), built from the
owners' display names (``owners.jsonl`` of a snapshot, or any list) plus aliases and a style
statement per owner. The model is left unchanged: "imitation of my style or likeness by name"
is not a use of a *work*, so it fits no purpose of :class:`~mediamanager.model.Preferences`.

Matching, in :func:`name_tokens`: words are transliterated to ASCII (``anyascii``: Cyrillic,
Greek, Arabic, CJK, ...; CJK ideographs and kana count one word per character), accents
dropped, case folded, possessive ``'s`` removed. A registered name matches a run of prompt
words when every word agrees exactly or within one edit, with at most 1 edit over names of
8-11 letters and 2 over names of 12 or more; shorter names must agree exactly, because
one edit turns short names into everyday words ("Banksy" / "banks"); a word is matched within
one edit only when it has at least ``FUZZY_MIN`` (6) letters. Near words are found
through a symmetric-deletion index over the names' words (SymSpell), verified with
``rapidfuzz`` Levenshtein distance.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediamanager.errors import InputError, require_extra
from mediamanager.guard.policy import Action, parse_action

__all__ = ["Creator", "GateResult", "NameHit", "NamesTable", "gate_prompt", "name_tokens"]

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = "'\u2019\u02bc`\u00b4"


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FFFF


def _anyascii(text: str) -> str:
    fn: Any = require_extra("anyascii", "guard").anyascii  # type: ignore[attr-defined]
    return str(fn(text))


def _ascii(word: str) -> str:
    anyascii = _anyascii
    return "".join(c for c in anyascii(word).lower() if c.isalnum())


def name_tokens(text: str) -> list[tuple[str, int, int]]:
    """``(word, start, end)``: the prompt's words, transliterated and folded, with offsets."""
    if text.isascii():  # the common case: one lower() and one regex pass, offsets unchanged
        lowered = text.lower()
        return [
            (m.group(), m.start(), m.end())
            for m in _WORD.finditer(lowered)
            if not (m.group() == "s" and m.start() > 0 and lowered[m.start() - 1] in _APOSTROPHES)
        ]
    out: list[tuple[str, int, int]] = []
    for m in _WORD.finditer(text):
        s, e = m.start(), m.end()
        word = m.group()
        if word.lower() == "s" and s > 0 and text[s - 1] in _APOSTROPHES:
            continue  # possessive: "Austen's" is "Austen"
        if word.isascii():
            out.append((word.lower(), s, e))
            continue
        if any(_is_cjk(c) for c in word):
            run_start = s
            for k, ch in enumerate(word):
                if _is_cjk(ch):
                    if s + k > run_start:
                        out.append((_ascii(text[run_start : s + k]), run_start, s + k))
                    out.append((_ascii(ch), s + k, s + k + 1))
                    run_start = s + k + 1
            if run_start < e:
                out.append((_ascii(text[run_start:e]), run_start, e))
            continue
        folded = _ascii(word)
        if folded:
            out.append((folded, s, e))
    return [t for t in out if t[0]]


# A word is matched within one edit only when the registered word has at least this many letters
# (and the prompt's word one fewer): "Mark"/"Mary", "Hall"/"Hill", "Davis"/"David" are different people.
FUZZY_MIN = 6
NEAR_CACHE = 200_000


def allowed_edits(name_len: int) -> int:
    return 0 if name_len < 8 else 1 if name_len < 12 else 2


@dataclass(frozen=True)
class Creator:
    """A registered creator's names and style preference (refuse, rewrite or allow)."""

    owner_id: str
    name: str
    aliases: tuple[str, ...] = ()
    style: Action | None = None  # None: the owner said nothing (the gate's unknown policy)
    description: str = "the author"

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner_id": self.owner_id,
            "name": self.name,
            "aliases": list(self.aliases),
            "style": None if self.style is None else self.style.value,
            "description": self.description,
        }


@dataclass(frozen=True)
class NameHit:
    """One name found: prompt characters ``[start, end)``, the creator, edits needed."""

    start: int
    end: int
    creator: Creator
    matched: str
    edits: int
    action: Action

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "matched": self.matched,
            "edits": self.edits,
            "action": self.action.value,
            "creator": self.creator.to_dict(),
        }


@dataclass(frozen=True)
class GateResult:
    prompt: str
    action: Action
    hits: tuple[NameHit, ...]
    rewritten: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "hits": [h.to_dict() for h in self.hits],
            "prompt": self.rewritten,
        }


@dataclass
class NamesTable:
    """The names of registered creators, indexed for exact and near matches."""

    creators: list[Creator] = field(default_factory=list)
    # One-word forms by their word; longer forms by their first two words ("jane\x1fausten"), so a
    # common first name costs one lookup per candidate second word, not a walk over every name
    # that starts with it.
    _single: dict[str, list[tuple[int, tuple[str, ...], bool]]] = field(default_factory=dict)
    _pairs: dict[str, list[tuple[int, tuple[str, ...], bool]]] = field(default_factory=dict)
    _deletes: dict[str, set[str]] = field(default_factory=dict)
    _words: set[str] = field(default_factory=set)
    _near_cache: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, creator: Creator) -> None:
        no = len(self.creators)
        self.creators.append(creator)
        self._near_cache.clear()
        for name in (creator.name, *creator.aliases):
            words = tuple(w for w, _, _ in name_tokens(name))
            if not words:
                continue
            forms = {(words, False)}
            if len(words) > 1:
                forms.add((("".join(words),), True))  # "JaneAusten", "MaTing": exact only, see find_names
            if not name.isascii():
                spaced = tuple(w for w, _, _ in name_tokens(_anyascii(name)))  # "XiaoLin YuTai"
                if spaced and spaced != words:
                    forms.add((spaced, len(spaced) == 1 and len(words) > 1))  # "WangTing" is joined too
            for form, joined in forms:
                if len(form) == 1:
                    self._single.setdefault(form[0], []).append((no, form, joined))
                else:
                    self._pairs.setdefault(f"{form[0]}\x1f{form[1]}", []).append((no, form, joined))
                for w in form:
                    self._words.add(w)
                    if len(w) >= FUZZY_MIN and not joined:
                        for d in (w, *_deletions(w)):
                            self._deletes.setdefault(d, set()).add(w)

    def near(self, word: str) -> dict[str, int]:
        """Name words within one edit of ``word`` (itself at 0 edits when it is one); cached,
        because prompts repeat the same everyday words."""
        hit = self._near_cache.get(word)
        if hit is None:
            if len(self._near_cache) >= NEAR_CACHE:
                self._near_cache.clear()
            hit = self._near_cache[word] = self._near(word)
        return hit

    def _near(self, word: str) -> dict[str, int]:
        distance = _levenshtein()
        out: dict[str, int] = {word: 0} if word in self._words else {}
        if len(word) < FUZZY_MIN - 1:
            return out
        for d in (word, *_deletions(word)):
            for cand in self._deletes.get(d, ()):
                if cand not in out and distance(word, cand, score_cutoff=1) <= 1:
                    out[cand] = 1
        return out

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> NamesTable:
        """From ``{"owner_id", "name" | "display_name", "aliases", "style", "description"}`` objects."""
        table = cls()
        for r in records:
            if not isinstance(r, Mapping):
                raise InputError("a names-table entry must be an object")
            name = r.get("name") or r.get("display_name")
            if not isinstance(name, str) or not name.strip():
                raise InputError(f"names-table entry {r.get('owner_id')!r} has no name")
            aliases = r.get("aliases") or ()
            if isinstance(aliases, str) or not all(isinstance(a, str) for a in aliases):
                raise InputError(f"aliases of {name!r} must be a list of strings")
            style = r.get("style")
            action = (
                None
                if style in (None, "", "unknown")
                else parse_action(
                    style, (Action.REFUSE, Action.REWRITE, Action.ALLOW), f"the style preference of {name!r}"
                )
            )
            table.add(
                Creator(
                    str(r.get("owner_id", "")),
                    name,
                    tuple(aliases),
                    action,
                    str(r.get("description") or "the author"),
                )
            )
        return table

    @classmethod
    def load(cls, path: str | Path) -> NamesTable:
        """A JSON list or JSON-lines file of entries (``owners.jsonl`` of a snapshot works as is)."""
        p = Path(path)
        try:
            raw = p.read_text("utf-8")
            data = (
                json.loads(raw)
                if raw.lstrip().startswith("[")
                else [json.loads(line) for line in raw.splitlines() if line.strip()]
            )
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read names table {p}: {exc}") from None
        return cls.from_records(data)


@functools.cache
def _levenshtein() -> Any:
    return require_extra("rapidfuzz.distance", "guard").Levenshtein.distance  # type: ignore[attr-defined]


def _deliberately_joined(word: str) -> bool:
    return not word.isascii() or any(c.isupper() for c in word[1:])


def _deletions(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(len(word))]


def find_names(
    table: NamesTable, prompt: str
) -> tuple[list[tuple[int, int, int, int]], list[tuple[str, int, int]]]:
    """``(first_token, last_token, creator_no, edits)`` of every name found, and the prompt's words."""
    toks = name_tokens(prompt)
    nears = [table.near(w) for w, _, _ in toks]

    found: list[tuple[int, int, int, int]] = []
    n = len(toks)
    for i in range(n):
        firsts = nears[i]
        if not firsts:
            continue
        seconds = nears[i + 1] if i + 1 < n else {}
        for first, e0 in firsts.items():
            candidates = [(f, e0) for f in table._single.get(first, ())]
            for second, e1 in seconds.items():
                candidates += [(f, e0 + e1) for f in table._pairs.get(f"{first}\x1f{second}", ())]
            for (no, form, joined), edits in candidates:
                if i + len(form) > n:
                    continue
                if joined and (e0 or not _deliberately_joined(prompt[toks[i][1] : toks[i][2]])):
                    continue  # "mating" is a word, "MaTing" or "马婷" is a name
                for j in range(2, len(form)):
                    e = nears[i + j].get(form[j])
                    if e is None:
                        edits = -1
                        break
                    edits += e
                if 0 <= edits <= allowed_edits(sum(map(len, form))):
                    found.append((i, i + len(form) - 1, no, edits))
    return found, toks


def gate_prompt(prompt: str, table: NamesTable, *, unknown: str | Action = Action.REWRITE) -> GateResult:
    """allow, rewrite (each gated name replaced by its neutral description) or refuse."""
    if not isinstance(prompt, str):
        raise InputError("the prompt must be a string")
    unknown_a = parse_action(unknown, (Action.REFUSE, Action.REWRITE, Action.ALLOW), "the unknown policy")
    found, toks = find_names(table, prompt)
    hits: list[NameHit] = []
    taken: set[int] = set()
    chosen: set[tuple[int, int]] = set()
    for first, last, no, edits in sorted(found, key=lambda f: (-(f[1] - f[0]), f[3], f[0])):
        if (first, last) not in chosen and taken & set(range(first, last + 1)):
            continue  # inside a longer name already found (names with the same words all count)
        taken.update(range(first, last + 1))
        chosen.add((first, last))
        c = table.creators[no]
        s, e = toks[first][1], toks[last][2]
        if e < len(prompt) and prompt[e] in _APOSTROPHES and prompt[e + 1 : e + 2].lower() == "s":
            e += 2  # the possessive goes with the name it is rewritten with
        hits.append(NameHit(s, e, c, prompt[s:e], edits, c.style or unknown_a))
    hits.sort(key=lambda h: h.start)
    if any(h.action is Action.REFUSE for h in hits):
        return GateResult(prompt, Action.REFUSE, tuple(hits))
    rewrite = [h for h in hits if h.action is Action.REWRITE]
    if not rewrite:
        return GateResult(prompt, Action.ALLOW, tuple(hits), prompt)
    out, last_end = [], 0
    for h in rewrite:
        out.append(prompt[last_end : h.start])
        out.append(h.creator.description)
        last_end = h.end
    out.append(prompt[last_end:])
    return GateResult(prompt, Action.REWRITE, tuple(hits), "".join(out))
