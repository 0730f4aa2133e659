"""Polls in the Wagtail admin: list, inspect, create and edit drafts through the services.

Lifecycle steps (open, close, extend, finalise), paper-ballot entry and exports live on the
poll's public staff page (``/<community>/polls/<id>/``), linked from here. Every view is scoped
to the communities where the user may run polls (``votes.rules.can_manage_polls``: committee
staff; property and department staff never run or count a vote).
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
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, EditView, SnippetViewSet

from cms.admin.policies import CommunityScopedPolicy, ScopedViewSetMixin
from deliberation import scope
from deliberation.models import Community, Proposal
from votes import services
from votes.models import ChangePolicy, Poll, PollStatus
from votes.rules import can_manage_polls
from votes.services.polls import EDITABLE_FIELDS, FROZEN_FIELDS, poll_check_config

FORM_FROZEN = {"proposal" if f == "proposal_id" else f for f in FROZEN_FIELDS}


def poll_communities(user: scope.AnyUser) -> QuerySet[Community]:
    """Where the user may run polls: committee staff with admin access (``can_manage_polls``)."""
    return scope.committee_communities(user) & scope.staff_communities(user)


# Registered before the viewset so Wagtail never builds its global fallback policy.
POLL_POLICY = CommunityScopedPolicy(Poll, communities=poll_communities, stands_in=can_manage_polls)
register_permission_policy(Poll, POLL_POLICY)


class PollAdminForm(WagtailAdminModelForm):
    option_labels = forms.CharField(
        label=_("选项(每行一个)"),
        help_text=_("留空:赞成/反对/弃权表决自动生成;其他方式使用所附议题的方案。"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the communities where the user runs polls, and their matters.
        communities = POLL_POLICY.communities(self.for_user) if self.for_user else None
        if communities is not None:
            self._choices("community").queryset = communities.order_by("name")
            only = list(communities[:2])
            if not self.instance.pk and len(only) == 1:
                self.initial.setdefault("community", only[0].pk)  # nothing to choose
            self._choices("proposal").queryset = Proposal.objects.filter(
                community__in=communities
            ).order_by("-submitted_at")
        if "change_policy" in self.fields:
            self.fields["change_policy"].required = False  # blank: never (the default)
        if self.instance.pk:
            self.fields["option_labels"].initial = "\n".join(
                self.instance.options.values_list("label", flat=True)
            )
            if self.instance.status != PollStatus.DRAFT:
                # Fixed at open: shown, not editable (the service refuses a change anyway);
                # the times change through "extend" on the poll's page.
                for name in FORM_FROZEN | {"option_labels", "opens_at", "closes_at"}:
                    if name in self.fields:
                        self.fields[name].disabled = True

    def _choices(self, name: str) -> forms.ModelChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)  # foreign keys of the model
        return field

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if "change_policy" in self.fields and not cleaned.get("change_policy"):
            cleaned["change_policy"] = ChangePolicy.NEVER
        community, proposal = cleaned.get("community"), cleaned.get("proposal")
        if community is not None and proposal is not None and proposal.community_id != community.pk:
            self.add_error("proposal", _("只能选择本社区的议题"))
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
        if not can_manage_polls(self.request.user, data["community"]):
            raise PermissionDenied
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
            change_policy=data.get("change_policy") or ChangePolicy.NEVER,
            receipts_enabled=data.get("receipts_enabled", True),
            public_ballot_list=data.get("public_ballot_list", False),
            options=self.form.option_list(),
            actor=self.request.user,
        )


class PollEditView(EditView):
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


class PollViewSet(ScopedViewSetMixin, SnippetViewSet):
    model = Poll
    icon = "tasks"
    menu_label = _("表决")
    menu_name = "polls"
    menu_order = 210
    add_to_admin_menu = True
    add_view_class = PollCreateView
    edit_view_class = PollEditView
    inspect_view_enabled = True
    copy_view_enabled = False  # a poll is created through the service, with its options
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
                    FieldPanel("change_policy"),
                    FieldRowPanel(
                        [FieldPanel("receipts_enabled"), FieldPanel("public_ballot_list")]
                    ),
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
        """The polls of the communities where the user runs polls; all for superusers."""
        return POLL_POLICY.scope_queryset(request.user, Poll.objects.select_related("community"))


register_snippet(PollViewSet)
