"""The usage ledger: what a scan did with registered works, licences, statements and public summaries.

Pure logic, no network or database I/O (the registry's side lives in
:mod:`mediamanager.registry.ledger`):

- :mod:`.events`     usage events from a submitted scan's attested files
- :mod:`.chain`      the ledger's sha256 hash chain
- :mod:`.terms`      payment terms from a work's conditions, validated
- :mod:`.grants`     signed licence grants (Ed25519) and whether one applies
- :mod:`.statements` what each owner is owed, in Decimal, from events alone
- :mod:`.exports`    statements as JSON, CSV and a DDEX DSR-shaped flat file
- :mod:`.eu_summary` the EU AI Act public summary of training content
"""

from __future__ import annotations

from mediamanager.errors import InputError

__all__ = ["LedgerError"]


class LedgerError(InputError):
    """A ledger input that cannot be accepted: a bad scan, price, currency or grant. Nothing is recorded."""
