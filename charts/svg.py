"""Bar charts as SVG, rendered on the server by Vega-Lite (the ``vl-convert-python`` package).

Why this library: Vega-Lite is maintained by the Vega project, renders in-process
(no browser, no network), and its SVG carries neither ``<script>`` nor ``<style>``
nor ``style=""`` attributes, so a chart can be written into a page under Haven's
CSP (``style-src 'self'``, ``script-src 'self'``). Labels are escaped by the renderer.

The first chart in a process starts the renderer's JavaScript engine (about 0.3 s);
later charts take about 15 ms, and the same chart twice is served from a small
in-process cache (never Redis: a chart may carry caseworkers' usernames).
Every chart is shown beside a table with the same numbers (accessibility, print).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence

from django.utils.safestring import SafeString, mark_safe

# Colour-blind-safe (Okabe-Ito), dark enough on white for text-sized marks.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
WIDTH = 320  # CSS pixels; the SVG has a viewBox and shrinks to a phone's width (haven.css .chart svg)
# Row labels longer than this (CSS pixels) end in "…". The renderer measures text in its own
# sans-serif (Liberation Sans); a reader's browser may draw it wider (DejaVu Sans: about 10%
# wider), so the chart keeps LABEL_SLACK pixels free on the left, where right-aligned labels grow.
LABEL_LIMIT = 110
LABEL_SLACK = 24


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    value_title: str,
    stacked: bool = False,
    width: int = WIDTH,
    show_title: bool = True,
    legend: bool | None = None,
) -> SafeString:
    """Horizontal bars, one row per category and one bar (or stacked segment) per series.

    ``categories``: the row labels, in display order. ``series``: ``(name, values)``
    pairs, each ``values`` as long as ``categories``; a ``None`` value draws no bar
    (a suppressed cell: the table beside the chart says why). ``legend``: None draws one
    for two series or more. ``title`` labels the chart for screen readers, and on the chart
    itself unless ``show_title`` is False (a heading beside it already says it);
    ``value_title`` labels the value axis. ``width`` in CSS pixels.

    Returns the ``<svg>`` element as a safe string (the renderer escapes every label).
    Raises ``ValueError`` if a series is not as long as ``categories``.
    """
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)} categories")
    several = len(series) > 1
    rows = [
        {
            "category": category,
            "series": name,
            "rank": rank,
            "value": value,
            "label": f"{category}, {name}: {value}" if several else f"{category}: {value}",
        }
        for rank, (name, values) in enumerate(series)
        for category, value in zip(categories, values, strict=True)
        if value is not None
    ]
    with_legend = several if legend is None else legend
    # Counts get whole-number ticks (no "2.5 beds").
    whole = all(float(row["value"]).is_integer() for row in rows)  # type: ignore[arg-type]
    colour: dict[str, object] = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "sort": [name for name, _values in series],
        "scale": {"range": PALETTE},
        "legend": {"orient": "bottom", "direction": "vertical"} if with_legend else None,
    }
    encoding: dict[str, object] = {
        "y": {
            "field": "category",
            "type": "nominal",
            "sort": list(categories),
            "scale": {"domain": list(categories)},  # a category without a value keeps its row and label
            "title": None,
            "axis": {"labelLimit": LABEL_LIMIT},
        },
        "x": {
            "field": "value",
            "type": "quantitative",
            "title": value_title,
            "stack": "zero" if stacked else None,
            "axis": {"format": "d", "tickMinStep": 1} if whole else {},
        },
        "color": colour,
        "tooltip": [{"field": "category"}, {"field": "series"}, {"field": "value"}],
        "description": {"field": "label"},  # each bar's accessible name: "Riverside, Free: 3"
    }
    if several and stacked:
        encoding["order"] = {"field": "rank", "type": "quantitative"}  # segments left to right as given
    if several and not stacked:
        encoding["yOffset"] = {"field": "series", "sort": [name for name, _values in series]}
    spec = {
        **({"title": title} if show_title else {}),
        "description": title,
        "width": width,
        "height": {"step": 14 if several and not stacked else 20},
        "data": {"values": rows},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": encoding,
        "padding": {"left": LABEL_SLACK, "top": 5, "right": 5, "bottom": 5},
        "config": {
            "font": "sans-serif",
            "background": "white",
            "view": {"stroke": None},
            # Text a phone still reads after the SVG shrinks to its width.
            "axis": {"labelFontSize": 12, "titleFontSize": 12},
            "legend": {"labelFontSize": 12},
            # Left-aligned over labels and bars, so a title drawn wider than measured grows into the free right.
            "title": {"fontSize": 14, "anchor": "start", "frame": "bounds", "offset": 8},
        },
    }
    return mark_safe(_render(json.dumps(spec, sort_keys=True, ensure_ascii=False)))  # noqa: S308 - escaped by the renderer


@functools.lru_cache(maxsize=128)
def _render(spec: str) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg(json.loads(spec))
