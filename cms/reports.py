"""The metrics report shown on the public metrics page and in the admin: the rates for a
community and per responsible party over a period, with server-rendered bar charts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from cms.charts import Bar, bar_chart
from deliberation.models import Community, Party
from deliberation.resolutions import metrics
from deliberation.resolutions import selectors as resolution_selectors

PARTIES = (Party.PROPERTY, Party.COMMITTEE, Party.DEPARTMENT, Party.RESIDENT)


def _rate_bar(label: str, rate: metrics.Rate) -> Bar:
    return Bar(label=str(label), value=rate.percent, text=rate.display())


def metrics_report(*, community: Community, start: dt.date, end: dt.date) -> dict[str, Any]:
    """``period``, ``overall`` (:class:`metrics.Metrics`), ``party_rows`` [(label, Metrics)] and
    ``charts`` (HTML figures). Three queries."""
    period = metrics.Period(start, end)
    proposals, resolutions, ratings = resolution_selectors.metrics_facts(
        community=community, period=period
    )
    now = timezone.now()
    overall = metrics.compute(
        proposals=proposals, resolutions=resolutions, ratings=ratings, period=period, as_of=now
    )
    by_party = metrics.compute_by_party(
        proposals=proposals,
        resolutions=resolutions,
        ratings=ratings,
        period=period,
        as_of=now,
        parties=PARTIES,
    )
    party_rows = [(str(Party(p).label), by_party[p]) for p in PARTIES]
    charts = [
        bar_chart(
            title=_("本社区四项指标"),
            bars=[
                _rate_bar(_("响应率"), overall.response),
                _rate_bar(_("解决率"), overall.resolution),
                _rate_bar(_("满意率"), overall.satisfaction),
                _rate_bar(_("按时办结率"), overall.on_time),
            ],
            chart_id="chart-overall",
        )
    ]
    for key, title in (
        ("resolution", _("各责任方解决率")),
        ("satisfaction", _("各责任方满意率")),
        ("on_time", _("各责任方按时办结率")),
    ):
        charts.append(
            bar_chart(
                title=title,
                bars=[_rate_bar(label, getattr(m, key)) for label, m in party_rows],
                chart_id=f"chart-{key}",
            )
        )
    longest = max([m.median_days or 0 for _label, m in party_rows] + [1])
    charts.append(
        bar_chart(
            title=_("各责任方办结天数(中位数)"),
            bars=[
                Bar(
                    label=label,
                    value=m.median_days,
                    text=(
                        _("%(days)s 天") % {"days": m.median_days}
                        if m.median_days is not None
                        else "—"
                    ),
                )
                for label, m in party_rows
            ],
            max_value=float(longest),
            chart_id="chart-days",
        )
    )
    return {"period": period, "overall": overall, "party_rows": party_rows, "charts": charts}
