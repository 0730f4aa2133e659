"""Server-rendered SVG bar charts: no JavaScript, readable in print and by screen readers.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that list every value
in words, text labels next to every bar (the value is never told by colour or length alone),
dark fills with an outline that survive black-and-white printing, and sizes in user units so the
chart scales with the page (``width: 100%`` in CSS).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_ids = itertools.count(1)

BAR_FILL = "#1d4f91"  # 8.6:1 on white
TRACK_FILL = "#e8eef6"
TEXT_FILL = "#1a1a1a"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None = nothing to measure; drawn as an empty track with "—"
    text: str = ""  # the value as printed next to the bar, e.g. "92.3%" or "12 天"


def bar_chart_svg(
    *,
    title: str,
    bars: list[Bar],
    max_value: float = 100.0,
    width: int = 640,
    bar_height: int = 30,
    gap: int = 16,
    chart_id: str | None = None,
) -> SafeString:
    """A horizontal bar chart, each bar under its own label line (long labels never clip). A
    ``value`` is scaled against ``max_value`` (values above it fill the track; the printed text
    stays exact)."""
    chart_id = chart_id or f"chart-{next(_ids)}"
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    value_width = 130
    track_width = width - value_width - 10
    label_height = 28
    row_height = label_height + bar_height + gap
    top = 48
    height = top + len(bars) * row_height
    desc = "; ".join(f"{bar.label}: {bar.text or '—'}" for bar in bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{title_id} {desc_id}" '
        f"font-family=\"'Noto Sans CJK SC', 'Noto Sans SC', sans-serif\">",
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(desc)}</desc>',
        f'<text x="0" y="28" font-size="26" font-weight="bold" fill="{TEXT_FILL}">'
        f"{escape(title)}</text>",
    ]
    scale = max_value if max_value > 0 else 1.0
    for index, bar in enumerate(bars):
        y = top + index * row_height
        bar_y = y + label_height
        mid = bar_y + bar_height / 2
        parts.append(
            f'<text x="0" y="{y + 21}" font-size="22" fill="{TEXT_FILL}">{escape(bar.label)}</text>'
        )
        parts.append(
            f'<rect x="0" y="{bar_y}" width="{track_width}" height="{bar_height}" '
            f'fill="{TRACK_FILL}" stroke="#5b6b80" stroke-width="1"/>'
        )
        if bar.value is not None and bar.value > 0:
            length = min(bar.value / scale, 1.0) * track_width
            parts.append(
                f'<rect x="0" y="{bar_y}" width="{length:.1f}" height="{bar_height}" '
                f'fill="{BAR_FILL}" stroke="#000" stroke-width="1"/>'
            )
        parts.append(
            f'<text x="{track_width + 10}" y="{mid:.1f}" font-size="22" font-weight="bold" '
            f'dominant-baseline="middle" fill="{TEXT_FILL}">{escape(bar.text or "—")}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
