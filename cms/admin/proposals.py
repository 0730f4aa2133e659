"""Proposals in the Wagtail admin: the snippet (list, inspect, edit the text, moderation,
history) and the triage views, all inside the user's community scope.

There is no snippet "add" (nor "copy"): a matter enters only through
``deliberation.proposals.services.proposal_submit``, which records the channel and the staff
member who typed it in. Staff enter a resident's matter on the community's own page
(``/<community>/proposals/new/``, "代居民录入": channel, and the resident found by unit, name or
phone among that community's residents); the list links to that page for each community where the
user may.
"""

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import django_filters  # type: ignore[import-untyped]  # Wagtail's own filter library
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.admin.rich_text import DraftailRichTextArea
from wagtail.admin.views.home import WorkflowObjectsToModeratePanel
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet

from cms.admin import triage as proposal_admin_views
from cms.admin.policies import CommunityScopedPolicy, ScopedDeleteBulkAction, ScopedViewSetMixin
from deliberation import scope
from deliberation.models import Community, Proposal, ProposalStatus
from deliberation.proposals.rules import TRIAGE_PERMISSION, can_enter_on_behalf

# Registered before the viewset so Wagtail never builds its global fallback policy. Staff of the
# proposal's own community only; "add" is offered to nobody (see the module docstring).
PROPOSAL_POLICY = CommunityScopedPolicy(
    Proposal, actions={"view", "change", "delete", "publish", "lock", "unlock"}
)
register_permission_policy(Proposal, PROPOSAL_POLICY)


class ProposalIndexView(IndexView):
    @cached_property
    def header_buttons(self) -> list[HeaderButton]:
        """One "enter a matter" link per community where the user may enter on behalf."""
        communities = scope.committee_communities(self.request.user).order_by("name")
        return [
            HeaderButton(
                gettext_lazy("代居民录入议题:%(community)s") % {"community": community.name},
                url=reverse("proposal-new", args=[community.slug]),
                icon_name="plus",
            )
            for community in communities
            if can_enter_on_behalf(self.request.user, community)
        ]


def _filter_communities(request: HttpRequest | None) -> QuerySet[Community]:
    if request is None:
        return Community.objects.none()
    return scope.staff_communities(request.user).order_by("name")


class ProposalFilterSet(WagtailFilterSet):
    """The list's filters; the community filter offers the user's own communities only (the
    default offered every community of the district: 200 options on every page, 110 KB)."""

    community = django_filters.ModelChoiceFilter(
        queryset=_filter_communities, label=gettext_lazy("社区")
    )

    class Meta:
        model = Proposal
        fields = ["status", "category", "channel", "party", "community", "live"]


class BodyEditor(DraftailRichTextArea):
    """Draftail for the stored HTML body; a plain HTML post (a script, an old form) still works."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        try:
            return super().value_from_datadict(data, files, name)
        except ValueError:  # not Draftail's JSON: take it as the HTML it is
            return data.get(name)


class ProposalViewSet(ScopedViewSetMixin, SnippetViewSet):
    model = Proposal
    icon = "doc-full"
    menu_label = gettext_lazy("议题")
    menu_name = "proposals"
    menu_order = 200
    add_to_admin_menu = True
    index_view_class = ProposalIndexView
    list_display = [
        "case_number",
        "title",
        "community",
        "grid",
        "status",
        "channel",
        "submitted_at",
    ]
    filterset_class = ProposalFilterSet
    search_fields = ["case_number", "title", "body", "location"]
    ordering = ["-submitted_at"]
    inspect_view_enabled = True
    copy_view_enabled = False
    # Where a matter comes from and who raised it are facts recorded at intake: shown, never
    # edited here (an edit could move a matter to another community or another author).
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("case_number", read_only=True),
                FieldPanel("community", read_only=True, heading=gettext_lazy("社区")),
                FieldPanel("grid", read_only=True),
                FieldPanel("building", read_only=True),
                FieldPanel("author", read_only=True),
                FieldPanel("channel", read_only=True),
                FieldPanel("party", read_only=True),
            ],
            heading=gettext_lazy("来源"),
        ),
        FieldPanel("title"),
        # The body is stored as sanitised HTML: edit it as rich text, never as raw ``<p>`` tags.
        FieldPanel("body", widget=BodyEditor(features=["bold", "italic", "ol", "ul", "link"])),
        FieldPanel("location"),
        FieldPanel("category"),
        FieldPanel("show_full_name"),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Proposal]:
        """The matters of the communities where the user is staff; all for superusers.

        The listed columns' community and grid are joined: without the grid, each row of a page
        cost a query of its own."""
        return PROPOSAL_POLICY.scope_queryset(
            request.user, Proposal.objects.select_related("community", "grid")
        )


register_snippet(ProposalViewSet)


# After Wagtail's own bulk delete (order 0), so this one wins for the scoped snippet models.
hooks.register("register_bulk_action", ScopedDeleteBulkAction, order=1)


@hooks.register("register_admin_urls")
def register_proposal_triage_urls() -> list[URLPattern]:
    return [
        path(
            "proposals/triage/",
            proposal_admin_views.triage_queue,
            name="deliberation_triage_queue",
        ),
        path(
            "proposals/triage/<int:pk>/",
            proposal_admin_views.triage_proposal,
            name="deliberation_triage_proposal",
        ),
    ]


class _TriageMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return scope.committee_communities(request.user, permission=TRIAGE_PERMISSION).exists()


@hooks.register("register_admin_menu_item")
def register_proposal_triage_menu_item() -> MenuItem:
    return _TriageMenuItem(
        gettext_lazy("待分理议题"),
        reverse("deliberation_triage_queue"),
        icon_name="tasks",
        order=190,
    )


# Matters still to review: a settled matter (answered on the spot, rejected, merged) or one
# already further down the loop has nothing left for a moderator, whatever its workflow says.
NEEDS_REVIEW = frozenset({ProposalStatus.SUBMITTED, ProposalStatus.ACCEPTED})


class ProposalsToModeratePanel(WorkflowObjectsToModeratePanel):
    """Wagtail's "awaiting your review", without settled matters or other communities' ones."""

    def get_context_data(self, parent_context: Mapping[str, Any] | None) -> dict[str, Any]:
        context = super().get_context_data(parent_context)
        request = context["request"]
        allowed = set(
            scope.committee_communities(request.user, permission=TRIAGE_PERMISSION).values_list(
                "pk", flat=True
            )
        )
        kept = []
        for state in context["states"]:
            obj = state["obj"]
            if isinstance(obj, Proposal) and (
                obj.status not in NEEDS_REVIEW or obj.community_id not in allowed
            ):
                continue
            kept.append(state)
        context["states"] = kept
        return context


@hooks.register("construct_homepage_panels")
def replace_moderation_panel(request: HttpRequest, panels: list[Any]) -> None:
    for index, panel in enumerate(panels):
        if type(panel) is WorkflowObjectsToModeratePanel:
            panels[index] = ProposalsToModeratePanel()
