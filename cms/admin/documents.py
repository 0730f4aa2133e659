"""Wagtail admin: staff see every minutes render and notice with its status, attempts and error,
and can ask for the minutes to be rendered again. Its hooks run when ``cms.wagtail_hooks`` imports
this module."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from meetings.minutes.services import minutes_enqueue
from meetings.models import MinutesRecord, Notice

RERENDER_PERMISSION = "meetings.change_minutesrecord"


class ViewOnlyPolicy(ModelPermissionPolicy):
    """Records are written by the render services only; staff may look, never edit."""

    def user_has_permission(self, user: AbstractBaseUser | AnonymousUser, action: str) -> bool:
        return action == "view" and super().user_has_permission(user, "view")

    def user_has_any_permission(
        self, user: AbstractBaseUser | AnonymousUser, actions: Iterable[str]
    ) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)


register_permission_policy(MinutesRecord, ViewOnlyPolicy(MinutesRecord))
register_permission_policy(Notice, ViewOnlyPolicy(Notice))


class RerenderColumn(Column):
    cell_template_name = "cms/admin/meetings/rerender_cell.html"

    def get_cell_context_data(
        self, instance: MinutesRecord, parent_context: Mapping[str, Any]
    ) -> dict[str, Any]:
        context: dict[str, Any] = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context["csrf_token_value"] = get_token(request) if request else ""
        context["action"] = reverse("meetings_minutes_rerender", args=[instance.pk])
        context["allowed"] = bool(request and request.user.has_perm(RERENDER_PERMISSION))
        return context


class MinutesRecordViewSet(ModelViewSet):
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


class NoticeViewSet(ModelViewSet):
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
    """Queue the minutes of a record's meeting to be rendered again."""
    if not request.user.has_perm(RERENDER_PERMISSION):
        raise PermissionDenied
    record = get_object_or_404(MinutesRecord.objects.select_related("meeting"), pk=pk)
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
