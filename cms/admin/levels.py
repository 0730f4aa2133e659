"""The levels in the Wagtail admin (issue 14 point 1): districts, streets and their staff
(superusers: the district's platform administrators), grids and their posts (the community's
committee, and street staff over it), the street's matters, and correcting where a matter is.

Grids and posts are scoped like the registry: a community's committee acts on its own grids,
street staff on those of every community of their street (``deliberation.scope``); every write
goes through ``deliberation.grids.services`` or ``deliberation.registry.services``.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from cms.admin.policies import CommunityScopedPolicy
from cms.admin.registry import (
    RegistryIndexView,
    RegistryViewSet,
    ServiceCreateView,
    ServiceEditView,
    _ScopedForm,
)
from cms.forms.grids import LocateForm
from deliberation import scope
from deliberation.exceptions import DeliberationError, InvalidInput
from deliberation.grids import rules as grid_rules
from deliberation.grids import services as grid_services
from deliberation.models import (
    Building,
    Community,
    District,
    Grid,
    GridRole,
    Proposal,
    ProposalStatus,
    Street,
    StreetStaff,
    User,
)
from deliberation.proposals import selectors as proposal_selectors
from deliberation.proposals.services import proposal_locate
from deliberation.proposals.triage import response_clock
from deliberation.registry.services import street_staff_set

ADD_VIEW_CHANGE = ("add", "view", "change")

GRID_POLICY = CommunityScopedPolicy(
    Grid,
    community_path="community",
    communities=scope.supervising_communities,
    stands_in=scope.supervises,
    actions=ADD_VIEW_CHANGE,
)
GRID_ROLE_POLICY = CommunityScopedPolicy(
    GridRole,
    community_path="grid__community",
    communities=scope.supervising_communities,
    stands_in=scope.supervises,
    actions=ADD_VIEW_CHANGE,
)
register_permission_policy(Grid, GRID_POLICY)
register_permission_policy(GridRole, GRID_ROLE_POLICY)


def _supervised(user: Any) -> QuerySet[Community]:
    if not GRID_POLICY.user_has_permission(user, "add"):
        return Community.objects.none()
    return scope.supervising_communities(user)


# --- grids ---------------------------------------------------------------------------------------


class GridForm(_ScopedForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.narrow("community", Community.objects.filter(pk=self.instance.community_id))
            self.fields["community"].disabled = True
        else:
            self.narrow("community", _supervised(self.for_user).order_by("name"))


class GridCreateView(ServiceCreateView):
    def save_instance(self) -> Grid:
        data = self.form.cleaned_data
        return grid_services.grid_create(
            community=data["community"],
            actor=self.actor,
            name=data["name"],
            code=data["code"],
            box_location=data["box_location"],
        )


class GridEditView(ServiceEditView):
    def save_instance(self) -> Grid:
        return grid_services.grid_update(
            grid=self.object, actor=self.actor, **self.changes(("name", "code", "box_location"))
        )


class GridIndexView(RegistryIndexView):
    def get_base_queryset(self) -> QuerySet[Any]:
        return super().get_base_queryset().select_related("community")


class GridViewSet(RegistryViewSet):
    model = Grid
    name = "levels_grid"
    url_prefix = "levels/grids"
    icon = "table"
    menu_label = _("网格")
    index_view_class = GridIndexView
    add_view_class = GridCreateView
    edit_view_class = GridEditView
    list_display = ["name", "code", "community", "box_location"]
    list_filter = ["community"]
    search_fields = ["name", "code"]
    edit_handler = ObjectList(
        [
            FieldPanel("community"),
            FieldRowPanel([FieldPanel("name"), FieldPanel("code")]),
            FieldPanel("box_location"),
        ],
        base_form_class=GridForm,
    )


# --- posts in a grid -----------------------------------------------------------------------------


class GridRoleForm(_ScopedForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            community_id = self.instance.grid.community_id
            self.narrow("grid", Grid.objects.filter(pk=self.instance.grid_id))
            for name in ("grid", "user", "kind"):
                if name in self.fields:
                    self.fields[name].disabled = True
            self.narrow("user", User.objects.filter(pk=self.instance.user_id))
        else:
            communities = _supervised(self.for_user)
            self.narrow(
                "grid", Grid.objects.filter(community__in=communities).select_related("community")
            )
            community_id = None
        buildings = Building.objects.select_related("community").order_by("community", "name")
        if community_id is not None:
            buildings = buildings.filter(community_id=community_id)
        else:
            buildings = buildings.filter(community__in=_supervised(self.for_user))
        self.narrow("buildings", buildings)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        grid = data.get("grid") or getattr(self.instance, "grid", None)
        for building in data.get("buildings") or []:
            if grid is not None and building.community_id != grid.community_id:
                self.add_error("buildings", gettext("只能选择本社区的楼栋。"))
                break
        return data


class GridRoleCreateView(ServiceCreateView):
    def save_instance(self) -> GridRole:
        data = self.form.cleaned_data
        return grid_services.grid_role_set(
            grid=data["grid"],
            user=data["user"],
            kind=data["kind"],
            actor=self.actor,
            phone=data.get("phone", ""),
            buildings=list(data.get("buildings") or []),
        )


class GridRoleEditView(ServiceEditView):
    def save_instance(self) -> GridRole:
        data = self.form.cleaned_data
        return grid_services.grid_role_update(
            role=self.object,
            actor=self.actor,
            phone=data.get("phone", ""),
            buildings=list(data.get("buildings") or []),
        )


class GridRoleIndexView(RegistryIndexView):
    def get_base_queryset(self) -> QuerySet[Any]:
        return super().get_base_queryset().select_related("grid__community", "user")


class GridRoleViewSet(RegistryViewSet):
    model = GridRole
    name = "levels_grid_role"
    url_prefix = "levels/grid-posts"
    icon = "user"
    menu_label = _("网格职务")
    index_view_class = GridRoleIndexView
    add_view_class = GridRoleCreateView
    edit_view_class = GridRoleEditView
    list_display = ["user", "kind", "grid", "phone"]
    list_filter = ["kind"]
    search_fields = ["user__display_name", "user__username", "grid__name"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("grid"), FieldPanel("kind")]),
            FieldRowPanel([FieldPanel("user"), FieldPanel("phone")]),
            FieldPanel("buildings", widget=forms.CheckboxSelectMultiple),
        ],
        base_form_class=GridRoleForm,
    )


# --- districts, streets and their staff: superusers (no role holds these permissions) -----------


class DistrictViewSet(ModelViewSet):
    model = District
    name = "levels_district"
    url_prefix = "levels/districts"
    icon = "site"
    menu_label = _("区")
    copy_view_enabled = False
    add_to_reference_index = False
    list_display = ["name", "code"]
    form_fields = ["name", "code"]


class StreetViewSet(ModelViewSet):
    model = Street
    name = "levels_street"
    url_prefix = "levels/streets"
    icon = "site"
    menu_label = _("街道")
    copy_view_enabled = False
    add_to_reference_index = False
    list_display = ["name", "code", "district", "hotline"]
    form_fields = ["district", "name", "code", "hotline"]


class StreetStaffCreateView(ServiceCreateView):
    def save_instance(self) -> StreetStaff:
        data = self.form.cleaned_data
        return street_staff_set(street=data["street"], user=data["user"], title=data["title"])


class StreetStaffViewSet(ModelViewSet):
    model = StreetStaff
    name = "levels_street_staff"
    url_prefix = "levels/street-staff"
    icon = "user"
    menu_label = _("街道工作人员")
    copy_view_enabled = False
    add_to_reference_index = False
    add_view_class = StreetStaffCreateView
    list_display = ["user", "street", "title"]
    form_fields = ["street", "user", "title"]


class LevelsViewSetGroup(ViewSetGroup):
    menu_label = _("街道与网格")
    menu_icon = "site"
    menu_order = 206
    items = (GridViewSet, GridRoleViewSet, DistrictViewSet, StreetViewSet, StreetStaffViewSet)


@hooks.register("register_admin_viewset")
def register_levels_viewsets() -> ViewSetGroup:
    return LevelsViewSetGroup()


# --- the street's matters and correcting where a matter is ---------------------------------------


def street_matters(request: HttpRequest) -> HttpResponse:
    """Matters of every community the user supervises (committee: its own; street staff: the
    street's), newest first, with case number, grid, building, status and the answer clock."""
    communities = scope.supervising_communities(request.user)
    if not request.user.is_superuser and not scope.staff_streets(request.user).exists():
        raise PermissionDenied
    qs = (
        Proposal.objects.filter(community__in=communities)
        .select_related("community", "grid", "building")
        .order_by("-submitted_at", "-pk")
    )
    community = request.GET.get("community", "")
    if community.isdigit():
        qs = qs.filter(community_id=int(community))
    page = Paginator(qs, 50).get_page(request.GET.get("p"))
    now = timezone.now()
    rows = []
    for proposal in page.object_list:
        clock = response_clock(
            submitted_at=proposal.submitted_at,
            response_days=proposal.community.response_days,
            responded_at=proposal.responded_at,
            now=now,
        )
        rows.append((proposal, clock))
    return render(
        request,
        "cms/admin/levels/street_matters.html",
        {
            "page": page,
            "rows": rows,
            "communities": list(communities.order_by("name")),
            "community": community,
            "header_title": gettext("街道议题"),
            "submitted": ProposalStatus.SUBMITTED,
        },
    )


def proposal_locate_view(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = get_object_or_404(
        Proposal.objects.select_related("community", "grid", "building"), pk=pk
    )
    if not grid_rules.can_correct_location(request.user, proposal):
        raise PermissionDenied
    # The grid starts blank: a changed building then brings its own grid (a pre-filled grid
    # would silently keep the old one).
    initial = {"building": proposal.building}
    form = LocateForm(request.POST or None, initial=initial, community_id=proposal.community_id)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                proposal_locate(
                    proposal=proposal,
                    actor=cast(User, request.user),
                    building=data["building"],
                    grid=data["grid"],
                    note=data["note"],
                )
            except InvalidInput as error:
                for name, errors in error.fields.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
            except (DeliberationError, ValidationError) as error:
                form.add_error(None, str(getattr(error, "message", error)))
            else:
                messages.success(request, gettext("已更正议题位置,并记入办理进程。"))
                return HttpResponseRedirect(reverse("levels_proposal_locate", args=[pk]))
        status = 400
    return render(
        request,
        "cms/admin/levels/proposal_locate.html",
        {
            "proposal": proposal,
            "form": form,
            "timeline": proposal_selectors.proposal_timeline(proposal),
            "header_title": gettext("更正位置:%(title)s") % {"title": proposal.title},
        },
        status=status,
    )


@hooks.register("register_admin_urls")
def register_levels_urls() -> list[URLPattern]:
    return [
        path("levels/matters/", street_matters, name="levels_street_matters"),
        path(
            "levels/matters/<int:pk>/locate/", proposal_locate_view, name="levels_proposal_locate"
        ),
    ]


class _StreetMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return scope.staff_streets(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_street_menu_item() -> MenuItem:
    return _StreetMenuItem(
        _("街道议题"), reverse("levels_street_matters"), icon_name="list-ul", order=185
    )
