"""Regurgitation check: every span of a registered text reproduced in a model's output.

A span is reported when at least ``min_words`` (15) normalised words agree with one registered
work along one diagonal (see :mod:`.index` for the search and its verification). Its offsets
are character offsets into the output exactly as given; its action follows the owner's
effective rule for the purpose (:func:`mediamanager.guard.policy.output_action`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mediamanager.guard.index import K, VerbatimIndex
from mediamanager.guard.policy import Action, output_action, parse_action, parse_purpose
from mediamanager.guard.tokens import Words, check_bytes, kgram_hashes, words
from mediamanager.model import Preferences, Purpose, Rule

__all__ = ["MIN_WORDS", "OutputCheck", "Span", "check_output", "find_spans"]

MIN_WORDS = 15
MAX_GAP = 1
# A k-gram registered more often than this is a stock phrase; its postings are sampled so one
# output cannot walk a million diagonals (a 15-word copy still has ~2 other kept k-grams).
MAX_POSTINGS = 256
REDACTED = "[redacted]"


@dataclass(frozen=True)
class Span:
    """One reproduced stretch: output characters ``[start, end)`` and words ``[first, last]``."""

    start: int
    end: int
    first_word: int
    last_word: int
    matched_words: int
    work: dict[str, Any]
    token_start: int  # the work's first agreeing token, counted from the work's start
    rule: Rule
    action: Action

    def to_dict(self, text: str | None = None) -> dict[str, Any]:
        w = self.work
        terms = self.rule
        out = {
            "start": self.start,
            "end": self.end,
            "words": self.matched_words,
            "work_id": w.get("work_id"),
            "title": w.get("title", ""),
            "owner_id": w.get("owner_id", ""),
            "owner_name": w.get("owner_name", ""),
            "licence": w.get("licence") or terms.conditions.licence_url,
            "use": terms.use.value,
            "conditions": None if terms.conditions.is_empty() else terms.conditions.to_dict(),
            "attribution": attribution(w) if terms.conditions.attribution else None,
            "action": self.action.value,
        }
        if text is not None:
            out["text"] = text[self.start : self.end]
        return out


def attribution(work: dict[str, Any]) -> str:
    title = work.get("title") or work.get("work_id")
    owner = work.get("owner_name") or work.get("owner_id") or "its owner"
    return f"{title} by {owner}"


@dataclass(frozen=True)
class OutputCheck:
    """All spans of one output, and the output as it may be shown (redacted spans replaced)."""

    text: str
    spans: tuple[Span, ...]

    @property
    def action(self) -> Action:
        """The strongest action over the spans: block > redact > cite > allow."""
        order = [Action.BLOCK, Action.REDACT, Action.CITE]
        for a in order:
            if any(s.action is a for s in self.spans):
                return a
        return Action.ALLOW

    def redacted(self) -> str:
        out, last = [], 0
        for s in sorted(self.spans, key=lambda s: s.start):
            if s.action in (Action.REDACT, Action.BLOCK) and s.start >= last:
                out.append(self.text[last : s.start])
                out.append(REDACTED)
                last = s.end
        out.append(self.text[last:])
        return "".join(out)

    def citations(self) -> list[str]:
        return list(dict.fromkeys(attribution(s.work) for s in self.spans if s.action is Action.CITE))

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "spans": [s.to_dict(self.text) for s in self.spans],
            "citations": self.citations(),
            "output": None if self.action is Action.BLOCK else self.redacted(),
        }


def _runs(eq: npt.NDArray[np.bool_], max_gap: int) -> list[tuple[int, int, int]]:
    """``(first, last, agreeing)`` of each run of True, bridging up to ``max_gap`` False."""
    idx = np.flatnonzero(eq)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    firsts = np.concatenate([[0], breaks + 1])
    lasts = np.concatenate([breaks, [len(idx) - 1]])
    return [
        (int(idx[a]), int(idx[b]), int(b - a + 1))
        for a, b in zip(firsts.tolist(), lasts.tolist(), strict=True)
    ]


def find_spans(
    index: VerbatimIndex, ws: Words, *, min_words: int = MIN_WORDS, max_gap: int = MAX_GAP
) -> list[tuple[int, int, int, int, int]]:
    """``(first_word, last_word, agreeing, work_no, token_start)`` of every reproduced span."""
    tokens, hashes, positions, starts = index.arrays()
    n = len(ws)
    if n < min_words or not len(hashes):
        return []
    kg = kgram_hashes(ws.hashes, K)
    lo = np.searchsorted(hashes, kg, side="left")
    hi = np.searchsorted(hashes, kg, side="right")
    hit = np.flatnonzero(hi > lo)
    if not len(hit):
        return []
    qbytes = check_bytes(ws.hashes)
    cand_i, cand_p = _candidates(hit, lo[hit], hi[hit], positions)
    cand_i, cand_p = _prefilter(cand_i, cand_p, qbytes, tokens)
    diagonals: dict[int, int] = {}  # registered token of query word 0 -> one hit's query word
    for i, p in zip(cand_i.tolist(), cand_p.tolist(), strict=True):
        diagonals.setdefault(p - i, i)
    found: list[tuple[int, int, int, int, int]] = []
    for d, i in diagonals.items():
        work = int(np.searchsorted(starts, d + i, side="right")) - 1
        w0, w1 = int(starts[work]), int(starts[work + 1])
        q0, q1 = max(0, w0 - d), min(n, w1 - d)  # query words whose partner lies inside the work
        if q1 - q0 < min_words:
            continue
        eq = qbytes[q0:q1] == np.asarray(tokens[q0 + d : q1 + d])
        for first, last, agree in _runs(eq, max_gap):
            if agree >= min_words and first <= i - q0 <= last:
                found.append((first + q0, last + q0, agree, work, first + q0 + d - w0))
    return _best_per_range(found)


def _candidates(
    hit: npt.NDArray[np.intp], lo: npt.NDArray[np.intp], hi: npt.NDArray[np.intp], positions: Any
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every (query word, registered token) pair of the hits, at most ``MAX_POSTINGS`` per k-gram."""
    count = hi - lo
    take = np.minimum(count, MAX_POSTINGS)
    step = np.maximum(1, count // MAX_POSTINGS)
    first = np.cumsum(take) - take
    within = np.arange(int(take.sum())) - np.repeat(first, take)
    rows = np.repeat(lo, take) + within * np.repeat(step, take)
    return np.repeat(hit, take).astype(np.int64), np.asarray(positions[rows]).astype(np.int64)


# Check bytes compared around each hit before the full diagonal walk: a 15-word span holding
# the k-gram at query word i lies inside words [i - 10, i + 15), so a true hit agrees on most of
# them, while a stock phrase ("of the united states of") agrees on its 5 words and ~0.1 more.
_AROUND = np.arange(-10, 15)
_PREFILTER_AGREE = 10


def _prefilter(
    cand_i: npt.NDArray[np.int64], cand_p: npt.NDArray[np.int64], qbytes: npt.NDArray[np.uint8], tokens: Any
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    if len(cand_i) <= 8:
        return cand_i, cand_p
    qi = cand_i[:, None] + _AROUND
    tp = cand_p[:, None] + _AROUND
    valid = (qi >= 0) & (qi < len(qbytes)) & (tp >= 0) & (tp < len(tokens))
    agree = (
        qbytes[np.clip(qi, 0, len(qbytes) - 1)] == np.asarray(tokens)[np.clip(tp, 0, len(tokens) - 1)]
    ) & valid
    keep = agree.sum(axis=1) >= _PREFILTER_AGREE
    return cand_i[keep], cand_p[keep]


def _best_per_range(found: list[tuple[int, int, int, int, int]]) -> list[tuple[int, int, int, int, int]]:
    """One span per (work, query range): a work repeating itself shows up on several diagonals."""
    best: dict[tuple[int, int, int], tuple[int, int, int, int, int]] = {}
    for f in found:
        key = (f[0], f[1], f[3])
        if key not in best or f[2] > best[key][2]:
            best[key] = f
    return sorted(best.values(), key=lambda f: (f[0], -f[2], f[3]))


def rule_of(work: dict[str, Any], purpose: Purpose) -> Rule:
    prefs = work.get("_prefs")
    if prefs is None:
        prefs = Preferences.from_dict(work.get("preferences") or {})
        work["_prefs"] = prefs
    rule: Rule = prefs.effective(purpose)
    return rule


def check_output(
    text: str,
    index: VerbatimIndex,
    *,
    purpose: str | Purpose = Purpose.AI_INPUT,
    deny: str | Action = Action.BLOCK,
    unknown: str | Action = Action.BLOCK,
    min_words: int = MIN_WORDS,
) -> OutputCheck:
    """Every registered span in ``text`` with its work, owner, terms and action."""
    purpose = parse_purpose(purpose)
    deny_a = parse_action(deny, (Action.BLOCK, Action.REDACT), "the deny action")
    unknown_a = parse_action(
        unknown, (Action.BLOCK, Action.REDACT, Action.CITE, Action.ALLOW), "the unknown policy"
    )
    if not isinstance(text, str):
        raise TypeError("the output to check must be a string")
    ws = words(text)
    spans = []
    for first, last, agree, work_no, tok in find_spans(index, ws, min_words=min_words):
        work = index.works[work_no]
        rule = rule_of(work, purpose)
        public = {k: v for k, v in work.items() if not k.startswith("_")}
        spans.append(
            Span(
                int(ws.starts[first]),
                int(ws.ends[last]),
                first,
                last,
                agree,
                public,
                tok,
                rule,
                output_action(rule, deny=deny_a, unknown=unknown_a),
            )
        )
    return OutputCheck(text, tuple(spans))
