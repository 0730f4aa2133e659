"""Polls in the Wagtail admin: list, inspect, create and edit drafts through the services.

Lifecycle steps (open, close, extend, finalise), paper-ballot entry and exports live on the
poll's public staff page (``/<community>/polls/<id>/``), linked from here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, EditView, SnippetViewSet

from deliberation import scope
from votes import services
from votes.models import Poll, PollStatus
from votes.services.polls import EDITABLE_FIELDS, FROZEN_FIELDS, poll_check_config

FORM_FROZEN = {"proposal" if f == "proposal_id" else f for f in FROZEN_FIELDS}


class PollAdminForm(WagtailAdminModelForm):
    option_labels = forms.CharField(
        label=_("选项(每行一个)"),
        help_text=_("留空:赞成/反对/弃权表决自动生成;其他方式使用所附议题的方案。"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["option_labels"].initial = "\n".join(
                self.instance.options.values_list("label", flat=True)
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        instance = self.instance
        if instance.pk and instance.status != PollStatus.DRAFT:
            if set(self.changed_data) & (FORM_FROZEN | {"option_labels"}):
                raise ValidationError(_("表决已开始，通过规则、表决范围和选项不能再修改"))
            return cleaned
        probe = Poll(
            community=cleaned.get("community"),
            proposal=cleaned.get("proposal"),
            **{
                name: cleaned.get(name)
                for name in EDITABLE_FIELDS
                if name in self.fields and name != "proposal"
            },
        )
        try:
            poll_check_config(probe)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return cleaned

    def option_list(self) -> list[str] | None:
        text = self.cleaned_data.get("option_labels") or ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines or None


class PollCreateView(CreateView):
    def save_instance(self) -> Poll:
        data = self.form.cleaned_data
        return services.poll_create(
            community=data["community"],
            proposal=data.get("proposal"),
            question=data["question"],
            kind=data["kind"],
            electorate=data["electorate"],
            method=data["method"],
            rule=data["rule"],
            majority=(data["majority_numerator"], data["majority_denominator"]),
            majority_inclusive=data.get("majority_inclusive", False),
            secrecy=data["secrecy"],
            opens_at=data.get("opens_at"),
            closes_at=data.get("closes_at"),
            show_running_tally=data.get("show_running_tally", False),
            decides_proposal=data.get("decides_proposal"),
            options=self.form.option_list(),
            actor=self.request.user,
        )


class PollEditView(EditView):
    def get_object(self, queryset: QuerySet[Poll] | None = None) -> Poll:
        """The poll, for staff of its own community only."""
        obj = super().get_object(queryset)
        if not scope.is_community_staff(self.request.user, obj.community):
            raise PermissionDenied
        return obj

    def save_instance(self) -> Poll:
        form = self.form
        data = form.cleaned_data
        changes = {}
        for name in form.changed_data:
            if name == "proposal":
                changes["proposal_id"] = data["proposal"].pk if data["proposal"] else None
            elif name in EDITABLE_FIELDS:
                changes[name] = data[name]
        options = form.option_list() if "option_labels" in form.changed_data else None
        return services.poll_update(
            poll=Poll.objects.get(pk=form.instance.pk),
            actor=self.request.user,
            options=options,
            **changes,
        )


class PublicPageColumn(Column):
    def get_value(self, instance: Poll) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("poll-detail", args=[instance.community.slug, instance.pk]),
            _("公开页与工作人员操作"),
        )


class PollViewSet(SnippetViewSet):
    model = Poll
    icon = "tasks"
    menu_label = _("表决")
    menu_name = "polls"
    menu_order = 210
    add_to_admin_menu = True
    add_view_class = PollCreateView
    edit_view_class = PollEditView
    inspect_view_enabled = True
    list_display = [
        "question",
        "community",
        "kind",
        "status",
        "closes_at",
        PublicPageColumn("public", label=_("操作")),
    ]
    list_filter = ["status", "kind", "community"]
    search_fields = ["question"]
    ordering = ["-created_at"]
    edit_handler = ObjectList(
        [
            FieldPanel("community"),
            FieldPanel("proposal"),
            FieldPanel("question"),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("kind"), FieldPanel("electorate")]),
                    FieldRowPanel([FieldPanel("method"), FieldPanel("rule")]),
                    FieldRowPanel(
                        [
                            FieldPanel("majority_numerator"),
                            FieldPanel("majority_denominator"),
                            FieldPanel("majority_inclusive"),
                        ]
                    ),
                    FieldPanel("secrecy"),
                    FieldPanel("decides_proposal"),
                ],
                heading=_("规则(开始表决后不能修改)"),
            ),
            FieldPanel("option_labels"),
            FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
            FieldPanel("show_running_tally"),
        ],
        base_form_class=PollAdminForm,
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Poll]:
        """The polls of the communities where the user is staff; all for superusers."""
        return scope.scope_queryset(request.user, Poll.objects.select_related("community"))


register_snippet(PollViewSet)
