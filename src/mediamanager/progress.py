"""Progress of long work (scan, export, bulk-register): real totals, a rate and an ETA.

On a terminal it is a rich bar (a spinner with the rate when the total is not known);
otherwise (a log file, CI, a pipe) it prints a plain line every ``every_s`` seconds and
always a final line with the totals, e.g.::

    scanning: 16/16 items in 2.4s (6.7 items/s)

``MEDIAMANAGER_PROGRESS=1`` forces the bar, ``MEDIAMANAGER_PROGRESS=0`` silences both.
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import Any, TextIO

__all__ = ["ProgressLine"]


def _wanted_bar(stream: TextIO) -> bool:
    forced = os.environ.get("MEDIAMANAGER_PROGRESS")
    if forced is not None:
        return forced == "1"
    return stream.isatty()


class ProgressLine:
    """Counts done items of ``label`` work towards a total that may arrive late (or never)."""

    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        unit: str = "items",
        stream: TextIO | None = None,
        every_s: float = 10.0,
    ) -> None:
        self.label, self.unit, self.total = label, unit, total
        self.stream = stream if stream is not None else sys.stderr
        self.every_s = every_s
        self.done = 0
        self.note = ""
        self.quiet = os.environ.get("MEDIAMANAGER_PROGRESS") == "0"
        self._bar: Any = None
        self._task: Any = None
        self._started = time.perf_counter()
        self._last_line = self._started

    def __enter__(self) -> ProgressLine:
        self._started = self._last_line = time.perf_counter()
        if not self.quiet and _wanted_bar(self.stream):
            self._bar = _rich_bar(self.label, self.unit, self.stream)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=self.total)
        return self

    def set_total(self, total: int | None) -> None:
        self.total = total
        if self._bar is not None:
            self._bar.update(self._task, total=total)

    def advance(self, n: int = 1, note: str | None = None) -> None:
        self.done += n
        if note is not None:
            self.note = note
        if self._bar is not None:
            self._bar.update(self._task, advance=n, description=self.note or self.label)
            return
        now = time.perf_counter()
        if not self.quiet and now - self._last_line >= self.every_s:
            self._last_line = now
            self._print(self._line(now, final=False))

    def _line(self, now: float, *, final: bool) -> str:
        spent = max(now - self._started, 1e-9)
        rate = self.done / spent
        done = f"{self.done:,}/{self.total:,}" if self.total is not None else f"{self.done:,}"
        line = f"{self.label}: {done} {self.unit}"
        if final:
            line += f" in {spent:.1f}s ({rate:,.1f} {self.unit}/s)"
        else:
            line += f", {rate:,.1f} {self.unit}/s"
            if self.total is not None and rate > 0:
                line += f", eta {max(self.total - self.done, 0) / rate:,.0f}s"
        return line + (f"; {self.note}" if self.note else "")

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)
        if not self.quiet and kind is None:
            self._print(self._line(time.perf_counter(), final=True))


def _rich_bar(label: str, unit: str, stream: TextIO) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class DoneOfTotal(ProgressColumn):
        """``n/total``, or only ``n`` while the total is unknown (never ``n/?``)."""

        def render(self, task: Any) -> Text:
            done = int(task.completed)
            return Text(f"{done:,}" if task.total is None else f"{done:,}/{int(task.total):,}")

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"– {unit}/s" if speed is None else f"{speed:,.0f} {unit}/s", style="cyan")

    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DoneOfTotal(),
        Rate(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=Console(file=stream),
        transient=False,
    )
