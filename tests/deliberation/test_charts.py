"""Server-rendered SVG bar charts: accessible names, every value in text, escaped, no script."""

import xml.etree.ElementTree as ET

from cms.charts import Bar, bar_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_chart_is_accessible_and_prints_every_value():
    svg = bar_chart_svg(
        title="各责任方满意率",
        bars=[
            Bar("物业", 90.9, "90.9%"),
            Bar("社区居委会", None, ""),
            Bar("<b>x</b>", 150, "150%"),
        ],
        chart_id="c1",
    )
    root = ET.fromstring(str(svg))  # noqa: S314 - our own markup, in a test
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "各责任方满意率"
    assert root.find(f"{SVG}desc").text == "物业: 90.9%; 社区居委会: —; <b>x</b>: 150%"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["各责任方满意率", "物业", "90.9%", "社区居委会", "—", "<b>x</b>", "150%"]
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    track = widths[0]
    # track, filled 90.9%; track only for "no data"; track, filled and clipped to the track.
    assert widths == [track, round(track * 0.909, 1), track, track, track]
    assert "<script" not in str(svg) and "<b>" not in str(svg)
