"""Strict checks for values that arrive as untyped JSON: each returns the typed value or raises.

:class:`~mediamanager.model.Conditions` parsing and the API's schemas use them, so that an
ill-typed, non-finite, out-of-range or unstorable value is refused with a short
:class:`~mediamanager.errors.InvalidPreferenceError` (an ``InputError``, HTTP 422) instead of being
stored and crashing a later reader.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mediamanager.errors import InputError, InvalidPreferenceError

__all__ = [
    "MAX_AMOUNT",
    "check_amount",
    "check_expires",
    "check_json_value",
    "check_optional_text",
    "clean_text",
    "short",
]

# Payment amounts: finite, not negative, at most a trillion, at most 18 decimal places.
MAX_AMOUNT = Decimal(10) ** 12
_MAX_PLACES = 18


def short(value: Any, limit: int = 60) -> str:
    """``ascii(value)`` cut to ``limit`` characters: safe to put in any error message."""
    text = ascii(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clean_text(value: str, name: str) -> str:
    """``value`` unchanged, or InputError when it holds a NUL or a lone surrogate.

    Neither can be stored by PostgreSQL (NUL) or encoded as UTF-8 (surrogates), so refusing them
    here gives one answer on every backend.
    """
    if "\x00" in value:
        raise InputError(f"{name} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{name} must be valid Unicode text (no lone surrogates)") from None
    return value


def check_optional_text(value: Any, name: str, limit: int) -> str | None:
    """``None`` or a clean string of at most ``limit`` characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidPreferenceError(f"{name} must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise InvalidPreferenceError(f"{name} is longer than {limit} characters")
    try:
        return clean_text(value, name)
    except InputError as exc:
        raise InvalidPreferenceError(str(exc)) from None


def check_amount(value: Any) -> Decimal | None:
    """A payment amount: None/"" for none, else a finite, non-negative, bounded decimal."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise InvalidPreferenceError(f"payment amount must be a number, got {type(value).__name__}")
    if isinstance(value, str) and len(value) > 40:
        raise InvalidPreferenceError(f"bad payment amount {short(value)}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidPreferenceError(f"bad payment amount {short(value)}") from None
    if not amount.is_finite():
        raise InvalidPreferenceError(f"payment amount must be finite, got {short(value)}")
    if amount < 0:
        raise InvalidPreferenceError(f"payment amount must not be negative, got {short(value)}")
    if amount > MAX_AMOUNT:
        raise InvalidPreferenceError(f"payment amount must be at most {MAX_AMOUNT}, got {short(value)}")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_MAX_PLACES:
        raise InvalidPreferenceError(f"payment amount has more than {_MAX_PLACES} decimal places")
    return amount


def check_expires(value: Any) -> datetime | None:
    """An expiry: ISO 8601 text or a datetime; a naive time is read as UTC (as in the spec form)."""
    if value is None:
        return None
    if isinstance(value, str):
        if len(value) > 64:
            raise InvalidPreferenceError(f"bad expiry date {short(value)}")
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidPreferenceError(f"bad expiry date {short(value)}") from None
    if not isinstance(value, datetime):
        raise InvalidPreferenceError(f"expires must be an ISO 8601 date, got {type(value).__name__}")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def check_json_value(value: Any, name: str, *, depth: int = 0) -> None:
    """Refuse what a JSON document must not carry into the store: NaN/Infinity, integers outside
    64 bits, NUL characters and lone surrogates, and nesting deeper than 64."""
    if depth > 64:
        raise InputError(f"{name} is nested more than 64 levels deep")
    if isinstance(value, str):
        clean_text(value, name)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise InputError(f"{name} holds an integer outside the 64-bit range")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"{name} holds a non-finite number (NaN or Infinity)")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            clean_text(str(k), name)
            check_json_value(v, name, depth=depth + 1)
    elif isinstance(value, (list, tuple)):
        for v in value:
            check_json_value(v, name, depth=depth + 1)
