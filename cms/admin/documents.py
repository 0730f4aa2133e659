"""Wagtail admin: staff see the minutes renders and notices of their own communities with their
status, attempts and error, and committee staff can ask for the minutes to be rendered again.
Its hooks run when ``cms.wagtail_hooks`` imports this module."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permissions import register_permission_policy

from cms.admin.policies import CommunityScopedPolicy, ScopedViewSetMixin
from deliberation import scope
from meetings.minutes.services import minutes_enqueue
from meetings.models import MinutesRecord, Notice

RERENDER_PERMISSION = "meetings.change_minutesrecord"

# Records are written by the render services only: staff of the record's community may look,
# never add or edit here.
MINUTES_POLICY = CommunityScopedPolicy(
    MinutesRecord, community_path="meeting__community", actions={"view"}
)
NOTICE_POLICY = CommunityScopedPolicy(Notice, actions={"view"})
register_permission_policy(MinutesRecord, MINUTES_POLICY)
register_permission_policy(Notice, NOTICE_POLICY)


def may_rerender(user: scope.AnyUser, record: MinutesRecord) -> bool:
    """Ask for a record's minutes again: the committee of the meeting's community, with the
    permission."""
    return scope.is_committee_member(
        user, record.meeting.community, permission=RERENDER_PERMISSION
    ) and MINUTES_POLICY.covers(user, record)


class RerenderColumn(Column):
    cell_template_name = "cms/admin/meetings/rerender_cell.html"

    def get_cell_context_data(
        self, instance: MinutesRecord, parent_context: Mapping[str, Any]
    ) -> dict[str, Any]:
        context: dict[str, Any] = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context["csrf_token_value"] = get_token(request) if request else ""
        context["action"] = reverse("meetings_minutes_rerender", args=[instance.pk])
        context["allowed"] = bool(request and may_rerender(request.user, instance))
        return context


class MinutesRecordViewSet(ScopedViewSetMixin, ModelViewSet):
    model = MinutesRecord
    icon = "doc-full"
    menu_label = gettext_lazy("会议纪要")
    name = "minutes"
    add_to_admin_menu = False
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["render_status"]  # never shown: the policy refuses add and change
    list_display = [
        "meeting",
        "render_status",
        "render_attempts",
        "render_error",
        "rendered_at",
        "document",
        RerenderColumn("rerender", label=gettext_lazy("操作")),
    ]
    list_filter = ["render_status"]
    inspect_view_fields = [
        "meeting",
        "render_status",
        "render_attempts",
        "render_error",
        "requested_at",
        "rendered_at",
        "document",
        "html_hash",
    ]
    ordering = ["-requested_at"]


class NoticeViewSet(ScopedViewSetMixin, ModelViewSet):
    model = Notice
    icon = "doc-empty"
    menu_label = gettext_lazy("公示")
    name = "notices"
    add_to_admin_menu = False
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["title"]  # never shown: the policy refuses add and change
    list_display = [
        "__str__",
        "title",
        "kind",
        "posted_from",
        "posted_until",
        "render_status",
        "render_attempts",
        "render_error",
        "document",
    ]
    list_filter = ["kind", "render_status", "community"]
    inspect_view_fields = [
        "community",
        "kind",
        "title",
        "issuing_body",
        "posted_from",
        "posted_until",
        "supersedes",
        "issued_by",
        "issued_at",
        "render_status",
        "render_attempts",
        "render_error",
        "rendered_at",
        "document",
        "content_hash",
    ]
    ordering = ["-issued_at"]


class DocumentsViewSetGroup(ModelViewSetGroup):
    menu_label = gettext_lazy("纪要与公示")
    menu_icon = "doc-full-inverse"
    menu_order = 320
    items = (MinutesRecordViewSet, NoticeViewSet)


@require_POST
def minutes_rerender_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the minutes of a record's meeting to be rendered again (committee staff of the
    meeting's community); a record of another community answers 404."""
    records = MINUTES_POLICY.scope_queryset(
        request.user, MinutesRecord.objects.select_related("meeting__community")
    )
    record = records.filter(pk=pk).first()
    if record is None:
        raise Http404
    if not may_rerender(request.user, record):
        raise PermissionDenied
    with transaction.atomic():
        minutes_enqueue(meeting=record.meeting)
    messages.success(
        request, _("已重新提交《%(meeting)s》会议纪要的生成。") % {"meeting": record.meeting}
    )
    return HttpResponseRedirect(reverse("minutes:index"))


@hooks.register("register_admin_viewset")
def register_documents_viewsets() -> DocumentsViewSetGroup:
    return DocumentsViewSetGroup()


@hooks.register("register_admin_urls")
def register_documents_urls() -> list[URLPattern]:
    return [
        path("minutes/<int:pk>/rerender/", minutes_rerender_view, name="meetings_minutes_rerender")
    ]
