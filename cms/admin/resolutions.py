"""Wagtail-admin views for resolutions: the supervision list (督办台), one resolution's actions
(progress with photos, completion report, reopening, follow-up), creating a resolution for a
matter settled without a vote, and the metrics. Hooks register on import (from
``cms/wagtail_hooks.py``).

Thin: forms parse, ``deliberation.resolutions.services`` decides and checks permissions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from cms.forms.resolutions import (
    CompleteForm,
    FollowUpForm,
    MetricsPeriodForm,
    ProgressForm,
    ReopenForm,
)
from cms.reports import metrics_report
from deliberation import scope
from deliberation.exceptions import DeliberationError, InvalidInput
from deliberation.models import (
    STAFF_PARTIES,
    Community,
    Party,
    Proposal,
    ProposalStatus,
    Resolution,
    ResolutionStatus,
    User,
)
from deliberation.proposals.services import proposal_transition
from deliberation.registry import selectors as registry_selectors
from deliberation.resolutions import rules as resolution_rules
from deliberation.resolutions import selectors as resolution_selectors
from deliberation.resolutions.services import (
    PhotoInput,
    followup_record,
    progress_post,
    resolution_complete,
    resolution_create,
    resolution_reopen,
)

PAGE_SIZE = 50


def _staff(request: HttpRequest) -> tuple[User, list[Community]]:
    """The signed-in user and the communities where they are staff, by name; refused when none."""
    user = request.user
    communities = list(scope.staff_communities(user).order_by("name"))
    if not isinstance(user, User) or not communities:
        raise PermissionDenied
    return user, communities


def _resolution(request: HttpRequest, pk: int) -> tuple[User, Resolution]:
    """The signed-in user and the resolution, for staff of its own community only."""
    resolution = get_object_or_404(
        Resolution.objects.select_related("community", "proposal", "responsible_person"), pk=pk
    )
    user = request.user
    if not isinstance(user, User) or not scope.is_community_staff(user, resolution.community):
        raise PermissionDenied
    return user, resolution


# --- list ---------------------------------------------------------------------------------------


def resolution_admin_list(request: HttpRequest) -> HttpResponse:
    user, communities = _staff(request)
    qs = Resolution.objects.filter(community__in=communities).select_related(
        "community", "proposal"
    )
    status = request.GET.get("status", "")
    if status in ResolutionStatus.values:
        qs = qs.filter(status=status)
    today = timezone.localdate()
    if request.GET.get("overdue"):
        qs = qs.filter(status__in=resolution_selectors.RESOLUTION_OPEN_STATUSES, deadline__lt=today)
    if request.GET.get("mine"):
        parties = set(scope.parties_by_community(user).values())
        qs = qs.filter(responsible_party__in=parties)
    page = Paginator(qs.order_by("deadline", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cms/admin/resolutions_list.html",
        {
            "header_title": _("决议督办"),
            "page": page,
            "rows": [(r, r.is_overdue(today)) for r in page.object_list],
            "statuses": ResolutionStatus.choices,
            "status": status,
            "query": query.urlencode(),
            "can_create": any(
                resolution_rules.can_manage_resolutions(user, c) for c in communities
            ),
        },
    )


# --- one resolution -----------------------------------------------------------------------------


def _photos(form: forms.Form, stage: str) -> list[PhotoInput]:
    return [PhotoInput(file=f, stage=stage) for f in form.cleaned_data.get("photos") or []]


def _apply_errors(form: forms.Form, exc: DeliberationError) -> None:
    if isinstance(exc, InvalidInput) and exc.fields:
        for name, errors in exc.fields.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        form.add_error(None, exc.message or str(exc))


def resolution_admin_manage(request: HttpRequest, pk: int) -> HttpResponse:
    user, resolution = _resolution(request, pk)
    can_progress = resolution_rules.can_post_progress(user, resolution)
    can_reopen = resolution_rules.can_reopen_resolution(user, resolution)
    can_followup = resolution_rules.can_record_followup(user, resolution)
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    action = request.POST.get("action", "") if data else ""
    bound = {
        "progress": ProgressForm(data if action == "progress" else None, files, prefix="progress"),
        "complete": CompleteForm(data if action == "complete" else None, files, prefix="complete"),
        "reopen": ReopenForm(data if action == "reopen" else None, prefix="reopen"),
        "followup": FollowUpForm(data if action == "followup" else None, prefix="followup"),
    }
    if action in bound:
        form = bound[action]
        if form.is_valid():
            try:
                done = _act(user, resolution, action, form)
            except DeliberationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, done)
                return HttpResponseRedirect(reverse("deliberation_resolution_manage", args=[pk]))
    is_open = resolution.status in resolution_selectors.RESOLUTION_OPEN_STATUSES
    return render(
        request,
        "cms/admin/resolution_manage.html",
        {
            "header_title": _("决议督办:%(title)s") % {"title": resolution.proposal.title},
            "resolution": resolution,
            "overdue": resolution.is_overdue(),
            "forms": bound,
            "show_progress": can_progress and is_open,
            "show_reopen": can_reopen and resolution.status == ResolutionStatus.COMPLETED,
            "show_followup": can_followup,
            "transitions": list(resolution.transitions.select_related("actor")),
            "updates": list(resolution.updates.select_related("author").prefetch_related("photos")),
            "followups": list(resolution.followups.select_related("member__user", "staff")),
            "summary": resolution_selectors.resolution_rating_summary(resolution=resolution),
            "public_url": reverse_public(resolution),
        },
        status=400 if action in bound else 200,
    )


def reverse_public(resolution: Resolution) -> str:
    return reverse("resolution-detail", args=[resolution.community.slug, resolution.pk])


def _act(user: User, resolution: Resolution, action: str, form: forms.Form) -> str:
    data = form.cleaned_data
    if action == "progress":
        progress_post(
            resolution=resolution,
            actor=user,
            text=data["text"],
            percent=data["percent"],
            photos=_photos(form, data["stage"]),
        )
        return _("进展已发布。")
    if action == "complete":
        resolution_complete(
            resolution=resolution,
            actor=user,
            report=data["report"],
            photos=_photos(form, "after"),
        )
        return _("已办结,满意度测评开始。")
    if action == "reopen":
        resolution_reopen(
            resolution=resolution,
            actor=user,
            reason=data["reason"],
            deadline=data["deadline"],
        )
        return _("已重新办理。")
    member = None
    if data["phone"]:
        member = registry_selectors.member_by_phone(
            community=resolution.community, phone=data["phone"]
        )
        if member is None:
            raise InvalidInput(
                _("本社区没有这个手机号的成员。"),
                fields={"phone": [_("本社区没有这个手机号的成员。")]},
            )
    followup_record(
        resolution=resolution,
        actor=user,
        kind=data["kind"],
        member=member,
        note=data["note"],
        score=data["score"],
        comment=data["comment"],
    )
    return _("回访已登记。")


# --- create (matters settled without a vote) ----------------------------------------------------


class ResolutionCreateForm(forms.Form):
    proposal = forms.ModelChoiceField(label=gettext_lazy("议题"), queryset=Proposal.objects.none())
    decision = forms.CharField(
        label=gettext_lazy("决议内容"), widget=forms.Textarea(attrs={"rows": 4})
    )
    responsible_party = forms.ChoiceField(
        label=gettext_lazy("责任方"), choices=[(p, Party(p).label) for p in STAFF_PARTIES]
    )
    deadline = forms.DateField(
        label=gettext_lazy("办结期限"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=gettext_lazy("说明(如:经协商无需表决)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, communities: Iterable[Community] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["proposal"]).queryset = Proposal.objects.filter(
            community__in=communities,
            status__in=[ProposalStatus.ACCEPTED, ProposalStatus.DECIDED],
        ).order_by("-submitted_at")


def resolution_admin_create(request: HttpRequest) -> HttpResponse:
    user, staff_of = _staff(request)
    communities = [c for c in staff_of if resolution_rules.can_manage_resolutions(user, c)]
    if not communities:
        raise PermissionDenied
    initial: dict[str, object] = {"deadline": timezone.localdate() + dt.timedelta(days=30)}
    if request.GET.get("proposal"):
        initial["proposal"] = request.GET["proposal"]
    form = ResolutionCreateForm(request.POST or None, initial=initial, communities=communities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proposal = data["proposal"]
        try:
            if proposal.status != ProposalStatus.DECIDED:
                proposal = proposal_transition(
                    proposal=proposal,
                    to_status=ProposalStatus.DECIDED,
                    actor=user,
                    note=data["note"],
                )
            resolution = resolution_create(
                proposal=proposal,
                decision=data["decision"],
                responsible_party=data["responsible_party"],
                deadline=data["deadline"],
                actor=user,
                note=data["note"],
            )
        except DeliberationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("决议已形成。"))
            return HttpResponseRedirect(
                reverse("deliberation_resolution_manage", args=[resolution.pk])
            )
    return render(
        request,
        "cms/admin/resolution_create.html",
        {"header_title": _("形成决议(无需表决的事项)"), "form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- metrics ------------------------------------------------------------------------------------


def resolution_admin_metrics(request: HttpRequest) -> HttpResponse:
    _user, communities = _staff(request)
    chosen = communities[0]
    slug = request.GET.get("community")
    if slug:
        chosen = next((c for c in communities if c.slug == slug), chosen)
    params = request.GET.copy()
    params.pop("community", None)
    form = MetricsPeriodForm(params or None)
    start, end = form.period()
    return render(
        request,
        "cms/admin/resolution_metrics.html",
        {
            "header_title": _("办理指标"),
            "communities": communities,
            "community": chosen,
            "admin_community": True,
            "form": form,
            **metrics_report(community=chosen, start=start, end=end),
        },
    )


# --- hooks --------------------------------------------------------------------------------------


class _ResolutionsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return scope.staff_communities(request.user).exists()


@hooks.register("register_admin_urls")
def register_resolution_urls() -> list[object]:
    return [
        path("resolutions/", resolution_admin_list, name="deliberation_resolution_list"),
        path("resolutions/new/", resolution_admin_create, name="deliberation_resolution_create"),
        path(
            "resolutions/metrics/", resolution_admin_metrics, name="deliberation_resolution_metrics"
        ),
        path(
            "resolutions/<int:pk>/", resolution_admin_manage, name="deliberation_resolution_manage"
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_resolutions_menu_item() -> MenuItem:
    return _ResolutionsMenuItem(
        gettext_lazy("决议督办"),
        reverse("deliberation_resolution_list"),
        icon_name="list-ul",
        order=220,
    )


@hooks.register("register_admin_menu_item")
def register_resolution_metrics_menu_item() -> MenuItem:
    return _ResolutionsMenuItem(
        gettext_lazy("办理指标"),
        reverse("deliberation_resolution_metrics"),
        icon_name="table",
        order=221,
    )
