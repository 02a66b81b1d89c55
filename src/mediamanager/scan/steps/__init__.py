"""Scan steps: records in, records out. The default pipeline runs them in this order."""

from __future__ import annotations

from mediamanager.scan.steps.context import Step, StepContext
from mediamanager.scan.steps.decide import decide_records
from mediamanager.scan.steps.evidence import attach_evidence
from mediamanager.scan.steps.fingerprint import fingerprint_records
from mediamanager.scan.steps.grants import apply_grants
from mediamanager.scan.steps.match import match_records
from mediamanager.scan.steps.signals import read_record_signals

__all__ = ["DEFAULT_STEPS", "Step", "StepContext"]

DEFAULT_STEPS: tuple[Step, ...] = (
    attach_evidence,
    fingerprint_records,
    read_record_signals,
    match_records,
    decide_records,
    apply_grants,  # a no-op without --grants; after decide, so it only ever turns license into keep
)
