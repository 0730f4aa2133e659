"""Registry administration in the Wagtail admin: communities and their rules, buildings, units,
members and their roles, ownerships.

Scoped by community: a registry permission counts only in the communities where the person is
committee staff (``deliberation.scope.committee_communities``), so every list, form choice and
object view shows and changes only those communities; property and department staff see none of
it (403). Every write goes through ``deliberation.registry.services``, which validates and leaves
an entry in Wagtail's audit log (the object's history and the site history report).

Registered from ``cms/wagtail_hooks.py`` by importing this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms import BaseForm
from django.http import HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import LogActionRegistry, LogFormatter
from wagtail.models import BaseLogEntry
from wagtail.permissions import register_permission_policy

from cms.admin.policies import CommunityScopedPolicy, ScopedViewSetMixin
from deliberation import scope
from deliberation.models import Building, Community, Grid, Member, Ownership, Unit, User
from deliberation.registry import services
from deliberation.registry.audit import ChangeSource, RegistryAction
from deliberation.registry.rules import Role

ANY_ACTION = ("view", "add", "change", "delete")


# --- who may do what, where -------------------------------------------------------------------
# The registry is the committee's (DESIGN.md "Roles"): a registry permission counts only where the
# user sits for the committee. Deleting a community, building, unit or member is offered to no one
# (the roster import and a shell remove them: a unit's removal would take its ballots' owners).


def _committee_communities(user: Any) -> QuerySet[Community]:
    return scope.committee_communities(user)


def _committee_in(user: Any, community: Community) -> bool:
    return scope.is_committee_member(user, community)


def _registry_policy(
    model: type[Model], community_path: str, actions: Iterable[str]
) -> CommunityScopedPolicy:
    return CommunityScopedPolicy(
        model,
        community_path=community_path,
        communities=_committee_communities,
        stands_in=_committee_in,
        actions=actions,
    )


ADD_VIEW_CHANGE = ("add", "view", "change")
POLICIES: dict[type[Model], CommunityScopedPolicy] = {
    Community: _registry_policy(Community, "pk", ADD_VIEW_CHANGE),
    Building: _registry_policy(Building, "community", ADD_VIEW_CHANGE),
    Unit: _registry_policy(Unit, "building__community", ADD_VIEW_CHANGE),
    Member: _registry_policy(Member, "community", ADD_VIEW_CHANGE),
    Ownership: _registry_policy(Ownership, "unit__building__community", ANY_ACTION),
}
for _model, _policy in POLICIES.items():
    register_permission_policy(_model, _policy)


def _addable(user: Any, model: type[Model]) -> QuerySet[Community]:
    """The communities where ``user`` may add a ``model`` (none without the permission)."""
    policy = POLICIES[model]
    if not policy.user_has_permission(user, "add"):
        return Community.objects.none()
    return policy.communities(user)


# --- views: every object and list through the scope; every write through a service ---------------


def _form_errors_from(form: BaseForm, error: ValidationError) -> None:
    """Show a service's ``ValidationError`` on the form, by field where the form has the field."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class _ServiceWriteMixin:
    """Turn a service's ``ValidationError`` into form errors (the transaction rolls back)."""

    def form_valid(self, form: BaseForm) -> HttpResponse:
        try:
            return super().form_valid(form)  # type: ignore[misc]
        except ValidationError as error:
            _form_errors_from(form, error)
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()  # type: ignore[attr-defined]
            return cast(HttpResponse, self.form_invalid(form))  # type: ignore[attr-defined]


# What each list shows besides the row itself (its ``__str__`` and columns), in one query.
_LIST_RELATED: dict[type[Model], tuple[str, ...]] = {
    Building: ("community",),
    Unit: ("building",),
    Member: ("user", "community"),
    Ownership: ("unit__building", "member__user"),
}


class RegistryIndexView(generic.IndexView):
    def get_base_queryset(self) -> QuerySet[Any]:
        return super().get_base_queryset().select_related(*_LIST_RELATED.get(self.model, ()))


