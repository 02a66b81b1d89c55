"""Step: read every embedded and web signal captured with a record into its preferences."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from mediamanager.model import Evidence, Preferences, Rule
from mediamanager.scan.record import Record
from mediamanager.scan.steps.context import StepContext

__all__ = ["read_record_signals"]


def _stamp(ev: Evidence, when: datetime) -> Evidence:
    return replace(ev, observed_at=when)


def _restamp(prefs: Preferences, when: datetime) -> Preferences:
    """Evidence observed at capture time; keeps a resumed scan's output identical to an uninterrupted one."""
    rules = {
        p: Rule(r.use, r.conditions, tuple(_stamp(e, when) for e in r.evidence))
        for p, r in prefs.rules.items()
    }
    return Preferences(rules, tuple(_stamp(e, when) for e in prefs.errors))


_MEMO_SIZE = 1024
_MEMO_MAX_CHARS = 64 * 1024  # captures larger than this are not kept: the memo stays under ~64 MB


def _capture_chars(rec: Record, html_head: str | None) -> int:
    fields = (rec.url, html_head, rec.robots_txt, rec.ai_txt, rec.tdmrep_json, rec.filename)
    return sum(len(f) for f in fields if f) + sum(len(k) + len(v) for k, v in rec.headers)


def read_record_signals(records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
    """Set ``signals`` from the record's captured evidence and its own bytes (C2PA, IPTC/XMP).

    Records without content bytes are read once per distinct capture (most text records carry
    the same, often empty, evidence): the readers are pure functions of the capture, and the
    memo holds at most ``_MEMO_SIZE`` results of captures up to ``_MEMO_MAX_CHARS`` per process.
    """
    from mediamanager.signals.combine import collect_signals, preferences_from

    memo: dict[tuple[object, ...], Preferences] = ctx.resources.setdefault("signals_memo", {})
    for rec in records:
        if rec.error is None:
            fetched = rec.extra.get("evidence_fetched_at")
            when = datetime.fromisoformat(fetched) if isinstance(fetched, str) else ctx.config.scan_time
            # The head may come from the record's own HTML text, so the memo keys on the derived one.
            head = rec.effective_html_head()
            key: tuple[object, ...] | None = None
            # From the evidence cache: the final URL of a redirect, and the site documents' evidence.
            final_url = rec.extra.get("evidence_url")
            site = tuple(rec.extra.get("site_evidence", ()))
            if (
                rec.content is None
                and not site
                and not final_url
                and _capture_chars(rec, head) <= _MEMO_MAX_CHARS
            ):
                key = (rec.url, rec.headers, head, rec.robots_txt, rec.ai_txt, rec.tdmrep_json,
                       rec.filename, when)  # fmt: skip
                try:
                    hit = memo.get(key)
                except TypeError:  # a reader handed over an unhashable field: read it without the memo
                    key, hit = None, None
                if hit is not None:
                    rec.signals = hit
                    yield rec
                    continue
            capture = rec.capture(fetched_at=when, html_head=head)
            if final_url:
                capture = replace(capture, url=final_url)
            try:
                prefs = preferences_from([*collect_signals(capture, user_agent=ctx.config.user_agent), *site])
            except (TypeError, AttributeError, NameError, ImportError):
                raise  # a broken install must stop the scan, not turn every item into an error
            # Signal readers report problems as evidence; anything else they raise is an error row.
            except Exception as exc:
                rec.error = f"reading signals failed ({type(exc).__name__}): {exc}"
            else:
                rec.signals = _restamp(prefs, when)
                if key is not None:
                    if len(memo) >= _MEMO_SIZE:
                        memo.clear()
                    memo[key] = rec.signals
        yield rec
