"""Step: combine registry matches and signals for the declared purpose into one decision per record.

The combine rule is the architecture's, in its one home (:func:`mediamanager.model.combine_rules`):
any deny wins; then allow-if (every condition kept); then allow; then unknown, which the
``--unknown`` policy turns into drop (the default) or keep. Every rule is decided at the scan
time: a permission whose conditions expired by then is unknown. A record that could not be read
or checked is an ``error``, never a silent keep; so is one whose signals could not all be read
(an invalid C2PA manifest, an unreadable robots.txt) unless something it carries denies.
A near-duplicate match scoring below its kind's decision threshold (:data:`~mediamanager.scan.config.DEFAULT_MATCH_THRESHOLDS`,
``--match-threshold``) is reported as a possible match and decides nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime

from mediamanager.fingerprint.check import EXACT_KINDS
from mediamanager.lookup import WorkMatch
from mediamanager.model import (
    Decision,
    Evidence,
    Match,
    Outcome,
    Preferences,
    Purpose,
    Rule,
    Use,
    combine_rules,
)
from mediamanager.scan.config import DEFAULT_MATCH_THRESHOLDS
from mediamanager.scan.record import Record
from mediamanager.scan.steps.context import StepContext
from mediamanager.scan.steps.urlonly import URL_ONLY_REASON, url_only_decision

__all__ = ["decide", "decide_records", "deciding_source", "split_matches"]

_OUTCOME = {Use.DENY: Outcome.DROP, Use.ALLOW_IF: Outcome.LICENSE, Use.ALLOW: Outcome.KEEP}


def split_matches(
    matches: tuple[WorkMatch, ...], thresholds: Mapping[str, float]
) -> tuple[tuple[WorkMatch, ...], tuple[WorkMatch, ...]]:
    """``(applied, possible)``: exact matches and near ones at or above their kind's threshold decide."""
    applied: list[WorkMatch] = []
    possible: list[WorkMatch] = []
    for m in matches:
        limit = thresholds.get(m.kind)
        if m.kind in EXACT_KINDS or (limit is not None and m.score >= limit):
            applied.append(m)
        else:
            possible.append(m)
    return tuple(applied), tuple(possible)


def _possible(m: WorkMatch, thresholds: Mapping[str, float], location: str, when: datetime) -> Evidence:
    limit = thresholds.get(m.kind)
    why = f"below the {m.kind} decision threshold {limit}" if limit is not None else (
        f"no decision threshold is stated for {m.kind!r} matches"
    )  # fmt: skip
    return Evidence(
        source="registry",
        raw=f"possible match: work {m.work_id} ({m.title}) owned by {m.owner_name or m.owner_id}",
        location=location,
        observed_at=when,
        detail=f"{m.kind} match, score {m.score:.3f}, {why}: not applied",
    )


def _match_rule(m: WorkMatch, purpose: Purpose, location: str, when: datetime) -> Rule:
    """A registered work's effective rule, with the match itself as the first piece of evidence."""
    rule = m.preferences.effective(purpose, now=when)
    detail = f"{m.kind} match, score {m.score:.3f}" + (
        f", dispute {m.dispute.state}" if m.dispute else ", disputed" if m.disputed else ""
    )
    ev = Evidence(
        source="registry",
        raw=f"work {m.work_id} ({m.title}) owned by {m.owner_name or m.owner_id}",
        location=location,
        purpose=purpose,
        use=rule.use,
        conditions=rule.conditions,
        observed_at=when,
        detail=detail,
    )
    return Rule(rule.use, rule.conditions, (ev, *rule.evidence))


def deciding_source(rule: Rule) -> str:
    """Which source decided: ``registry`` when a work did, else the first evidence with the winning use."""
    for ev in rule.evidence:
        if ev.error is None and ev.use is rule.use:
            return ev.source
    return "none"


