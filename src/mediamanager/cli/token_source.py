"""Where the CLI finds the registry API token, most explicit first.

1. ``--token TOKEN`` on a command. It is visible to every user of the machine in the process
   list (``ps``) and lands in shell history, so prefer one of the others.
2. ``MEDIAMANAGER_TOKEN`` in the environment.
3. ``mediamanager --token-file FILE ...`` (``-`` reads it from stdin), or ``MEDIAMANAGER_TOKEN_FILE``:
   the first line of the file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mediamanager.errors import InputError

__all__ = ["resolve_token", "set_token_file"]

_token_file: str | None = None
_cached: str | None = None


def set_token_file(path: str | None) -> None:
    """Called by the root command for ``--token-file``."""
    global _token_file, _cached
    _token_file, _cached = path, None


def _read(source: str) -> str:
    try:
        text = sys.stdin.readline() if source == "-" else Path(source).expanduser().read_text()
    except OSError as exc:
        raise InputError(f"cannot read the token file {source}: {exc.strerror or exc}") from None
    token = (text.splitlines() or [""])[0].strip()
    if not token:
        raise InputError(f"the token file {source} is empty")
    return token


def resolve_token(explicit: str | None) -> str | None:
    """The token to send, or None when none was given anywhere."""
    global _cached
    if explicit:
        return explicit
    env = os.environ.get("MEDIAMANAGER_TOKEN")
    if env:
        return env.strip()
    source = _token_file or os.environ.get("MEDIAMANAGER_TOKEN_FILE")
    if not source:
        return None
    if _cached is None:
        _cached = _read(source)  # stdin can be read only once
    return _cached
