"""Meetings in the Wagtail admin: a list of the community's meetings and a form to schedule
one (time, place, facilitator, public or not, agenda from accepted proposals). Thin: the form
validates, ``meetings.services.meeting_schedule`` writes. Each agenda item carries its
proposal's draft poll, if there is one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from deliberation.models import Community, Proposal, ProposalStatus, User
from deliberation.scope import staff_communities
from meetings.exceptions import MeetingRefused
from meetings.models import Meeting
from meetings.rules import facilitator_choices, may_facilitate
from meetings.services import meeting_schedule
from votes.models import Poll, PollStatus


class ScheduleForm(forms.Form):
    community = forms.ModelChoiceField(
        queryset=Community.objects.none(), label=gettext_lazy("社区")
    )
    title = forms.CharField(max_length=120, label=gettext_lazy("会议名称"))
    starts_at = forms.DateTimeField(
        label=gettext_lazy("时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(max_length=120, label=gettext_lazy("地点"))
    facilitator = forms.ModelChoiceField(queryset=User.objects.none(), label=gettext_lazy("主持人"))
    is_public = forms.BooleanField(required=False, initial=True, label=gettext_lazy("公开旁听"))
    proposals = forms.ModelMultipleChoiceField(
        queryset=Proposal.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("议程(已受理的议题)"),
    )

    def __init__(self, *args: Any, communities: QuerySet[Community], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("community").queryset = communities
        if communities.count() == 1:
            self.fields["community"].initial = communities.first()
        # Committee staff only: property and department staff never facilitate.
        self._choices("facilitator").queryset = facilitator_choices(communities)
        self._choices("proposals").queryset = Proposal.objects.filter(
            community__in=communities,
            status__in=[ProposalStatus.ACCEPTED, ProposalStatus.NOT_ADOPTED],
        ).order_by("submitted_at")

    def _choices(self, name: str) -> forms.ModelChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)  # declared above
        return field

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        community = data.get("community")
        if community is not None:
            for proposal in data.get("proposals") or []:
                if proposal.community_id != community.pk:
                    self.add_error("proposals", _("只能选择本社区的议题"))
            facilitator = data.get("facilitator")
            if facilitator and not may_facilitate(facilitator, community):
                self.add_error("facilitator", _("主持人须为本社区居委会工作人员"))
        return data


def _communities(request: HttpRequest) -> QuerySet[Community]:
    communities = staff_communities(request.user)
    if not communities.exists():
        raise PermissionDenied
    return communities


def meetings_admin_list(request: HttpRequest) -> HttpResponse:
    communities = _communities(request)
    meetings = (
        Meeting.objects.filter(community__in=communities)
        .select_related("community", "facilitator")
        .order_by("-starts_at")[:100]
    )
    return render(
        request,
        "cms/admin/meetings/list.html",
        {"meetings": meetings, "header_title": _("议事会")},
    )


def meetings_admin_schedule(request: HttpRequest) -> HttpResponse:
    communities = _communities(request)
    actor = request.user
    if not isinstance(actor, User):
        raise PermissionDenied
    form = ScheduleForm(request.POST or None, communities=communities)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proposals = list(data["proposals"])
        polls: dict[int, Poll] = {}
        for poll in Poll.objects.filter(proposal__in=proposals, status=PollStatus.DRAFT).order_by(
            "created_at"
        ):
            if poll.proposal_id is not None:
                polls.setdefault(poll.proposal_id, poll)
        try:
            meeting = meeting_schedule(
                community=data["community"],
                title=data["title"],
                starts_at=data["starts_at"],
                place=data["place"],
                facilitator=data["facilitator"],
                actor=actor,
                is_public=data["is_public"],
                proposals=proposals,
                polls=polls,
            )
        except MeetingRefused as exc:
            form.add_error(None, exc.message)
            status = 400
        else:
            messages.success(
                request,
                _("已安排议事会「%(title)s」，签到码 %(code)s")
                % {"title": meeting.title, "code": meeting.checkin_code},
            )
            return HttpResponseRedirect(reverse("meetings_admin_list"))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "cms/admin/meetings/schedule.html",
        {"form": form, "header_title": _("安排议事会")},
        status=status,
    )


class _MeetingsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return staff_communities(request.user).exists()


@hooks.register("register_admin_urls")
def register_meeting_urls() -> list[object]:
    return [
        path("meetings/", meetings_admin_list, name="meetings_admin_list"),
        path("meetings/schedule/", meetings_admin_schedule, name="meetings_admin_schedule"),
    ]


@hooks.register("register_admin_menu_item")
def register_meetings_menu_item() -> MenuItem:
    return _MeetingsMenuItem(
        gettext_lazy("议事会"), reverse("meetings_admin_list"), icon_name="group", order=220
    )
