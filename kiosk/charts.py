"""Charts drawn on the server as SVG: no JavaScript chart library, nothing from the internet.

Each function returns markup safe to put straight into a template. Axes are labelled in
the site's local time; text is real <text> so screen readers and print keep it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup, escape

from appliance.views.overview import Point


class ChartError(Exception):
    """A chart was asked for with data it cannot draw."""


WIDTH, HEIGHT = 600, 200
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 10, 24


def _ceiling(value: int) -> int:
    """A round top for the y axis, at least 1."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if value <= step:
            return step
    return ((value // 1000) + 1) * 1000


def _frame(title: str, top: int, body: list[str], labels: list[str]) -> Markup:
    inner_h = HEIGHT - TOP - BOTTOM
    grid = []
    for fraction in (0, 0.5, 1):
        y = TOP + inner_h * (1 - fraction)
        value = top * fraction
        text = f"{value:g}"
        grid.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                    f'<text class="axis" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
    svg = (f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
           + "".join(grid) + "".join(body) + "".join(labels) + "</svg>")
    return Markup(svg)  # noqa: S704 - every interpolated text above is escaped or numeric


def bars(values: Sequence[int], title: str, label_every: int = 3) -> Markup:
    """A bar per value (e.g. footfall per hour 0-23), labelled with its index as an hour."""
    if not values:
        raise ChartError("a bar chart needs at least one value")
    if any(v < 0 for v in values):
        raise ChartError(f"bar values cannot be negative: {list(values)}")
    top = _ceiling(max(values))
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM
    slot = inner_w / len(values)
    body, labels = [], []
    for i, value in enumerate(values):
        h = inner_h * value / top
        x = LEFT + i * slot + slot * 0.1
        body.append(f'<rect class="bar" x="{x:.1f}" y="{TOP + inner_h - h:.1f}" width="{slot * 0.8:.1f}" '
                    f'height="{h:.1f}" data-index="{i}" data-value="{value}"><title>{i:02d}:00 {value}</title></rect>')
        if i % label_every == 0:
            labels.append(f'<text class="axis" x="{LEFT + i * slot + slot / 2:.1f}" y="{HEIGHT - 6}" '
                          f'text-anchor="middle">{i:02d}</text>')
    return _frame(title, top, body, labels)


def labelled_bars(bars: Sequence[tuple[str, float]], title: str) -> Markup:
    """A bar per (label, value): a report's days, weeks, hours, kinds, activities or rooms.

    Labels are shortened to fit under their bar, and when there are many only every few are
    written (each bar's own <title> still names it and its value, for a pointer or a screen
    reader)."""
    if not bars:
        raise ChartError("a bar chart needs at least one bar")
    if any(value < 0 for _, value in bars):
        raise ChartError(f"bar values cannot be negative: {[v for _, v in bars]}")
    top = _ceiling(math.ceil(max(value for _, value in bars)))
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM
    slot = inner_w / len(bars)
    every = max(1, math.ceil(len(bars) / 12))
    room = max(3, int(slot * every / 7))  # about 7 px a character at the axis' size
    body, labels = [], []
    for i, (label, value) in enumerate(bars):
        h = inner_h * value / top
        x = LEFT + i * slot + slot * 0.1
        shown = f"{value:g}"
        body.append(f'<rect class="bar" x="{x:.1f}" y="{TOP + inner_h - h:.1f}" width="{slot * 0.8:.1f}" '
                    f'height="{h:.1f}" data-index="{i}" data-value="{shown}"><title>{escape(label)}: {shown}</title></rect>')
        if i % every == 0:
            short = label if len(label) <= room else label[: room - 1] + "…"
            labels.append(f'<text class="axis" x="{LEFT + i * slot + slot / 2:.1f}" y="{HEIGHT - 6}" '
                          f'text-anchor="middle">{escape(short)}</text>')
    return _frame(title, top, body, labels)


def steps(points: Sequence[Point], title: str, day_start: datetime, day_end: datetime) -> Markup:
    """A step line of ``points`` across one day (occupancy changes in steps, not slopes)."""
    if not points:
        raise ChartError("a line needs at least one point")
    span = (day_end - day_start).total_seconds()
    if span <= 0:
        raise ChartError(f"the day ends before it starts: {day_start} to {day_end}")
    top = _ceiling(max(p.value for p in points))
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM

    def xy(p: Point) -> tuple[float, float]:
        x = LEFT + inner_w * min(1.0, max(0.0, (p.at - day_start).total_seconds() / span))
        return x, TOP + inner_h * (1 - p.value / top)

    path = []
    for i, p in enumerate(points):
        x, y = xy(p)
        if i == 0:
            path.append(f"M{x:.1f},{y:.1f}")
        else:
            path.append(f"H{x:.1f}V{y:.1f}")
    last_x, last_y = xy(points[-1])
    body = [f'<path class="line" d="{"".join(path)}"/>',
            f'<circle class="now" cx="{last_x:.1f}" cy="{last_y:.1f}" r="4"/>']
    labels = []
    for hour in range(0, 25, 3):
        x = LEFT + inner_w * hour / 24
        labels.append(f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="middle">{hour:02d}</text>')
    return _frame(title, top, body, labels)
