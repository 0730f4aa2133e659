"""Wagtail admin integration of the deliberation domain (autoloaded by Wagtail)."""


from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import EditView, SnippetViewSet

from cms.admin import triage as proposal_admin_views
from deliberation.models import Member, Proposal


def _proposal_scope(user, queryset):  # type: ignore[no-untyped-def]
    """Staff see the matters of their own communities only; superusers see all."""
    if user.is_superuser:
        return queryset
    communities = Member.objects.filter(user=user).values_list("community_id", flat=True)
    return queryset.filter(community_id__in=communities)


class ProposalEditView(EditView):
    def get_object(self, queryset=None):  # type: ignore[no-untyped-def]
        obj = super().get_object(queryset)
        if not _proposal_scope(self.request.user, Proposal.objects.filter(pk=obj.pk)).exists():
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

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return _proposal_scope(request.user, Proposal.objects.select_related("community"))


register_snippet(ProposalViewSet)


@hooks.register("register_admin_urls")
def register_proposal_triage_urls():  # type: ignore[no-untyped-def]
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
    def is_shown(self, request):  # type: ignore[no-untyped-def]
        return bool(proposal_admin_views.triage_communities(request.user))


@hooks.register("register_admin_menu_item")
def register_proposal_triage_menu_item():  # type: ignore[no-untyped-def]
    return _TriageMenuItem(
        gettext_lazy("待分理议题"),
        reverse("deliberation_triage_queue"),
        icon_name="tasks",
        order=190,
    )
