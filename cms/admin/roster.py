"""Wagtail-admin page for uploading an owners' roster (CSV or XLSX).

Registered from ``cms/wagtail_hooks.py`` by importing this module. Thin: the form picks
the community and the file, :func:`deliberation.registry.services.roster_import` does the rest;
on problems the page lists each with its line number and nothing is written.
"""

from typing import Any, cast

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

from deliberation import scope
from deliberation.models import Community, User
from deliberation.registry.roster import REQUIRED_COLUMNS, RosterInvalid
from deliberation.registry.rules import IMPORT_ROSTER_PERMISSION, can_import_roster
from deliberation.registry.services import roster_import

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class RosterUploadForm(forms.Form):
    community = forms.ModelChoiceField(
        queryset=Community.objects.none(), label=gettext_lazy("社区")
    )
    file = forms.FileField(
        label=gettext_lazy("名册文件(CSV 或 XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args: Any, communities: QuerySet[Community], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["community"]).queryset = communities
        if communities.count() == 1:
            self.fields["community"].initial = communities.first()

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件不能超过 10 MB"))
        return upload


def roster_upload(request: HttpRequest) -> HttpResponse:
    user = request.user
    communities = scope.committee_communities(user, permission=IMPORT_ROSTER_PERMISSION)
    if not isinstance(user, User) or not communities.exists():
        raise PermissionDenied
    form = RosterUploadForm(request.POST or None, request.FILES or None, communities=communities)
    problems = []
    status = 200
    if request.method == "POST" and form.is_valid():
        community = form.cleaned_data["community"]
        if not can_import_roster(user, community):
            raise PermissionDenied
        upload = form.cleaned_data["file"]
        try:
            report = roster_import(
                community=community,
                data=upload.read(),
                filename=upload.name,
                actor=user,
            )
        except RosterInvalid as invalid:
            problems = invalid.problems
            status = 400
        else:
            messages.success(
                request,
                _(
                    "已导入 %(community)s 的名册：%(rows)s 行；新增房屋 %(new_units)s 户，"
                    "更新 %(changed_units)s 户；新增业主账号 %(users)s 个；"
                    "新增产权 %(added)s 条，移除 %(removed)s 条。"
                )
                % {
                    "community": community.name,
                    "rows": report.rows,
                    "new_units": report.units_created,
                    "changed_units": report.units_updated,
                    "users": report.users_created,
                    "added": report.ownerships_added,
                    "removed": report.ownerships_removed,
                },
            )
            return HttpResponseRedirect(reverse("deliberation_roster_upload"))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "cms/admin/roster_upload.html",
        {
            "form": form,
            "problems": problems,
            "required_columns": ", ".join(REQUIRED_COLUMNS),
            "header_title": _("导入业主名册"),
        },
        status=status,
    )


class _RosterMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return scope.committee_communities(
            request.user, permission=IMPORT_ROSTER_PERMISSION
        ).exists()


@hooks.register("register_admin_urls")
def register_roster_urls() -> list[object]:
    return [path("roster/upload/", roster_upload, name="deliberation_roster_upload")]


@hooks.register("register_admin_menu_item")
def register_roster_menu_item() -> MenuItem:
    return _RosterMenuItem(
        gettext_lazy("导入业主名册"),
        reverse("deliberation_roster_upload"),
        icon_name="upload",
        order=210,
    )
