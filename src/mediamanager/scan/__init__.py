"""The scanner: honor every creator's choice across a whole training dataset, with an audit trail.

``scan(...)`` (:mod:`mediamanager.scan.run`) runs a whole dataset;
``allowed(record, ...)`` checks one row (for ``datasets.Dataset.filter``);
:class:`~mediamanager.scan.api.ConsentFilter` is a datatrove-compatible step.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ConsentFilter", "Record", "ScanConfig", "allowed", "decide_record", "scan", "verify_outputs"]


def __getattr__(name: str) -> Any:
    # Lazy: importing mediamanager.scan must not pull in pyarrow, readers and executors for one name.
    if name in ("allowed", "decide_record", "ConsentFilter"):
        from mediamanager.scan import api

        return getattr(api, name)
    if name == "scan":
        from mediamanager.scan.run import scan

        return scan
    if name == "Record":
        from mediamanager.scan.record import Record

        return Record
    if name == "ScanConfig":
        from mediamanager.scan.config import ScanConfig

        return ScanConfig
    if name == "verify_outputs":
        from mediamanager.scan.attest import verify_outputs

        return verify_outputs
    raise AttributeError(name)