class ServiceEditView(_ServiceWriteMixin, generic.EditView):
    def changes(self, names: Iterable[str]) -> dict[str, Any]:
        """The form's changed values among ``names``."""
        data = self.form.cleaned_data
        return {name: data[name] for name in self.form.changed_data if name in set(names)}

    @property
    def actor(self) -> User:
        return cast(User, self.request.user)


class ServiceCreateView(_ServiceWriteMixin, generic.CreateView):
    @property
    def actor(self) -> User:
        return cast(User, self.request.user)


class RegistryViewSet(ScopedViewSetMixin, ModelViewSet):
    """Every view scoped by the model's policy (cms.admin.policies); no copies."""

    copy_view_enabled = False
    # Nothing links to registry rows through the reference index, and indexing on every save
    # would run a task per unit and owner of a roster import.
    add_to_reference_index = False
    index_view_class = RegistryIndexView


class _ScopedForm(WagtailAdminModelForm):
    """A form whose choices of community, building, unit and member stay in the user's scope.

    On an existing object the community-bound fields are fixed (a form cannot move an object to
    another community); on a new one they list the communities where the user may add it.
    """

    def communities_for(self, model: type[Model]) -> QuerySet[Community]:
        return _addable(self.for_user, model)

    def narrow(self, name: str, queryset: QuerySet[Any]) -> None:
        if name in self.fields:
            cast(forms.ModelChoiceField, self.fields[name]).queryset = queryset


