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
    rows = [
        {"category": category, "series": name, "value": value}
        for name, values in series
        for category, value in zip(categories, values, strict=True)
        if value is not None
    ]
    several = len(series) > 1
    with_legend = several if legend is None else legend
    colour: dict[str, object] = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "sort": [name for name, _values in series],
        "scale": {"range": PALETTE},
        "legend": {"orient": "bottom", "direction": "vertical"} if with_legend else None,
    }
    encoding: dict[str, object] = {
        "y": {"field": "category", "type": "nominal", "sort": list(categories), "title": None},
        "x": {"field": "value", "type": "quantitative", "title": value_title, "stack": "zero" if stacked else None},
        "color": colour,
        "tooltip": [{"field": "category"}, {"field": "series"}, {"field": "value"}],
    }
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
        "config": {"font": "sans-serif", "background": "white", "view": {"stroke": None}},
    }
    return mark_safe(_render(json.dumps(spec, sort_keys=True, ensure_ascii=False)))  # noqa: S308 - escaped by the renderer


@functools.lru_cache(maxsize=128)
def _render(spec: str) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg(json.loads(spec))
