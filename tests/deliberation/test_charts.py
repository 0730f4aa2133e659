"""Server-rendered bar charts: an accessible figure, every value in text, escaped, no script."""

import xml.etree.ElementTree as ET

from cms.charts import Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_chart_is_a_captioned_list_that_prints_every_value():
    html = bar_chart(
        title="各责任方满意率",
        bars=[
            Bar("物业", 90.9, "90.9%"),
            Bar("社区居委会", None, ""),
            Bar("<b>x</b>", 150, "150%"),
        ],
        chart_id="c1",
    )
    root = ET.fromstring(str(html))  # noqa: S314 - our own markup, in a test
    assert root.tag == "figure" and root.get("aria-labelledby") == "c1-title"
    assert root.find("figcaption").text == "各责任方满意率"
    rows = root.findall("./ul/li")
    labels = [row.find("span[@class='bar-label']").text for row in rows]
    values = [row.find(".//span[@class='bar-value']").text for row in rows]
    assert labels == ["物业", "社区居委会", "<b>x</b>"]
    assert values == ["90.9%", "—", "150%"]
    # Each bar is a decorative SVG (its value is the text beside it) on a 0–100 track: filled
    # 90.9%; track only for "no data"; filled and clipped to the track.
    fills = []
    for row in rows:
        svg = row.find(f".//{SVG}svg")
        assert svg.get("aria-hidden") == "true" and svg.get("viewBox") == "0 0 100 10"
        rects = svg.findall(f"{SVG}rect")
        assert rects[0].get("width") == "100"
        fills.append(rects[1].get("width") if len(rects) > 1 else None)
    assert fills == ["90.9", None, "100.0"]
    assert "<script" not in str(html) and "<b>" not in str(html)
