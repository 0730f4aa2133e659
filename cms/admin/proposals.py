"""Wagtail admin integration of the deliberation domain (autoloaded by Wagtail)."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import EditView, SnippetViewSet

from cms.admin import triage as proposal_admin_views
from deliberation import scope
from deliberation.models import Proposal
from deliberation.proposals.rules import TRIAGE_PERMISSION


class ProposalEditView(EditView):
    def get_object(self, queryset: QuerySet[Proposal] | None = None) -> Proposal:
        """The proposal, for staff of its own community only."""
        obj = super().get_object(queryset)
        if not scope.is_community_staff(self.request.user, obj.community):
            raise PermissionDenied
        return obj


class ProposalViewSet(SnippetViewSet):
    model = Proposal
    icon = "doc-full"
    menu_label = gettext_lazy("议题")
    menu_name = "proposals"
    menu_order = 200
    add_to_admin_menu = True
    edit_view_class = ProposalEditView
    list_display = ["title", "community", "status", "channel", "submitted_at"]
    list_filter = ["status", "category", "channel", "party", "community", "live"]
    search_fields = ["title", "body", "location"]
    ordering = ["-submitted_at"]
    inspect_view_enabled = True
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("community"),
                FieldPanel("author"),
                FieldPanel("channel"),
                FieldPanel("party"),
            ],
            heading=gettext_lazy("来源"),
        ),
        FieldPanel("title"),
        FieldPanel("body"),
        FieldPanel("location"),
        FieldPanel("category"),
        FieldPanel("show_full_name"),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Proposal]:
        """The matters of the communities where the user is staff; all for superusers."""
        return scope.scope_queryset(request.user, Proposal.objects.select_related("community"))


register_snippet(ProposalViewSet)


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