class CommunityForm(_ScopedForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "slug" in self.fields:
            # The slug is in printed QR codes and public URLs: fixed once created.
            self.fields["slug"].disabled = True


class BuildingForm(_ScopedForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.narrow("community", Community.objects.filter(pk=self.instance.community_id))
            self.fields["community"].disabled = True
            self.narrow("grid", Grid.objects.filter(community_id=self.instance.community_id))
        else:
            communities = self.communities_for(Building)
            self.narrow("community", Community.objects.filter(pk__in=communities))
            self.narrow("grid", Grid.objects.filter(community__in=communities))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        community, grid = data.get("community"), data.get("grid")
        if grid is not None and community is not None and grid.community_id != community.pk:
            self.add_error("grid", gettext("只能选择本社区的网格。"))
        return data


class UnitForm(_ScopedForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        buildings = Building.objects.select_related("community")
        if self.instance.pk:
            community_id = self.instance.building.community_id
            self.narrow("building", buildings.filter(community_id=community_id))
        else:
            self.narrow("building", buildings.filter(community__in=self.communities_for(Unit)))


class OwnershipForm(_ScopedForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.narrow("unit", Unit.objects.filter(pk=self.instance.unit_id))
            self.narrow("member", Member.objects.filter(pk=self.instance.member_id))
            self.fields["unit"].disabled = True
            self.fields["member"].disabled = True
        else:
            communities = self.communities_for(Ownership)
            self.narrow(
                "unit",
                Unit.objects.filter(building__community__in=communities).select_related("building"),
            )
            self.narrow(
                "member",
                Member.objects.filter(community__in=communities).select_related("user"),
            )


ROLE_CHOICES = [(role, role) for role in Role.ALL]


class MemberEditForm(_ScopedForm):
    role = forms.ChoiceField(
        label=_("角色"),
        choices=ROLE_CHOICES,
        help_text=_("角色决定所属方和后台权限；修改会记入操作记录。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["role"].initial = services.PARTY_ROLE[self.instance.party]


class MemberAddForm(_ScopedForm):
    phone = forms.CharField(label=_("手机号"), max_length=20)
    display_name = forms.CharField(label=_("姓名"), max_length=60)
    role = forms.ChoiceField(label=_("角色"), choices=ROLE_CHOICES, initial=Role.RESIDENT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.narrow("community", Community.objects.filter(pk__in=self.communities_for(Member)))


# Communities -----------------------------------------------------------------------------------


class CommunityCreateView(ServiceCreateView):
    def save_instance(self) -> Community:
        data = self.form.cleaned_data
        settings = {name: data[name] for name in services.COMMUNITY_SETTINGS if name in data}
        settings.pop("name", None)
        return services.community_create(
            actor=self.actor, name=data["name"], slug=data["slug"], **settings
        )


class CommunityEditView(ServiceEditView):
    def save_instance(self) -> Community:
        return services.community_settings_update(
            community=self.object,
            actor=self.actor,
            **self.changes(services.COMMUNITY_SETTINGS),
        )


_COMMUNITY_PANELS = [
    MultiFieldPanel(
        [
            FieldPanel("name"),
            FieldPanel("district"),
            FieldPanel("hotline"),
            FieldPanel("description"),
        ],
        heading=_("基本信息"),
    ),
    MultiFieldPanel(
        [
            FieldRowPanel(
                [
                    FieldPanel("response_days"),
                    FieldPanel("resolution_days"),
                    FieldPanel("objection_days"),
                ]
            )
        ],
        heading=_("时限"),
    ),
    MultiFieldPanel(
        [
            FieldRowPanel(
                [FieldPanel("rating_window_days"), FieldPanel("reopen_dissatisfied_share")]
            )
        ],
        heading=_("满意度测评"),
    ),
    MultiFieldPanel(
        [
            FieldPanel("quorum_share"),
            FieldPanel("deem_nonvoters_majority"),
            FieldPanel("deem_nonvoters_clause"),
        ],
        heading=_("表决规则"),
        help_text=_(
            "“未参与表决视为同意多数”默认关闭，只有在业主大会已通过的管理规约或议事规则中有相应条款、"
            "并在此引用该条款时才能启用；启用后结果同时显示原始计票和视同计票。"
        ),
    ),
    MultiFieldPanel(
        [FieldRowPanel([FieldPanel("speech_seconds"), FieldPanel("speeches_per_item")])],
        heading=_("议事规则"),
    ),
]


class CommunityViewSet(RegistryViewSet):
    model = Community
    name = "registry_community"
    url_prefix = "registry/communities"
    icon = "home"
    menu_label = _("社区与规则")
    add_to_admin_menu = False
    add_view_class = CommunityCreateView
    edit_view_class = CommunityEditView
    list_display = [
        "name",
        "slug",
        "response_days",
        "rating_window_days",
        "deem_nonvoters_majority",
    ]
    search_fields = ["name", "slug"]
    edit_handler = ObjectList(_COMMUNITY_PANELS, base_form_class=CommunityForm)
    add_handler = ObjectList(
        [FieldPanel("slug"), *_COMMUNITY_PANELS], base_form_class=CommunityForm
    )

    def get_add_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        panel = self.add_handler.bind_to_model(self.model)
        return super().get_add_view_kwargs(
            **{"panel": panel, "form_class": panel.get_form_class(), **kwargs}
        )


# Buildings -------------------------------------------------------------------------------------


class BuildingCreateView(ServiceCreateView):
    def save_instance(self) -> Building:
        data = self.form.cleaned_data
        return services.building_create(
            community=data["community"],
            actor=self.actor,
            name=data["name"],
            floors=data["floors"],
            has_lift=data["has_lift"],
            grid=data.get("grid"),
            code=data.get("code", ""),
        )


class BuildingEditView(ServiceEditView):
    def save_instance(self) -> Building:
        return services.building_update(
            building=self.object, actor=self.actor, **self.changes(services.BUILDING_FIELDS)
        )


class BuildingViewSet(RegistryViewSet):
    model = Building
    name = "registry_building"
    url_prefix = "registry/buildings"
    icon = "folder-open-1"
    menu_label = _("楼栋")
    add_view_class = BuildingCreateView
    edit_view_class = BuildingEditView
    list_display = ["name", "code", "community", "grid", "floors", "has_lift"]
    list_filter = ["community", "grid"]
    search_fields = ["name", "code"]
    edit_handler = ObjectList(
        [
            FieldPanel("community"),
            FieldRowPanel([FieldPanel("name"), FieldPanel("code")]),
            FieldPanel("grid"),
            FieldRowPanel([FieldPanel("floors"), FieldPanel("has_lift")]),
        ],
        base_form_class=BuildingForm,
    )


# Units -----------------------------------------------------------------------------------------


class UnitCreateView(ServiceCreateView):
    def save_instance(self) -> Unit:
        data = self.form.cleaned_data
        return services.unit_create(
            building=data["building"],
            actor=self.actor,
            number=data["number"],
            floor=data["floor"],
            area_m2=data["area_m2"],
            area_source=data["area_source"],
            unsold=data["unsold"],
        )


class UnitEditView(ServiceEditView):
    def save_instance(self) -> Unit:
        return services.unit_update(
            unit=self.object, actor=self.actor, **self.changes(services.UNIT_FIELDS)
        )


class UnitViewSet(RegistryViewSet):
    model = Unit
    name = "registry_unit"
    url_prefix = "registry/units"
    icon = "doc-empty"
    menu_label = _("房屋")
    add_view_class = UnitCreateView
    edit_view_class = UnitEditView
    list_display = ["__str__", "floor", "area_m2", "area_source", "unsold"]
    list_filter = ["area_source", "unsold"]
    search_fields = ["number", "building__name"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("building"), FieldPanel("number"), FieldPanel("floor")]),
            FieldRowPanel([FieldPanel("area_m2"), FieldPanel("area_source")]),
            FieldPanel("unsold"),
        ],
        base_form_class=UnitForm,
    )


# Members and roles -----------------------------------------------------------------------------


class MemberCreateView(ServiceCreateView):
    def save_instance(self) -> Member:
        data = self.form.cleaned_data
        return services.member_add(
            community=data["community"],
            actor=self.actor,
            phone=data["phone"],
            display_name=data["display_name"],
            role=data["role"],
            organisation=data["organisation"],
            title=data["title"],
            is_council_member=data["is_council_member"],
            show_full_name=data["show_full_name"],
        )


class MemberEditView(ServiceEditView):
    def save_instance(self) -> Member:
        member = services.member_update(
            member=self.object, actor=self.actor, **self.changes(services.MEMBER_FIELDS)
        )
        if "role" in self.form.changed_data:
            member = services.member_role_set(
                member=member, role=self.form.cleaned_data["role"], actor=self.actor
            )
        return member


_MEMBER_PANELS = [
    FieldRowPanel([FieldPanel("organisation"), FieldPanel("title")]),
    FieldRowPanel(
        [
            FieldPanel("is_council_member"),
            FieldPanel("show_full_name"),
        ]
    ),
]


class MemberViewSet(RegistryViewSet):
    model = Member
    name = "registry_member"
    url_prefix = "registry/members"
    icon = "user"
    menu_label = _("成员与角色")
    add_view_class = MemberCreateView
    edit_view_class = MemberEditView
    list_display = ["__str__", "community", "party", "organisation", "title", "is_council_member"]
    list_filter = ["community", "party", "is_council_member"]
    search_fields = ["user__display_name", "organisation", "title"]
    edit_handler = ObjectList(
        [FieldPanel("role"), *_MEMBER_PANELS, FieldPanel("verified")],
        base_form_class=MemberEditForm,
    )
    add_handler = ObjectList(
        [
            FieldPanel("community"),
            FieldRowPanel([FieldPanel("display_name"), FieldPanel("phone")]),
            FieldPanel("role"),
            *_MEMBER_PANELS,
        ],
        base_form_class=MemberAddForm,
    )

    def get_add_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        panel = self.add_handler.bind_to_model(self.model)
        return super().get_add_view_kwargs(
            **{"panel": panel, "form_class": panel.get_form_class(), **kwargs}
        )


# Ownerships ------------------------------------------------------------------------------------


class OwnershipCreateView(ServiceCreateView):
    def save_instance(self) -> Ownership:
        data = self.form.cleaned_data
        return services.ownership_add(
            unit=data["unit"], member=data["member"], actor=self.actor, since=data.get("since")
        )


class OwnershipEditView(ServiceEditView):
    def save_instance(self) -> Ownership:
        return services.ownership_update(
            ownership=self.object, actor=self.actor, **self.changes(services.OWNERSHIP_FIELDS)
        )


class OwnershipDeleteView(generic.DeleteView):
    def delete_action(self) -> None:
        services.ownership_remove(ownership=self.object, actor=cast(User, self.request.user))


class OwnershipViewSet(RegistryViewSet):
    model = Ownership
    name = "registry_ownership"
    url_prefix = "registry/ownerships"
    icon = "key"
    menu_label = _("产权")
    add_view_class = OwnershipCreateView
    edit_view_class = OwnershipEditView
    delete_view_class = OwnershipDeleteView
    list_display = ["unit", "member", "since"]
    search_fields = ["unit__number", "member__user__display_name"]
    edit_handler = ObjectList(
        [FieldPanel("unit"), FieldPanel("member"), FieldPanel("since")],
        base_form_class=OwnershipForm,
    )


class RegistryViewSetGroup(ViewSetGroup):
    menu_label = _("社区登记")
    menu_icon = "group"
    menu_order = 205
    items = (CommunityViewSet, BuildingViewSet, UnitViewSet, MemberViewSet, OwnershipViewSet)


@hooks.register("register_admin_viewset")
def register_registry_viewsets() -> ViewSetGroup:
    return RegistryViewSetGroup()


# --- the audit log's labels and messages -------------------------------------------------------


def _field_label(log_entry: BaseLogEntry, name: str) -> str:
    model = log_entry.content_type.model_class()
    try:
        return str(model._meta.get_field(name).verbose_name) if model else name
    except Exception:  # a field renamed since the entry was written
        return name


class _ChangeFormatter(LogFormatter):
    label = _("修改登记信息")

    def format_message(self, log_entry: BaseLogEntry) -> str:
        changes = log_entry.data.get("changes", {})
        parts = [
            gettext("%(field)s：%(old)s → %(new)s")
            % {"field": _field_label(log_entry, name), "old": old, "new": new}
            for name, (old, new) in changes.items()
        ]
        return gettext("已修改 %(changes)s") % {"changes": "；".join(parts)}


class _OwnershipAddFormatter(LogFormatter):
    label = _("新增业主")

    def format_message(self, log_entry: BaseLogEntry) -> str:
        return gettext("新增业主 %(member)s") % {"member": log_entry.data.get("member", "")}


class _OwnershipRemoveFormatter(LogFormatter):
    label = _("移除业主")

    def format_message(self, log_entry: BaseLogEntry) -> str:
        return gettext("移除业主 %(member)s") % {"member": log_entry.data.get("member", "")}


class _RoleFormatter(LogFormatter):
    label = _("修改角色")

    def format_message(self, log_entry: BaseLogEntry) -> str:
        return gettext("角色由「%(previous)s」改为「%(role)s」") % {
            "previous": log_entry.data.get("previous", ""),
            "role": log_entry.data.get("role", ""),
        }


class _RosterFormatter(LogFormatter):
    label = _("导入业主名册")

    def format_message(self, log_entry: BaseLogEntry) -> str:
        data = log_entry.data
        message = gettext(
            "导入名册 %(filename)s：%(rows)s 行；新增房屋 %(units_created)s 户，"
            "更新 %(units_updated)s 户；新增业主账号 %(users_created)s 个；"
            "新增产权 %(ownerships_added)s 条，移除 %(ownerships_removed)s 条。"
        ) % {
            "filename": data.get("filename", ""),
            "rows": data.get("rows", 0),
            "units_created": data.get("units_created", 0),
            "units_updated": data.get("units_updated", 0),
            "users_created": data.get("users_created", 0),
            "ownerships_added": data.get("ownerships_added", 0),
            "ownerships_removed": data.get("ownerships_removed", 0),
        }
        if data.get("source") == ChangeSource.COMMAND:
            message += gettext("（由命令行导入，无操作人）")
        return message


@hooks.register("register_log_actions")
def register_registry_log_actions(actions: LogActionRegistry) -> None:
    actions.register_action(RegistryAction.CREATE, _("登记"), _("已登记"))
    actions.register_action(RegistryAction.UPDATE)(_ChangeFormatter)
    actions.register_action(RegistryAction.OWNERSHIP_ADD)(_OwnershipAddFormatter)
    actions.register_action(RegistryAction.OWNERSHIP_REMOVE)(_OwnershipRemoveFormatter)
    actions.register_action(RegistryAction.ROLE_SET)(_RoleFormatter)
    actions.register_action(RegistryAction.ROSTER_IMPORT)(_RosterFormatter)
