"""Meetings in the Wagtail admin: a list of the community's meetings, a form to schedule one
(time, place, facilitator, public or not, agenda from accepted proposals), and a page per
meeting to edit, reschedule, cancel and reorder it and to complete the draft resolutions it
left. Thin: the forms validate, ``meetings.services`` writes. Each agenda item carries its
proposal's draft poll, if there is one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from deliberation.exceptions import DeliberationError
from deliberation.models import (
    Community,
    Party,
    Proposal,
    ProposalStatus,
    Resolution,
    ResolutionStatus,
    User,
)
from deliberation.resolutions.services import resolution_assign
from meetings import transitions
from meetings.exceptions import MeetingRefused
from meetings.models import Meeting, MeetingStatus
from meetings.rules import (
    SCHEDULE_MEETING_PERMISSION,
    VIEW_MEETING_PERMISSION,
    admin_communities,
    facilitator_choices,
    may_facilitate,
)
from meetings.services import (
    agenda_reorder,
    meeting_cancel,
    meeting_edit,
    meeting_reschedule,
    meeting_schedule,
)
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


def _communities(request: HttpRequest, permission: str) -> QuerySet[Community]:
    # Committee staff only (DESIGN.md "Roles"): property and department staff never schedule.
    communities = admin_communities(request.user, permission=permission)
    if not communities.exists():
        raise PermissionDenied
    return communities


def meetings_admin_list(request: HttpRequest) -> HttpResponse:
    communities = _communities(request, VIEW_MEETING_PERMISSION)
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
    communities = _communities(request, SCHEDULE_MEETING_PERMISSION)
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


# --- after scheduling: edit, reschedule, cancel, reorder, complete the draft resolutions ---


class EditForm(forms.Form):
    title = forms.CharField(max_length=120, label=gettext_lazy("会议名称"))
    facilitator = forms.ModelChoiceField(queryset=User.objects.none(), label=gettext_lazy("主持人"))
    is_public = forms.BooleanField(required=False, label=gettext_lazy("公开旁听"))

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["facilitator"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = facilitator_choices(Community.objects.filter(pk=meeting.community_id))


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=gettext_lazy("新的时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(max_length=120, label=gettext_lazy("地点"))
    reason = forms.CharField(
        max_length=500,
        label=gettext_lazy("改期原因(将通知参会人员)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label=gettext_lazy("取消原因(将通知参会人员)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AssignForm(forms.Form):
    resolution = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.CharField(
        label=gettext_lazy("决议内容"), widget=forms.Textarea(attrs={"rows": 3})
    )
    responsible_party = forms.ChoiceField(choices=Party.choices, label=gettext_lazy("责任方"))
    deadline = forms.DateField(
        label=gettext_lazy("办结期限"), widget=forms.DateInput(attrs={"type": "date"})
    )


def _managed_meeting(request: HttpRequest, pk: int) -> Meeting:
    communities = _communities(request, SCHEDULE_MEETING_PERMISSION)
    meeting = (
        Meeting.objects.filter(pk=pk, community__in=communities)
        .select_related("community", "facilitator")
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting


def _draft_resolutions(meeting: Meeting) -> list[Resolution]:
    return list(
        Resolution.objects.filter(
            status=ResolutionStatus.DRAFT,
            proposal__agenda_items__meeting=meeting,
        )
        .select_related("proposal", "adopted_option")
        .distinct()
        .order_by("pk")
    )


def _reorder_ids(meeting: Meeting, data: Any) -> list[int]:
    """Item ids sorted by the numbers typed beside them (ties keep the current order)."""
    items = list(meeting.items.order_by("sort_order", "pk").values_list("pk", flat=True))
    keyed = []
    for index, pk in enumerate(items):
        raw = (data.get(f"order-{pk}") or "").strip()
        keyed.append((int(raw) if raw else index + 1, index, pk))
    return [pk for _n, _i, pk in sorted(keyed)]


def meetings_admin_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """One scheduled (or live) meeting: correct it, move it, cancel it, reorder its agenda;
    after it, complete and assign its draft resolutions. Each form posts ``action``; the
    services check who may (committee staff of the meeting's community) and when."""
    meeting = _managed_meeting(request, pk)
    actor = request.user
    if not isinstance(actor, User):
        raise PermissionDenied
    action = request.POST.get("action", "") if request.method == "POST" else ""
    local_start = timezone.localtime(meeting.starts_at)
    edit = EditForm(
        request.POST if action == "edit" else None,
        meeting=meeting,
        initial={
            "title": meeting.title,
            "facilitator": meeting.facilitator_id,
            "is_public": meeting.is_public,
        },
    )
    reschedule = RescheduleForm(
        request.POST if action == "reschedule" else None,
        initial={"starts_at": local_start, "place": meeting.place},
    )
    cancel = CancelForm(request.POST if action == "cancel" else None)
    drafts = _draft_resolutions(meeting)
    assign_forms = [
        (
            draft,
            AssignForm(
                request.POST
                if action == "assign"
                and request.POST.get(f"r{draft.pk}-resolution") == str(draft.pk)
                else None,
                prefix=f"r{draft.pk}",
                initial={
                    "resolution": draft.pk,
                    "decision": draft.decision,
                    "responsible_party": draft.responsible_party,
                    "deadline": draft.deadline,
                },
            ),
        )
        for draft in drafts
    ]
    status = 200
    done = ""
    try:
        if action == "edit" and edit.is_valid():
            meeting_edit(meeting=meeting, actor=actor, **edit.cleaned_data)
            done = _("已保存会议信息")
        elif action == "reschedule" and reschedule.is_valid():
            meeting_reschedule(meeting=meeting, actor=actor, **reschedule.cleaned_data)
            done = _("已改期，并通知参会人员")
        elif action == "cancel" and cancel.is_valid():
            meeting_cancel(meeting=meeting, actor=actor, reason=cancel.cleaned_data["reason"])
            done = _("议事会已取消，议题已移出议程")
        elif action == "reorder":
            try:
                ids = _reorder_ids(meeting, request.POST)
            except ValueError as exc:
                raise MeetingRefused("bad_request", _("请填写整数序号")) from exc
            agenda_reorder(meeting=meeting, actor=actor, item_ids=ids)
            done = _("已调整议程顺序")
        elif action == "assign":
            for draft, form in assign_forms:
                if form.is_bound and form.is_valid():
                    data = form.cleaned_data
                    resolution_assign(
                        resolution=draft,
                        actor=actor,
                        decision=data["decision"],
                        responsible_party=data["responsible_party"],
                        deadline=data["deadline"],
                    )
                    done = _("决议已完善并交办")
    except MeetingRefused as exc:
        messages.error(request, exc.message)
        status = 400
    except DeliberationError as exc:
        messages.error(request, str(exc))
        status = 400
    if done:
        messages.success(request, done)
        return HttpResponseRedirect(reverse("meetings_admin_manage", args=[meeting.pk]))
    if request.method == "POST" and status == 200:
        status = 400  # a form did not validate: shown with its errors
    meeting.refresh_from_db()
    return render(
        request,
        "cms/admin/meetings/manage.html",
        {
            "meeting": meeting,
            "header_title": meeting.title,
            "edit": edit,
            "reschedule": reschedule,
            "cancel": cancel,
            "assign_forms": assign_forms,
            "items": list(meeting.items.select_related("proposal", "poll")),
            "events": list(meeting.events.select_related("actor").order_by("-at", "-pk")[:50]),
            "may_edit": transitions.may_change(meeting.status, "edit"),
            "may_reschedule": transitions.may_change(meeting.status, "reschedule"),
            "may_cancel": transitions.may_transition(meeting.status, MeetingStatus.CANCELLED),
            "may_reorder": transitions.may_change(meeting.status, "reorder"),
        },
        status=status,
    )


class _MeetingsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return admin_communities(request.user, permission=VIEW_MEETING_PERMISSION).exists()


@hooks.register("register_admin_urls")
def register_meeting_urls() -> list[object]:
    return [
        path("meetings/", meetings_admin_list, name="meetings_admin_list"),
        path("meetings/schedule/", meetings_admin_schedule, name="meetings_admin_schedule"),
        path("meetings/<int:pk>/", meetings_admin_manage, name="meetings_admin_manage"),
    ]


@hooks.register("register_admin_menu_item")
def register_meetings_menu_item() -> MenuItem:
    return _MeetingsMenuItem(
        gettext_lazy("议事会"), reverse("meetings_admin_list"), icon_name="group", order=220
    )
