"""Licence requests as the portal lists them: those sent to the creator (to accept or decline) and
those the creator sent as a builder, each work's terms in words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["STATUS_TEXT", "licence_view", "split_licences", "terms_text"]

STATUS_TEXT = {
    "requested": "waiting for your decision",
    "accepted": "accepted: a signed grant was issued",
    "declined": "declined",
    "revoked": "revoked: the grant no longer covers new scans",
}


def terms_text(t: Mapping[str, Any]) -> str:
    """One work's terms (``Terms.to_dict()``) in words."""
    parts = []
    if t.get("model"):
        price = f"{t['unit_price']} {t.get('currency') or ''}".strip() if t.get("unit_price") else "no amount"
        parts.append(f"{t['model']} payment, {price}")
    if t.get("attribution"):
        parts.append("attribution required")
    if t.get("licence_url"):
        parts.append(f"licence: {t['licence_url']}")
    if t.get("expires"):
        parts.append(f"until {t['expires']}")
    return "; ".join(parts) or "no conditions"


def licence_view(
    lic: Mapping[str, Any], me: str, titles: Mapping[str, str], names: Mapping[str, str]
) -> dict[str, Any]:
    incoming = lic["owner_id"] == me
    other = lic["builder_id"] if incoming else lic["owner_id"]
    return {
        **lic,
        "incoming": incoming,
        "other_name": names.get(other) or other,
        "status_text": STATUS_TEXT.get(lic["status"], lic["status"])
        if incoming or lic["status"] != "requested"
        else "waiting for the owner's decision",
        "can_decide": incoming and lic["status"] == "requested",
        "can_revoke": incoming and lic["status"] == "accepted",
        "work_rows": [
            {"work_id": w, "title": titles.get(w, ""), "terms": terms_text(lic["terms"].get(w, {}))}
            for w in lic["works"]
        ],
    }


def split_licences(views: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(incoming, outgoing); requests awaiting a decision first, newest first within."""
    vs = sorted(views, key=lambda v: v["requested_at"], reverse=True)
    vs.sort(key=lambda v: v["status"] != "requested")  # stable: newest first stays within each group
    return [v for v in vs if v["incoming"]], [v for v in vs if not v["incoming"]]
