"""Wagtail admin: the facilitator's review of the minutes. Committee staff of the meeting's
community correct the draft (each revision kept with who and when), mark it final (only then
public), and name the agenda item of a later meeting that approves it. Its hooks run when
``cms.wagtail_hooks`` imports this module."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from deliberation import scope
from deliberation.models import User
from meetings.exceptions import MeetingRefused
from meetings.minutes.services import (
    minutes_approval_link,
    minutes_approve,
    minutes_finalise,
    minutes_revise,
)
from meetings.models import AgendaItem, MeetingStatus, MinutesRecord, MinutesStatus

REVIEW_ACTIONS = ("revise", "finalise", "link", "approve")


def _communities(request: HttpRequest) -> QuerySet[Any]:
    """The communities whose minutes the user reviews: committee staff only."""
    return scope.committee_communities(request.user)


def _records(request: HttpRequest) -> QuerySet[MinutesRecord]:
    return MinutesRecord.objects.filter(
        meeting__community__in=_communities(request), meeting__status=MeetingStatus.CLOSED
    ).select_related("meeting__community", "approval_item__meeting", "finalised_by")


def _actor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def minutes_review_list(request: HttpRequest) -> HttpResponse:
    """The minutes of closed meetings of the user's communities, drafts first."""
    if not _communities(request).exists():
        raise PermissionDenied
    records = list(_records(request).order_by("-meeting__starts_at")[:200])
    records.sort(key=lambda r: r.status != MinutesStatus.DRAFT)  # drafts first, stable order
    return render(
        request,
        "cms/admin/minutes/list.html",
        {"records": records, "header_title": _("纪要审核")},
    )


def _approval_choices(record: MinutesRecord) -> list[AgendaItem]:
    """Agenda items of later meetings of the same community, not yet approving other minutes."""
    meeting = record.meeting
    return list(
        AgendaItem.objects.filter(
            meeting__community_id=meeting.community_id,
            meeting__starts_at__gt=meeting.starts_at,
            approves_minutes__isnull=True,
        )
        .exclude(meeting=meeting)
        .select_related("meeting")
        .order_by("meeting__starts_at", "sort_order", "pk")[:100]
    )


def _post(request: HttpRequest, record: MinutesRecord) -> None:
    """Run the posted review action; refusals become a message, nothing is written."""
    action = request.POST.get("action", "")
    actor = _actor(request)
    if action not in REVIEW_ACTIONS:
        raise MeetingRefused("bad_request")
    if action == "revise":
        notes: dict[Any, str] = {
            key.removeprefix("correction_"): request.POST.get(key, "")
            for key in request.POST
            if key.startswith("correction_")
        }
        revision = minutes_revise(
            record=record,
            actor=actor,
            summary=request.POST.get("summary", ""),
            item_notes=notes,
            reason=request.POST.get("reason", ""),
        )
        messages.success(
            request,
            _("已保存第 %(number)s 次修订,纪要正在重新生成。") % {"number": revision.number},
        )
    elif action == "finalise":
        minutes_finalise(record=record, actor=actor)
        messages.success(request, _("纪要已定稿并公开,正在生成定稿版本。"))
    elif action == "link":
        item_id = request.POST.get("approval_item", "")
        item = AgendaItem.objects.filter(pk=int(item_id) if item_id.isdigit() else 0).first()
        if item is None:
            raise MeetingRefused("not_found")
        minutes_approval_link(record=record, item=item, actor=actor)
        messages.success(request, _("已指定审议本纪要的议程。"))
    else:
        minutes_approve(record=record, actor=actor)
        messages.success(request, _("纪要已经会议确认。"))


def minutes_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Review one meeting's minutes: corrections (revisions), final, approval by a later
    meeting. Another community's record answers 404, a non-committee user 403."""
    if not _communities(request).exists():
        raise PermissionDenied
    record = _records(request).filter(pk=pk).first()
    if record is None:
        raise Http404
    if request.method == "POST":
        try:
            _post(request, record)
        except MeetingRefused as refused:
            messages.error(request, refused.message)
        return HttpResponseRedirect(reverse("meetings_minutes_review", args=[record.pk]))
    latest = record.revisions.select_related("author").last()
    corrections = dict(latest.item_notes) if latest else {}
    items = [
        {"item": item, "correction": corrections.get(str(item.pk), "")}
        for item in AgendaItem.objects.filter(meeting=record.meeting).order_by("sort_order", "pk")
    ]
    return render(
        request,
        "cms/admin/minutes/review.html",
        {
            "record": record,
            "meeting": record.meeting,
            "items": items,
            "latest": latest,
            "revisions": list(record.revisions.select_related("author").order_by("-number")),
            "approval_choices": _approval_choices(record)
            if record.status == MinutesStatus.FINAL
            else [],
            "pdf_url": reverse(
                "meeting-minutes-pdf", args=[record.meeting.community.slug, record.meeting.pk]
            ),
            "header_title": _("纪要审核:%(title)s") % {"title": record.meeting.title},
        },
    )


class _ReviewMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return _communities(request).exists()


@hooks.register("register_admin_urls")
def register_minutes_review_urls() -> list[URLPattern]:
    return [
        path("minutes-review/", minutes_review_list, name="meetings_minutes_review_list"),
        path("minutes-review/<int:pk>/", minutes_review, name="meetings_minutes_review"),
    ]


@hooks.register("register_admin_menu_item")
def register_minutes_review_menu_item() -> MenuItem:
    return _ReviewMenuItem(
        gettext_lazy("纪要审核"),
        reverse("meetings_minutes_review_list"),
        icon_name="doc-full",
        order=319,
    )
