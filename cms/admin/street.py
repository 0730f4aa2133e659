"""The street's view (issue 14 point 5): per community of the street, matters received, overdue,
settled, and the three rates; hotspots by grid, category and month; a map of one community's
buildings coloured by how many matters came from each; the monthly review report (监督考核) as
PDF and XLSX. Every number comes from ``deliberation.supervision.selectors`` (SQL aggregation).

Street staff see every community of their street; committee staff their own community.
Registered from ``cms/wagtail_hooks.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from cms import page_cache
from cms.exports import _cell, _sheet, xlsx_response
from deliberation import scope
from deliberation.models import Community
from deliberation.resolutions.metrics import Period
from deliberation.supervision import selectors
from meetings.minutes.render import css_counter_content, html_to_pdf

HEAT_LEVELS = 5  # CSS classes heat-0 .. heat-4


def _communities(request: HttpRequest) -> QuerySet[Community]:
    communities = scope.supervising_communities(request.user)
    if not communities.exists():
        raise PermissionDenied
    return communities


def _month(request: HttpRequest) -> Period:
    """The period: ``?month=YYYY-MM`` (default: this month), or ``?start=&end=`` dates."""
    today = timezone.localdate()
    raw_start, raw_end = request.GET.get("start", ""), request.GET.get("end", "")
    try:
        if raw_start and raw_end:
            start, end = dt.date.fromisoformat(raw_start), dt.date.fromisoformat(raw_end)
            if start <= end:
                return Period(start, end)
        year, month = (int(x) for x in request.GET.get("month", "").split("-", 1))
        start = dt.date(year, month, 1)
    except ValueError:
        start = today.replace(day=1)
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return Period(start, following - dt.timedelta(days=1))


def _heat(count: int, top: int) -> int:
    if count == 0 or top == 0:
        return 0
    return min(HEAT_LEVELS - 1, 1 + (count * (HEAT_LEVELS - 2)) // top)


def _numbers(communities: QuerySet[Community], period: Period) -> dict[str, Any]:
    """The street's aggregates over ``communities`` in ``period``, kept per data version and
    minute (``page_cache.cached_value``): one street's dashboard aggregates every matter,
    dispatch and rating of its communities, and the same numbers serve every staff member of
    the street until the next write."""
    ids = sorted(communities.values_list("pk", flat=True))

    def compute() -> dict[str, Any]:
        chosen = Community.objects.filter(pk__in=ids)
        rows = selectors.community_measures(chosen, period)
        return {
            "rows": rows,
            "total": selectors.totals(rows),
            "hotspots": selectors.hotspots(chosen, period),
            "units": selectors.unit_measures(chosen, period),
        }

    key = f"street-numbers:{translation.get_language()}:{period.start}:{period.end}:{ids}"
    numbers: dict[str, Any] = page_cache.cached_value(key, compute)
    return numbers


def _context(request: HttpRequest) -> dict[str, Any]:
    communities = _communities(request)
    period = _month(request)
    context: dict[str, Any] = {
        "period": period,
        "month": period.start.strftime("%Y-%m"),
        **_numbers(communities, period),
        "streets": list(scope.staff_streets(request.user).order_by("name")),
    }
    return context


def street_dashboard(request: HttpRequest) -> HttpResponse:
    context = _context(request)
    communities = _communities(request)
    chosen = request.GET.get("community", "")
    community = (
        communities.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    ) or communities.order_by("name").first()
    period = context["period"]
    buildings = (
        page_cache.cached_value(
            f"street-buildings:{community.pk}:{period.start}:{period.end}",
            lambda: selectors.building_counts(community, period),
        )
        if community
        else []
    )
    top = max((b.count for b in buildings), default=0)
    grids: dict[str, list[tuple[Any, int]]] = {}
    for building in buildings:
        grids.setdefault(building.grid or _("未划网格"), []).append(
            (building, _heat(building.count, top))
        )
    context.update(
        header_title=_("街道监督"),
        community=community,
        communities=list(communities.order_by("name")),
        grids=grids,
        heat_levels=range(HEAT_LEVELS),
    )
    return render(request, "cms/admin/street/dashboard.html", context)


def review_pdf(request: HttpRequest) -> HttpResponse:
    context = _context(request)
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "cms/admin/street/review_pdf.html",
            {
                **context,
                "printed_at": timezone.localtime(),
                "page_footer_css": css_counter_content(_("第 %(page)s 页 / 共 %(pages)s 页")),
            },
        )
    response = HttpResponse(html_to_pdf(html, base_url=settings.SITE_URL), "application/pdf")
    response["Content-Disposition"] = f'inline; filename="review-{context["month"]}.pdf"'
    return response


def review_xlsx(request: HttpRequest) -> FileResponse:
    context = _context(request)
    period: Period = context["period"]
    book = Workbook(write_only=True)
    headers = [
        _("社区"),
        _("受理"),
        _("应答复"),
        _("按时答复"),
        _("响应率"),
        _("超期未答复"),
        _("已办结诉求"),
        _("决议"),
        _("已办结决议"),
        _("解决率"),
        _("评价"),
        _("满意"),
        _("满意率"),
        _("派件"),
        _("已认领"),
        _("退件"),
        _("派件超期"),
        _("上报街道"),
    ]

    def line(name: str, m: selectors.CommunityMeasures) -> list[Any]:
        return [
            name,
            m.received,
            m.response.denominator,
            m.response.numerator,
            m.response.display(),
            m.overdue,
            m.settled_matters,
            m.decided,
            m.completed,
            m.resolution.display(),
            m.rated,
            m.satisfied,
            m.satisfaction.display(),
            m.dispatched,
            m.claimed,
            m.returned,
            m.dispatch_overdue,
            m.escalated,
        ]

    rows = [line(m.name, m) for m in context["rows"]] + [line(_("合计"), context["total"])]
    _sheet(book, _("监督考核"), headers, rows)
    sheet = book.worksheets[0]
    sheet.append([])
    sheet.append([_cell(sheet, _("统计期间"), bold=True), f"{period.start} – {period.end}"])
    _sheet(
        book,
        _("责任单位"),
        [
            _("责任单位"),
            _("类型"),
            _("派件"),
            _("按时认领"),
            _("响应率"),
            _("退件"),
            _("派件超期"),
            _("上报街道"),
            _("已办结"),
            _("解决率"),
            _("评价"),
            _("满意率"),
        ],
        [
            [
                u.name,
                u.kind,
                u.dispatched,
                u.claimed_in_time,
                u.response.display(),
                u.returned,
                u.dispatch_overdue,
                u.escalated,
                u.dispatch_completed,
                u.resolution.display(),
                u.rated,
                u.satisfaction.display(),
            ]
            for u in context["units"]
        ],
    )
    _sheet(
        book,
        _("热点"),
        [_("社区"), _("网格"), _("类别"), _("月份"), _("件数")],
        [
            [h.community, h.grid, h.category, h.month.strftime("%Y-%m"), h.count]
            for h in context["hotspots"]
        ],
    )
    month = context["month"]
    return xlsx_response(book, filename=f"监督考核-{month}.xlsx", fallback=f"review-{month}.xlsx")


class _StreetMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return scope.supervising_communities(request.user).exists()


@hooks.register("register_admin_urls")
def register_street_urls() -> list[object]:
    return [
        path("street/", street_dashboard, name="street_dashboard"),
        path("street/review.pdf", review_pdf, name="street_review_pdf"),
        path("street/review.xlsx", review_xlsx, name="street_review_xlsx"),
    ]


@hooks.register("register_admin_menu_item")
def register_street_menu_item() -> MenuItem:
    return _StreetMenuItem(
        gettext_lazy("街道监督"), reverse("street_dashboard"), icon_name="table", order=186
    )
