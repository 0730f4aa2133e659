"""Admin pages for common problems (共性问题) and area checks (排查).

Staff see the groups the task worker suggested, confirm them (keeping the matters they agree
with: that is how a group is split), dismiss them, or take a confirmed problem to the council as
one matter. An area check lists every building of the community; findings are recorded per
building and may raise new matters. Registered from ``cms/wagtail_hooks.py``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from deliberation import scope
from deliberation.exceptions import DeliberationError
from deliberation.models import (
    AreaCheck,
    AreaCheckFinding,
    Category,
    CommonProblem,
    Community,
    FindingResult,
    ProblemStatus,
)
from deliberation.problems import rules, selectors, services
from deliberation.problems.tasks import suggest_common_problems_task
from deliberation.proposals.rules import TRIAGE_PERMISSION


def _communities(request: HttpRequest) -> QuerySet[Community]:
    """Where the user may manage problems: their committee's communities and their street's."""
    own = scope.committee_communities(request.user, permission=TRIAGE_PERMISSION)
    street = scope.street_communities(request.user)
    return Community.objects.filter(pk__in=own.values("pk")) | Community.objects.filter(
        pk__in=street.values("pk")
    )


def _problem(request: HttpRequest, pk: int) -> CommonProblem:
    problem = get_object_or_404(CommonProblem.objects.select_related("community"), pk=pk)
    if not rules.can_manage_problems(request.user, problem.community):
        raise PermissionDenied
    return problem


def _check(request: HttpRequest, pk: int) -> AreaCheck:
    check = get_object_or_404(AreaCheck.objects.select_related("community"), pk=pk)
    if not rules.can_manage_problems(request.user, check.community):
        raise PermissionDenied
    return check


def _refusal(request: HttpRequest, error: DeliberationError) -> None:
    fields = getattr(error, "fields", None) or {}
    for messages_of_field in fields.values():
        for message in messages_of_field:
            messages.error(request, message)
    if not fields:
        messages.error(request, str(error))


def problems_index(request: HttpRequest) -> HttpResponse:
    communities = _communities(request)
    if not communities.exists():
        raise PermissionDenied
    problems = selectors.problems_for_communities(communities)
    return render(
        request,
        "cms/admin/problems/index.html",
        {
            "header_title": _("共性问题与排查"),
            "suggested": [p for p in problems if p.status == ProblemStatus.SUGGESTED],
            "confirmed": [p for p in problems if p.status == ProblemStatus.CONFIRMED],
            "raised": [p for p in problems if p.status == ProblemStatus.RAISED],
            "checks": selectors.checks_for_communities(communities).order_by("-opened_at"),
            "communities": communities.order_by("name"),
            "categories": Category.choices,
            "open_problems": [p for p in problems if p.status == ProblemStatus.CONFIRMED],
        },
    )


@require_POST
def problems_scan(request: HttpRequest) -> HttpResponse:
    if not _communities(request).exists():
        raise PermissionDenied
    suggest_common_problems_task.enqueue()
    messages.success(request, _("已开始比对新诉求,相似的诉求将列为待确认的共性问题。"))
    return HttpResponseRedirect(reverse("problems_index"))


def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = selectors.problem_with_matters(_problem(request, pk).pk)
    return render(
        request,
        "cms/admin/problems/detail.html",
        {
            "header_title": problem.title,
            "problem": problem,
            "links": list(problem.matters.all()),
            "decidable": problem.status in (ProblemStatus.SUGGESTED, ProblemStatus.CONFIRMED),
            "can_raise": problem.status == ProblemStatus.CONFIRMED
            and scope.is_committee_member(request.user, problem.community),
        },
    )


def _ids(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()]


@require_POST
def problem_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem(request, pk)
    try:
        services.problem_confirm(
            problem=problem,
            actor=request.user,  # type: ignore[arg-type]
            keep_ids=_ids(request.POST.getlist("keep")),
            title=request.POST.get("title", ""),
            cause=request.POST.get("cause", ""),
            split_off=request.POST.get("split_off") == "1",
        )
    except DeliberationError as error:
        _refusal(request, error)
    else:
        messages.success(request, _("已确认为共性问题。"))
    return HttpResponseRedirect(reverse("problems_detail", args=[problem.pk]))


@require_POST
def problem_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem(request, pk)
    try:
        services.problem_dismiss(problem=problem, actor=request.user)  # type: ignore[arg-type]
    except DeliberationError as error:
        _refusal(request, error)
        return HttpResponseRedirect(reverse("problems_detail", args=[problem.pk]))
    messages.success(request, _("已排除,各件诉求分别办理。"))
    return HttpResponseRedirect(reverse("problems_index"))


@require_POST
def problem_raise(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem(request, pk)
    try:
        proposal = services.problem_raise(
            problem=problem,
            actor=request.user,  # type: ignore[arg-type]
            title=request.POST.get("title", ""),
            body=request.POST.get("body", ""),
        )
    except DeliberationError as error:
        _refusal(request, error)
        return HttpResponseRedirect(reverse("problems_detail", args=[problem.pk]))
    messages.success(
        request,
        _("已作为议题「%(title)s」提交议事,%(count)s 件诉求并入一并办理。")
        % {"title": proposal.title, "count": proposal.merged_from.count()},
    )
    return HttpResponseRedirect(reverse("problems_detail", args=[problem.pk]))


@require_POST
def area_check_new(request: HttpRequest) -> HttpResponse:
    communities = _communities(request)
    if not communities.exists():
        raise PermissionDenied
    community = communities.filter(slug=request.POST.get("community", "")).first()
    if community is None:
        messages.error(request, _("请选择社区。"))
        return HttpResponseRedirect(reverse("problems_index"))
    problem = None
    problem_id = request.POST.get("problem", "")
    if problem_id.isdigit():
        problem = CommonProblem.objects.filter(pk=int(problem_id)).first()
    try:
        check = services.area_check_open(
            community=community,
            actor=request.user,  # type: ignore[arg-type]
            title=request.POST.get("title", ""),
            category=request.POST.get("category", ""),
            problem=problem,
        )
    except DeliberationError as error:
        _refusal(request, error)
        return HttpResponseRedirect(reverse("problems_index"))
    return HttpResponseRedirect(reverse("problems_check", args=[check.pk]))


def area_check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    check = selectors.check_with_findings(_check(request, pk).pk)
    findings = list(check.findings.all())
    return render(
        request,
        "cms/admin/problems/check.html",
        {
            "header_title": check.title,
            "check": check,
            "findings": findings,
            "done": sum(1 for f in findings if f.result != FindingResult.PENDING),
            "found": sum(1 for f in findings if f.result == FindingResult.FOUND),
            "pending": FindingResult.PENDING,
            "results": [
                (FindingResult.CLEAR, FindingResult.CLEAR.label),
                (FindingResult.FOUND, FindingResult.FOUND.label),
            ],
        },
    )


@require_POST
def area_check_record(request: HttpRequest, pk: int) -> HttpResponse:
    check = _check(request, pk)
    raw = request.POST.get("finding", "")
    finding = (
        AreaCheckFinding.objects.select_related("area_check__community", "area_check__problem")
        .filter(pk=int(raw) if raw.isdigit() else 0, area_check=check)
        .first()
    )
    if finding is None:
        messages.error(request, _("请选择要记录的楼栋。"))
        return HttpResponseRedirect(reverse("problems_check", args=[check.pk]))
    try:
        services.finding_record(
            finding=finding,
            actor=request.user,  # type: ignore[arg-type]
            result=request.POST.get("result", ""),
            note=request.POST.get("note", ""),
            raise_matter=request.POST.get("raise_matter") == "1",
        )
    except DeliberationError as error:
        _refusal(request, error)
    else:
        messages.success(
            request, _("%(building)s 的排查结果已记录。") % {"building": finding.building.name}
        )
    return HttpResponseRedirect(reverse("problems_check", args=[check.pk]) + f"#f{finding.pk}")


@require_POST
def area_check_close(request: HttpRequest, pk: int) -> HttpResponse:
    check = _check(request, pk)
    services.area_check_close(check=check, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("排查已结束。"))
    return HttpResponseRedirect(reverse("problems_check", args=[check.pk]))


class _ProblemsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return _communities(request).exists()


@hooks.register("register_admin_urls")
def register_problem_urls() -> list[object]:
    return [
        path("problems/", problems_index, name="problems_index"),
        path("problems/scan/", problems_scan, name="problems_scan"),
        path("problems/<int:pk>/", problem_detail, name="problems_detail"),
        path("problems/<int:pk>/confirm/", problem_confirm, name="problems_confirm"),
        path("problems/<int:pk>/dismiss/", problem_dismiss, name="problems_dismiss"),
        path("problems/<int:pk>/raise/", problem_raise, name="problems_raise"),
        path("problems/checks/new/", area_check_new, name="problems_check_new"),
        path("problems/checks/<int:pk>/", area_check_detail, name="problems_check"),
        path("problems/checks/<int:pk>/record/", area_check_record, name="problems_check_record"),
        path("problems/checks/<int:pk>/close/", area_check_close, name="problems_check_close"),
    ]


@hooks.register("register_admin_menu_item")
def register_problems_menu_item() -> MenuItem:
    return _ProblemsMenuItem(
        gettext_lazy("共性问题"), reverse("problems_index"), icon_name="list-ul", order=260
    )
