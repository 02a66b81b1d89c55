"""The portal's navigation: (path, label) of every signed-in page, in menu order; parts append theirs."""

from __future__ import annotations

__all__ = ["NAV"]

NAV: list[tuple[str, str]] = [
    ("/my/works", "My works"),
    ("/my/register", "Register works"),
    ("/my/preferences", "Preferences"),
    ("/my/domains", "Domains"),
    ("/my/disputes", "Disputes"),
    ("/my/usage", "Where found"),
    ("/my/licences", "Licences"),
    ("/my/statements", "Statements"),
    ("/my/tokens", "API tokens"),
    ("/my/account", "Account"),
]
