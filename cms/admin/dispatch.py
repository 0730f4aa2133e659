"""Dispatch in the Wagtail admin: the dispatchers' list (committee and street staff), sending
and transferring one matter, the register of responsible units with their staff, and the
street's time limits.

Thin: forms are parsed here and every write is a ``deliberation.dispatch.services`` call; a
refusal keeps what was typed and shows the service's message (400). Committee staff read the
units serving their communities; street staff keep the register for their street.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from cms.forms.dispatch import (
    DispatchForm,
    LimitForm,
    TransferForm,
    UnitForm,
    UnitStaffForm,
)
from deliberation import scope
from deliberation.dispatch import rules, selectors
from deliberation.dispatch import services as dispatch_services
from deliberation.dispatch.limits import DEFAULT_LIMITS
from deliberation.exceptions import DeliberationError, InvalidInput
from deliberation.models import (
    Category,
    Community,
    Dispatch,
    DispatchLimit,
    Proposal,
    ResponsibleUnit,
    UnitStaff,
    User,
)
from deliberation.proposals.selectors import proposal_timeline
from deliberation.sanitize import clean_html


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the admin requires a signed-in user
    return user


def _require_dispatcher(user: User) -> QuerySet[Community]:
    communities = selectors.dispatcher_communities(user)
    if not communities.exists():
        raise PermissionDenied
    return communities


def _show_refusal(form: Form, exc: DeliberationError) -> None:
    if isinstance(exc, InvalidInput) and exc.fields:
        for field, errors in exc.fields.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc.message)


# --- the dispatchers' list ---------------------------------------------------------------------


def dispatch_admin_list(request: HttpRequest) -> HttpResponse:
    """Dispatches of the person's communities: active ones (default), escalated ones, or all."""
    user = _user(request)
    communities = list(_require_dispatcher(user))
    chosen = None
    raw = request.GET.get("community", "")
    if raw.isdigit():
        chosen = next((c for c in communities if c.pk == int(raw)), None)
    escalated = request.GET.get("escalated") == "1"
    show_all = request.GET.get("all") == "1"
    rows = selectors.dispatches_for_dispatcher(
        user=user,
        now=timezone.now(),
        community=chosen,
        escalated=escalated,
        active_only=not show_all,
    )
    return render(
        request,
        "cms/admin/dispatch/list.html",
        {
            "rows": rows,
            "communities": communities,
            "chosen": chosen,
            "escalated": escalated,
            "show_all": show_all,
            "header_title": _("派件督办"),
        },
    )


# --- one matter: send and transfer ------------------------------------------------------------


def dispatch_admin_proposal(request: HttpRequest, pk: int) -> HttpResponse:
    """A matter's dispatches, the form to send it, the transfer of the active one."""
    user = _user(request)
    proposal = get_object_or_404(
        Proposal.objects.select_related("community", "author__user"), pk=pk
    )
    community = proposal.community
    if not rules.can_dispatch(user, community):
        raise PermissionDenied
    serving = list(selectors.units_serving(community))
    send_form = DispatchForm(serving=serving)
    transfer_form = TransferForm(serving=serving)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "dispatch":
                send_form = DispatchForm(request.POST, serving=serving)
                if not send_form.is_valid():
                    status = 400
                else:
                    dispatch_services.dispatch_create(
                        proposal=proposal,
                        unit=send_form.cleaned_data["unit"],
                        actor=user,
                        note=send_form.cleaned_data["note"],
                    )
                    messages.success(request, _("已派件,责任单位会收到通知。"))
                    return HttpResponseRedirect(
                        reverse("dispatch_admin_proposal", args=[pk]), status=303
                    )
            elif action == "transfer":
                transfer_form = TransferForm(request.POST, serving=serving)
                if not transfer_form.is_valid():
                    status = 400
                else:
                    current = get_object_or_404(
                        Dispatch, pk=transfer_form.cleaned_data["dispatch"], proposal=proposal
                    )
                    dispatch_services.dispatch_transfer(
                        dispatch=current,
                        to_unit=transfer_form.cleaned_data["unit"],
                        actor=user,
                        note=transfer_form.cleaned_data["note"],
                    )
                    messages.success(request, _("已转派,新的责任单位会收到通知。"))
                    return HttpResponseRedirect(
                        reverse("dispatch_admin_proposal", args=[pk]), status=303
                    )
            else:
                messages.error(request, _("未知操作。"))
                status = 400
        except DeliberationError as exc:
            _show_refusal(transfer_form if action == "transfer" else send_form, exc)
            status = 400
    dispatches = selectors.proposal_dispatches(proposal.pk)
    now = timezone.now()
    active = next((d for d in dispatches if d.status in ("dispatched", "claimed")), None)
    return render(
        request,
        "cms/admin/dispatch/proposal.html",
        {
            "proposal": proposal,
            "body_html": clean_html(proposal.body),
            "rows": [selectors.dispatch_row(d, now) for d in dispatches],
            "active": active,
            "send_form": send_form,
            "transfer_form": transfer_form,
            "serving": serving,
            "timeline": proposal_timeline(proposal),
            "header_title": _("派件:%(title)s") % {"title": proposal.title},
        },
        status=status,
    )


