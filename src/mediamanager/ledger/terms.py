"""Licence terms from a work's conditions (RSL-style payment per item, per token or per crawl).

Terms are read from the conditions a scan recorded for each matched work, as the
JSON that :meth:`mediamanager.model.Conditions.to_dict` writes. Prices are
:class:`~decimal.Decimal` from their text, never floats; a negative, non-numeric or
currency-less price is a :class:`~mediamanager.ledger.LedgerError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mediamanager.ledger import LedgerError

__all__ = ["PRICED_MODELS", "Terms", "terms_from_conditions"]

# The payment models a statement can count units for from the ledger alone.
PRICED_MODELS = ("per-item", "per-crawl", "per-token")
_CURRENCY = re.compile(r"^[A-Z]{3}$")  # ISO 4217 alphabetic code


@dataclass(frozen=True)
class Terms:
    """What a licensed use costs and requires."""

    model: str | None  # per-item | per-token | per-crawl | subscription | other | None (no payment)
    unit_price: Decimal | None
    currency: str | None
    attribution: bool
    licence_url: str | None
    expires: datetime | None

    @property
    def priced(self) -> bool:
        return self.model in PRICED_MODELS and self.unit_price is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "currency": self.currency,
            "attribution": self.attribution,
            "licence_url": self.licence_url,
            "expires": None if self.expires is None else self.expires.isoformat(),
        }


def _price(raw: Any, where: str) -> Decimal:
    if isinstance(raw, float):  # a float has already lost the cents it was written with
        raise LedgerError(f"{where}: payment amount {raw!r} must be written as text, not a float")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise LedgerError(f"{where}: payment amount {raw!r} is not a number") from None
    if not value.is_finite():
        raise LedgerError(f"{where}: payment amount {raw!r} is not a finite number")
    if value < 0:
        raise LedgerError(f"{where}: payment amount {raw!r} is negative")
    return value


def terms_from_conditions(conditions: Mapping[str, Any] | None, *, where: str = "terms") -> Terms:
    """The terms stated by one work's conditions; ``where`` names the work in errors."""
    c = dict(conditions or {})
    pay = c.get("payment") or None
    model = price = currency = None
    if pay is not None:
        if not isinstance(pay, Mapping):
            raise LedgerError(f"{where}: payment must be an object, not {type(pay).__name__}")
        model = str(pay.get("model") or "other")
        if pay.get("amount") not in (None, ""):
            price = _price(pay["amount"], where)
            currency = pay.get("currency")
            if not isinstance(currency, str) or not _CURRENCY.match(currency.strip().upper()):
                raise LedgerError(
                    f"{where}: payment amount {pay['amount']} needs a currency code such as EUR"
                )
            currency = currency.strip().upper()
    exp = c.get("expires")
    try:
        expires = datetime.fromisoformat(exp) if isinstance(exp, str) else None
    except ValueError:
        raise LedgerError(f"{where}: bad expiry {exp!r}") from None
    return Terms(
        model=model,
        unit_price=price,
        currency=currency,
        attribution=bool(c.get("attribution", False)),
        licence_url=c.get("licence_url"),
        expires=expires,
    )
