"""Every CLI command has help text with an ``Example:`` line (sqlite-utils style)."""

from __future__ import annotations

from typing import Any

import typer
from typer.testing import CliRunner

from mediamanager.cli.main import app


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    # typer's groups are click groups (or typer's own fork of them): both have .commands
    for name, cmd in (getattr(group, "commands", None) or {}).items():
        out.extend(_commands(cmd, (*prefix, name)))
    return out


def test_every_command_has_help_with_an_example() -> None:
    root = typer.main.get_command(app)
    paths = [p for p in _commands(root) if p]
    assert paths, "no commands registered"
    runner = CliRunner()
    lacking = []
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        if "Example:" not in result.output:
            lacking.append(" ".join(path))
    assert not lacking, f"commands without an 'Example:' in their help: {lacking}"


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("mediamanager ")
