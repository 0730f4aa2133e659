"""XLSX downloads of the ledger (cms/exports.py builds the workbooks).

Matters and resolutions carry names and phone-free personal data: staff of the community only.
A poll's ballots: committee staff who may export ballots. The metrics are aggregates, public
like the metrics page.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from cms import exports
from cms.forms.resolutions import MetricsPeriodForm
from cms.reports import metrics_report
from deliberation import scope
from deliberation.models import Community
from votes import rules as vote_rules
from votes import selectors as vote_selectors


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d")


def _staff_community(request: HttpRequest, slug: str) -> Community | HttpResponse:
    community = get_object_or_404(Community, slug=slug)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not scope.can_view_unpublished(request.user, community):
        raise PermissionDenied
    return community


def export_proposals(request: HttpRequest, community: str) -> HttpResponseBase:
    """议题台账 of one community as XLSX (its staff only)."""
    place = _staff_community(request, community)
    if isinstance(place, HttpResponse):
        return place
    return exports.xlsx_response(
        exports.proposals_workbook(community=place),
        filename=_("%(community)s议题台账-%(date)s.xlsx")
        % {"community": place.name, "date": _stamp()},
        fallback=f"proposals-{place.slug}-{_stamp()}.xlsx",
    )


def export_resolutions(request: HttpRequest, community: str) -> HttpResponseBase:
    """决议台账 (progress and ratings) of one community as XLSX (its staff only)."""
    place = _staff_community(request, community)
    if isinstance(place, HttpResponse):
        return place
    return exports.xlsx_response(
        exports.resolutions_workbook(community=place),
        filename=_("%(community)s决议台账-%(date)s.xlsx")
        % {"community": place.name, "date": _stamp()},
        fallback=f"resolutions-{place.slug}-{_stamp()}.xlsx",
    )


def export_poll(request: HttpRequest, community: str, pk: int) -> HttpResponseBase:
    """A poll's result and its ballots by unit as XLSX (committee staff, once opened)."""
    place = get_object_or_404(Community, slug=community)
    poll = vote_selectors.poll_get(community=place, pk=pk)
    if poll is None or not vote_rules.can_view_poll(request.user, poll):
        raise Http404(_("没有找到该表决。"))
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not vote_rules.can_export_ballots(request.user, poll):
        raise PermissionDenied
    return exports.xlsx_response(
        exports.poll_workbook(poll=poll),
        filename=_("表决结果-%(id)s-%(date)s.xlsx") % {"id": poll.pk, "date": _stamp()},
        fallback=f"poll-{poll.pk}-{_stamp()}.xlsx",
    )


def export_metrics(request: HttpRequest, community: str) -> HttpResponseBase:
    """办理指标 of a period (``?preset=90`` or ``?preset=custom&start=&end=``) as XLSX; public."""
    place = get_object_or_404(Community, slug=community)
    form = MetricsPeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(
            "；".join(str(e) for errors in form.errors.values() for e in errors),
            content_type="text/plain; charset=utf-8",
        )
    start, end = form.period()
    report = metrics_report(community=place, start=start, end=end)
    book = exports.metrics_workbook(
        community=place,
        period_label=f"{start:%Y-%m-%d} — {end:%Y-%m-%d}",
        overall=report["overall"],
        party_rows=report["party_rows"],
    )
    response: FileResponse = exports.xlsx_response(
        book,
        filename=_("%(community)s办理指标-%(start)s-%(end)s.xlsx")
        % {"community": place.name, "start": f"{start:%Y%m%d}", "end": f"{end:%Y%m%d}"},
        fallback=f"metrics-{place.slug}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
    )
    return response