# --- the register of units ---------------------------------------------------------------------


def _street_communities(user: User) -> QuerySet[Community]:
    if user.is_superuser:
        return Community.objects.order_by("name")
    return Community.objects.filter(street__in=scope.staff_streets(user)).order_by("name")


def dispatch_admin_units(request: HttpRequest) -> HttpResponse:
    """责任单位: the units serving the person's communities, with kind, communities and staff."""
    user = _user(request)
    if not rules.can_administer_units(user):
        _require_dispatcher(user)
    return render(
        request,
        "cms/admin/dispatch/units.html",
        {
            "units": selectors.units_for_register(user),
            "can_edit": rules.can_administer_units(user),
            "header_title": _("责任单位"),
        },
    )


def _unit_initial(unit: ResponsibleUnit) -> dict[str, Any]:
    return {
        "name": unit.name,
        "kind": unit.kind,
        "phone": unit.phone,
        "is_active": unit.is_active,
        "communities": list(unit.communities.all()),
    }


def dispatch_admin_unit_new(request: HttpRequest) -> HttpResponse:
    """Street staff register a unit for communities of their street."""
    user = _user(request)
    if not rules.can_administer_units(user):
        raise PermissionDenied
    form = UnitForm(request.POST or None, communities=_street_communities(user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                unit = dispatch_services.responsible_unit_save(actor=user, **form.cleaned_data)
            except DeliberationError as exc:
                _show_refusal(form, exc)
                status = 400
            else:
                messages.success(request, _("已登记责任单位。"))
                return HttpResponseRedirect(
                    reverse("dispatch_admin_unit", args=[unit.pk]), status=303
                )
        else:
            status = 400
    return render(
        request,
        "cms/admin/dispatch/unit.html",
        {"form": form, "unit": None, "can_edit": True, "header_title": _("登记责任单位")},
        status=status,
    )


def _unit_visible(user: User, unit: ResponsibleUnit) -> bool:
    if rules.can_change_unit(user, unit):
        return True
    communities = selectors.dispatcher_communities(user)
    return unit.communities.filter(pk__in=communities.values("pk")).exists()


def dispatch_admin_unit(request: HttpRequest, pk: int) -> HttpResponse:
    """One unit: committee staff read it; street staff change it and its staff accounts."""
    user = _user(request)
    unit = get_object_or_404(ResponsibleUnit, pk=pk)
    if not _unit_visible(user, unit):
        raise PermissionDenied
    can_edit = rules.can_change_unit(user, unit)
    form = UnitForm(initial=_unit_initial(unit), communities=_street_communities(user))
    staff_form = UnitStaffForm()
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        action = request.POST.get("action", "")
        done = ""
        try:
            if action == "save":
                form = UnitForm(request.POST, communities=_street_communities(user))
                if form.is_valid():
                    dispatch_services.responsible_unit_save(
                        actor=user, unit=unit, **form.cleaned_data
                    )
                    done = _("已保存。")
            elif action == "add_staff":
                staff_form = UnitStaffForm(request.POST)
                if staff_form.is_valid():
                    account = User.objects.filter(
                        username=staff_form.cleaned_data["username"].strip()
                    ).first()
                    if account is None:
                        staff_form.add_error("username", _("找不到该账号。"))
                    else:
                        dispatch_services.unit_staff_add(
                            actor=user,
                            unit=unit,
                            user=account,
                            title=staff_form.cleaned_data["title"],
                            phone=staff_form.cleaned_data["phone"],
                        )
                        done = _("已添加工作人员。")
            elif action == "remove_staff":
                post = UnitStaff.objects.filter(unit=unit, pk=request.POST.get("post", "")).first()
                if post is not None:
                    dispatch_services.unit_staff_remove(actor=user, post=post)
                    done = _("已移除工作人员。")
        except DeliberationError as exc:
            _show_refusal(staff_form if action == "add_staff" else form, exc)
        if done:
            messages.success(request, done)
            return HttpResponseRedirect(reverse("dispatch_admin_unit", args=[pk]), status=303)
        status = 400
    return render(
        request,
        "cms/admin/dispatch/unit.html",
        {
            "form": form,
            "staff_form": staff_form,
            "unit": unit,
            "staff": list(unit.staff.select_related("user").order_by("pk")),
            "communities": list(unit.communities.order_by("name")),
            "can_edit": can_edit,
            "header_title": unit.name,
        },
        status=status,
    )


# --- the street's time limits -----------------------------------------------------------------


def dispatch_admin_limits(request: HttpRequest) -> HttpResponse:
    """限时: the street's limits per category (defaults where none is set)."""
    user = _user(request)
    streets = list(scope.staff_streets(user).order_by("name"))
    if not streets:
        raise PermissionDenied
    street = streets[0]
    raw = request.GET.get("street") or request.POST.get("street") or ""
    if raw.isdigit():
        street = next((s for s in streets if s.pk == int(raw)), street)
    form = LimitForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                dispatch_services.dispatch_limit_set(actor=user, street=street, **form.cleaned_data)
            except DeliberationError as exc:
                _show_refusal(form, exc)
                status = 400
            else:
                messages.success(request, _("已保存派件时限。"))
                return HttpResponseRedirect(
                    reverse("dispatch_admin_limits") + f"?street={street.pk}", status=303
                )
        else:
            status = 400
    rows = {row.category: row for row in DispatchLimit.objects.filter(street=street)}
    table = [(value, label, rows.get(value)) for value, label in Category.choices]
    return render(
        request,
        "cms/admin/dispatch/limits.html",
        {
            "streets": streets,
            "street": street,
            "table": table,
            "defaults": DEFAULT_LIMITS,
            "form": form,
            "header_title": _("派件时限"),
        },
        status=status,
    )


# --- registration -----------------------------------------------------------------------------


class _DispatchMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return selectors.dispatcher_communities(request.user).exists() or (
            rules.can_administer_units(request.user)
        )


@hooks.register("register_admin_urls")
def register_dispatch_urls() -> list[object]:
    return [
        path("dispatch/", dispatch_admin_list, name="dispatch_admin_list"),
        path(
            "dispatch/proposal/<int:pk>/", dispatch_admin_proposal, name="dispatch_admin_proposal"
        ),
        path("dispatch/units/", dispatch_admin_units, name="dispatch_admin_units"),
        path("dispatch/units/new/", dispatch_admin_unit_new, name="dispatch_admin_unit_new"),
        path("dispatch/units/<int:pk>/", dispatch_admin_unit, name="dispatch_admin_unit"),
        path("dispatch/limits/", dispatch_admin_limits, name="dispatch_admin_limits"),
    ]


@hooks.register("register_admin_menu_item")
def register_dispatch_menu_item() -> MenuItem:
    return _DispatchMenuItem(
        gettext_lazy("派件督办"), reverse("dispatch_admin_list"), icon_name="site", order=225
    )


@hooks.register("register_admin_menu_item")
def register_units_menu_item() -> MenuItem:
    return _DispatchMenuItem(
        gettext_lazy("责任单位"), reverse("dispatch_admin_units"), icon_name="group", order=226
    )