def decide(
    purpose: Purpose,
    matches: tuple[WorkMatch, ...],
    signals: Preferences | None,
    *,
    unknown: str,
    registry_location: str,
    when: datetime,
    item_id: str,
    possible: tuple[WorkMatch, ...] = (),
    thresholds: Mapping[str, float] = DEFAULT_MATCH_THRESHOLDS,
) -> Decision:
    """The decision for one readable item.

    ``matches`` are the registry matches that decide (see :func:`split_matches`); ``possible``
    ones are only reported. Every rule is decided at ``when`` (expired permissions are unknown).
    Any deny drops; otherwise an unreadable signal (``Preferences.errors``) makes the item an
    ``error``, whatever the ``--unknown`` policy: what could not be read may have denied.
    """
    sources = [_match_rule(m, purpose, registry_location, when) for m in matches]
    errors: tuple[Evidence, ...] = ()
    if signals is not None:
        sources.append(signals.effective(purpose, now=when))
        errors = signals.errors
    for m in matches:
        errors += m.preferences.errors
    rule = combine_rules((e for r in sources for e in r.evidence), now=when)
    rule = Rule(rule.use, rule.conditions, tuple(dict.fromkeys(rule.evidence + errors)))
    rule = Rule(rule.use, rule.conditions, rule.evidence + tuple(
        _possible(m, thresholds, registry_location, when) for m in possible
    ))  # fmt: skip
    reasons: list[str] = []
    if rule.use is Use.DENY:
        outcome = Outcome.DROP
        reasons.append(f"deny:{deciding_source(rule)}")
    elif errors:
        outcome = Outcome.ERROR
        reasons.append(
            f"error: {len(errors)} signal(s) could not be read, so the item cannot be checked "
            f"(never kept, whatever --unknown says); without them the use would be {rule.use.value}"
        )
    elif rule.use is Use.UNKNOWN:
        outcome = Outcome.KEEP if unknown == "keep" else Outcome.DROP
        reasons.append(f"unknown: nothing states a use for {purpose.value}; policy --unknown {unknown}")
    else:
        outcome = _OUTCOME[rule.use]
        reasons.append(f"{rule.use.value}:{deciding_source(rule)}")
    for ev in rule.evidence:
        where = f" ({ev.detail})" if ev.detail else ""
        if ev.error is not None:
            reasons.append(f"unreadable signal {ev.source} at {ev.location}: {ev.error}")
        elif ev.use is not Use.UNKNOWN:
            reasons.append(
                f"{ev.source} says {ev.use.value} for {(ev.purpose or purpose).value}: {ev.raw}{where}"
            )
        elif ev.detail and ("expired" in ev.detail or "not applied" in ev.detail):
            reasons.append(f"{ev.source}: {ev.raw}{where}")
    if rule.use is Use.ALLOW_IF and outcome is Outcome.LICENSE:
        reasons.append(f"conditions: {rule.conditions.describe()}")
    for m in matches:
        if m.disputed:
            claim = ", ".join(m.claimants) or "another claimant"
            reasons.append(f"registry match {m.work_id} is disputed by {claim}")
    return Decision(
        item_id=item_id,
        outcome=outcome,
        purpose=purpose,
        reasons=tuple(reasons),
        rule=rule,
        matches=tuple(Match(m.work_id, m.score, m.kind) for m in matches),
    )


def decide_records(records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
    """Set ``decision`` on every record: error rows for unreadable items, combined rules for the rest.

    Records without registry matches that share one signals object (the signals step reads
    each distinct capture once) share one decided rule too: it is combined once per batch.
    """
    cfg = ctx.config
    location = cfg.registry
    thresholds = cfg.match_thresholds
    shared: dict[int, tuple[Preferences, Decision]] = {}
    shared_url: dict[int, tuple[Preferences, Decision]] = {}
    for rec in records:
        url_only = bool(rec.extra.get("url_only"))
        if url_only and rec.error is None and cfg.url_only == "error":
            rec.error = f"{URL_ONLY_REASON} (--url-only error)"
        if rec.error is not None:
            why = (f"error: {rec.error}", URL_ONLY_REASON) if url_only else (f"error: {rec.error}",)
            rec.decision = Decision(rec.id, Outcome.ERROR, cfg.purpose, why, Rule(), ())
            yield rec
            continue
        # Only deciding matches stay on the record (its matches, owners and usage-report columns);
        # possible ones are kept as evidence of the decision.
        rec.matches, possible = split_matches(rec.matches, thresholds)
        alone = not rec.matches and not possible
        hit = shared.get(id(rec.signals)) if alone and rec.signals is not None else None
        if hit is not None and hit[0] is rec.signals:
            rec.decision = replace(hit[1], item_id=rec.id)
            yield rec
            continue
        if url_only:
            hit = shared_url.get(id(rec.signals)) if alone and rec.signals is not None else None
            if hit is not None and hit[0] is rec.signals:
                rec.decision = replace(hit[1], item_id=rec.id)
                yield rec
                continue
        rec.decision = decide(
            cfg.purpose,
            rec.matches,
            rec.signals,
            unknown=cfg.unknown,
            registry_location=location,
            when=cfg.scan_time,
            item_id=rec.id,
            possible=possible,
            thresholds=thresholds,
        )
        if url_only:
            rec.decision = url_only_decision(rec.decision)
            if alone and rec.signals is not None:
                shared_url[id(rec.signals)] = (rec.signals, rec.decision)
        elif alone and rec.signals is not None:
            shared[id(rec.signals)] = (rec.signals, rec.decision)
        yield rec
