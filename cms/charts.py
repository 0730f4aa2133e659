"""Server-rendered bar charts: no JavaScript, readable in print, by screen readers and in 长辈版.

A chart is a ``<figure>`` whose caption is its title and whose rows are an HTML list: each label
and value is real text, so it wraps, follows the page's font size (the elder mode's 24 px
included) and fits a 390 px phone. Only the bar itself is a tiny SVG (``viewBox`` 0–100, stretched
to the row's width): its length is an attribute, so the Content-Security-Policy needs no inline
style, and the value is never told by length alone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_ids = itertools.count(1)

BAR_FILL = "#1d4f91"  # 8.6:1 on white
TRACK_FILL = "#e8eef6"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None = nothing to measure; drawn as an empty track with "—"
    text: str = ""  # the value as printed next to the bar, e.g. "92.3%" or "12 天"


def _bar_svg(value: float | None, scale: float) -> str:
    length = 0.0
    if value is not None and value > 0:
        length = min(value / scale, 1.0) * 100
    fill = (
        f'<rect class="bar-fill" x="0" y="0" width="{length:.1f}" height="10" fill="{BAR_FILL}" '
        f'stroke="#000" stroke-width="0.5" vector-effect="non-scaling-stroke"/>'
        if length
        else ""
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="bar-svg" viewBox="0 0 100 10" '
        'preserveAspectRatio="none" aria-hidden="true" focusable="false">'
        f'<rect x="0" y="0" width="100" height="10" fill="{TRACK_FILL}" stroke="#5b6b80" '
        'stroke-width="1" vector-effect="non-scaling-stroke"/>'
        f"{fill}</svg>"
    )


def bar_chart(
    *,
    title: str,
    bars: list[Bar],
    max_value: float = 100.0,
    chart_id: str | None = None,
) -> SafeString:
    """A horizontal bar chart, each bar under its own label line (long labels wrap). A ``value``
    is scaled against ``max_value`` (values above it fill the track; the printed text stays
    exact)."""
    chart_id = chart_id or f"chart-{next(_ids)}"
    scale = max_value if max_value > 0 else 1.0
    rows = "".join(
        '<li class="bar">'
        f'<span class="bar-label">{escape(bar.label)}</span>'
        f'<span class="bar-row">{_bar_svg(bar.value, scale)}'
        f'<span class="bar-value">{escape(bar.text or "—")}</span></span>'
        "</li>"
        for bar in bars
    )
    chart_id = escape(chart_id)
    return mark_safe(  # noqa: S308 - every interpolated text is escaped above
        f'<figure class="bar-chart" id="{chart_id}" aria-labelledby="{chart_id}-title">'
        f'<figcaption id="{chart_id}-title">{escape(title)}</figcaption>'
        f'<ul class="bars">{rows}</ul></figure>'
    )
