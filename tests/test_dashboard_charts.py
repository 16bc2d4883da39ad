"""Server-drawn SVG charts: well-formed, scaled, labelled, escaped; bad data refused."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from appliance.views.overview import Point
from kiosk import charts

SVG = "{http://www.w3.org/2000/svg}"
ZONE = ZoneInfo("Europe/London")
DAY = datetime(2026, 3, 2, tzinfo=ZONE)


def test_bars_one_per_hour_scaled_to_the_tallest() -> None:
    values = [0] * 24
    values[9], values[10] = 4, 2
    root = ET.fromstring(str(charts.bars(values, "People in, per hour today")))
    rects = root.findall(f"{SVG}rect")
    assert len(rects) == 24
    heights = {int(r.get("data-index", -1)): float(r.get("height", 0)) for r in rects}
    assert heights[9] == pytest.approx(2 * heights[10]) and heights[0] == 0
    assert root.find(f"{SVG}title").text == "People in, per hour today"  # type: ignore[union-attr]


def test_steps_draws_a_step_line_across_the_day() -> None:
    points = [Point(DAY, 0), Point(DAY + timedelta(hours=12), 3), Point(DAY + timedelta(hours=18), 1)]
    root = ET.fromstring(str(charts.steps(points, "Occupancy today", DAY, DAY + timedelta(days=1))))
    path = root.find(f"{SVG}path")
    assert path is not None
    d = path.get("d", "")
    assert d.startswith("M") and d.count("H") == 2 and d.count("V") == 2
    circle = root.find(f"{SVG}circle")
    assert circle is not None and float(circle.get("cx", 0)) == pytest.approx(36 + (600 - 44) * 0.75)


def test_titles_are_escaped() -> None:
    svg = str(charts.bars([1], "<script>alert(1)</script>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


@pytest.mark.parametrize("values", [[], [1, -1]])
def test_bad_bar_data_is_refused(values: list[int]) -> None:
    with pytest.raises(charts.ChartError):
        charts.bars(values, "x")


def test_bad_line_data_is_refused() -> None:
    with pytest.raises(charts.ChartError):
        charts.steps([], "x", DAY, DAY + timedelta(days=1))
    with pytest.raises(charts.ChartError):
        charts.steps([Point(DAY, 1)], "x", DAY, DAY)


def test_labelled_bars_draw_every_bar_and_thin_their_labels() -> None:
    bars = [(f"{d} Oct", float(d)) for d in range(1, 32)]
    root = ET.fromstring(str(charts.labelled_bars(bars, "People in per day")))
    rects = root.findall(f"{SVG}rect")
    assert len(rects) == 31
    assert rects[-1].find(f"{SVG}title").text == "31 Oct: 31"  # type: ignore[union-attr]
    labels = [t.text for t in root.findall(f"{SVG}text") if t.get("y") == str(200 - 6)]
    assert 8 <= len(labels) <= 12 and labels[0] == "1 Oct"  # every third, so they never overlap


def test_labelled_bars_shorten_long_labels_and_escape_them() -> None:
    svg = str(charts.labelled_bars([("<b>" + "x" * 200, 2.5), ("Cafe", 0)], "Hours per activity"))
    assert "<b>" not in svg and "…" in svg and "x" * 200 in svg  # the full label stays in the bar's title
    with pytest.raises(charts.ChartError):
        charts.labelled_bars([], "x")
    with pytest.raises(charts.ChartError):
        charts.labelled_bars([("a", -1)], "x")
