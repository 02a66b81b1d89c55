"""Media Manager: creators declare how AI may use their work; AI builders honor it.

The curated public API is listed in ``__all__``; everything else is private.
"""

from __future__ import annotations

from mediamanager.errors import MediaManagerError
from mediamanager.model import (
    Conditions,
    Decision,
    Evidence,
    Fingerprint,
    Match,
    MediaType,
    Outcome,
    Payment,
    PaymentModel,
    Preferences,
    Purpose,
    Rule,
    Use,
    combine_rules,
    parse_preference_spec,
)

__version__ = "0.1.0"

__all__ = [
    "Conditions",
    "Decision",
    "Evidence",
    "Fingerprint",
    "Match",
    "MediaManagerError",
    "MediaType",
    "Outcome",
    "Payment",
    "PaymentModel",
    "Preferences",
    "Purpose",
    "Rule",
    "Use",
    "__version__",
    "combine_rules",
    "parse_preference_spec",
]
