"""A stacked bar chart's geometry, for a template to draw as inline SVG (no script, no library).

Charting libraries for the browser need JavaScript, and the server-side ones (matplotlib) draw
pictures without the text a screen reader or a test can read; a few rectangles do, with every
figure also in the data table the template puts beside the chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Bar", "BarChart", "nice_ticks", "stacked_bars"]

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 44


@dataclass(frozen=True)
class Bar:
    """One stacked segment: a series' value in one period."""

    x: float
    y: float
    width: float
    height: float
    series: int  # index into ``BarChart.series``: the template picks its colour class
    label: str  # "2026-11: 12 used under licence"


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    plot_right: int
    bars: tuple[Bar, ...]
    y_ticks: tuple[tuple[float, int], ...]  # (y, value)
    x_labels: tuple[tuple[float, str], ...]  # (centre x, period)
    series: tuple[str, ...]  # legend labels
    periods: tuple[str, ...]
    rows: tuple[tuple[str, tuple[int, ...], int], ...]  # (period, value per series, total): the data table
    total: int


def nice_ticks(top: int, count: int = 4) -> list[int]:
    """Round axis values from 0 to at least ``top``: steps of 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    step = 1
    while step * 10 <= raw:
        step *= 10
    for m in (1, 2, 5, 10):
        if step * m >= raw:
            step *= m
            break
    ticks = [0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def stacked_bars(
    periods: Sequence[str], series: Sequence[str], values: Mapping[tuple[str, int], int]
) -> BarChart:
    """Bars per period, one segment per series, stacked from the bottom in series order."""
    totals = [sum(values.get((p, s), 0) for s in range(len(series))) for p in periods]
    ticks = nice_ticks(max(totals, default=0))
    top = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(periods), 1)
    bar_w = max(min(slot * 0.7, 48.0), 1.0)
    bars: list[Bar] = []
    for i, period in enumerate(periods):
        x = LEFT + i * slot + (slot - bar_w) / 2
        base = 0
        for s, name in enumerate(series):
            v = values.get((period, s), 0)
            if v:
                y0 = HEIGHT - BOTTOM - plot_h * (base + v) / top
                bars.append(Bar(round(x, 2), round(y0, 2), round(bar_w, 2), round(plot_h * v / top, 2), s,
                                f"{period}: {v} {name}"))  # fmt: skip
                base += v
    every = max(1, -(-len(periods) // 12))  # at most 12 labels under the axis
    x_labels = tuple(
        (round(LEFT + i * slot + slot / 2, 2), p) for i, p in enumerate(periods) if i % every == 0
    )
    y_ticks = tuple((round(HEIGHT - BOTTOM - plot_h * t / top, 2), t) for t in ticks)
    rows = tuple(
        (p, tuple(values.get((p, s), 0) for s in range(len(series))), t)
        for p, t in zip(periods, totals, strict=True)
    )
    return BarChart(
        WIDTH, HEIGHT, LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, tuple(bars), y_ticks, x_labels,
        tuple(series), tuple(periods), rows, sum(totals),
    )  # fmt: skip
