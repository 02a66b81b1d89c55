"""Streaming regurgitation check: feed generated tokens one at a time.

A word is complete once a character that cannot continue it arrives (or the stream ends).
After each completed word the last ``WINDOW`` words are searched, so a span is reported by the
:meth:`StreamChecker.feed` call whose word takes it past ``min_words``; each (work, diagonal)
is reported once. :meth:`StreamChecker.finish` returns the full :class:`OutputCheck` of the
whole text, whose spans are the authoritative ones (a span keeps growing after its report).
"""

from __future__ import annotations

import numpy as np

from mediamanager.guard.index import VerbatimIndex
from mediamanager.guard.output import MIN_WORDS, OutputCheck, Span, check_output, find_spans, rule_of
from mediamanager.guard.policy import Action, output_action, parse_action, parse_purpose
from mediamanager.guard.tokens import Words, words
from mediamanager.model import Purpose

__all__ = ["StreamChecker"]

WINDOW = 48


class StreamChecker:
    """Incremental :func:`~mediamanager.guard.output.check_output` over a token stream."""

    def __init__(
        self,
        index: VerbatimIndex,
        *,
        purpose: str | Purpose = Purpose.AI_INPUT,
        deny: str | Action = Action.BLOCK,
        unknown: str | Action = Action.BLOCK,
        min_words: int = MIN_WORDS,
    ) -> None:
        self.index = index
        self.purpose = parse_purpose(purpose)
        self.deny = parse_action(deny, (Action.BLOCK, Action.REDACT), "the deny action")
        self.unknown = parse_action(
            unknown, (Action.BLOCK, Action.REDACT, Action.CITE, Action.ALLOW), "the unknown policy"
        )
        self.min_words = min_words
        self.text = ""
        self._done = 0  # characters before this offset belong to completed words
        self._hashes: list[int] = []
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._seen: set[tuple[int, int]] = set()
        self.reported: list[Span] = []

    def feed(self, token: str) -> list[Span]:
        """Append ``token``; the spans that crossed the threshold because of it."""
        if not isinstance(token, str):
            raise TypeError("tokens must be strings")
        self.text += token
        return self._advance(final=False)

    def finish(self) -> OutputCheck:
        """Complete the last word and check the whole text."""
        self._advance(final=True)
        return check_output(
            self.text,
            self.index,
            purpose=self.purpose,
            deny=self.deny,
            unknown=self.unknown,
            min_words=self.min_words,
        )

    def _advance(self, *, final: bool) -> list[Span]:
        tail = words(self.text[self._done :], self._done)
        new = 0
        for h, s, e in zip(tail.hashes.tolist(), tail.starts.tolist(), tail.ends.tolist(), strict=True):
            if e >= len(self.text) and not final:
                break  # the word may go on in the next token
            self._hashes.append(h)
            self._starts.append(s)
            self._ends.append(e)
            self._done = e
            new += 1
        return self._search() if new else []

    def _search(self) -> list[Span]:
        lo = max(0, len(self._hashes) - WINDOW)
        ws = Words(
            np.array(self._hashes[lo:], np.uint64),
            np.array(self._starts[lo:], np.int64),
            np.array(self._ends[lo:], np.int64),
        )
        out: list[Span] = []
        for first, last, agree, work_no, tok in find_spans(self.index, ws, min_words=self.min_words):
            key = (work_no, int(self.index.work_starts[work_no]) + tok - (first + lo))
            if key in self._seen:
                continue
            self._seen.add(key)
            work = self.index.works[work_no]
            rule = rule_of(work, self.purpose)
            public = {k: v for k, v in work.items() if not k.startswith("_")}
            span = Span(
                int(ws.starts[first]),
                int(ws.ends[last]),
                first + lo,
                last + lo,
                agree,
                public,
                tok,
                rule,
                output_action(rule, deny=self.deny, unknown=self.unknown),
            )
            out.append(span)
        self.reported.extend(out)
        return out
