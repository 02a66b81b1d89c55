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


def read_record_signals(records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
    """Set ``signals`` from the record's captured evidence and its own bytes (C2PA, IPTC/XMP)."""
    from mediamanager.signals import read_signals

    for rec in records:
        if rec.error is None:
            fetched = rec.extra.get("evidence_fetched_at")
            when = datetime.fromisoformat(fetched) if isinstance(fetched, str) else ctx.config.scan_time
            capture = replace(rec.capture(), fetched_at=when)
            try:
                prefs = read_signals(capture, user_agent=ctx.config.user_agent)
            except (TypeError, AttributeError, NameError, ImportError):
                raise  # a broken install must stop the scan, not turn every item into an error
            # Signal readers report problems as evidence; anything else they raise is an error row.
            except Exception as exc:
                rec.error = f"reading signals failed ({type(exc).__name__}): {exc}"
            else:
                rec.signals = _restamp(prefs, when)
        yield rec
