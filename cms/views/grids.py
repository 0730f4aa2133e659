"""The grid workers' pages, made for a phone: the grid's home, a box round (倾诉箱 opening, one
form for every slip), the visit log (民情日志) with "turn into a matter", the receipt slip (回执)
of a matter and the contact cards (民情联系卡) of a building.

Grid workers see only their own grids here; the community's committee sees all of its grids.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms.forms.grids import (
    MAX_SLIP_ROWS,
    SLIP_ROWS,
    BoxRoundForm,
    ConvertForm,
    SlipFormSet,
    VisitLogForm,
)
from deliberation.exceptions import DeliberationError, InvalidInput
from deliberation.grids import rules as grid_rules
from deliberation.grids import selectors as grid_selectors
from deliberation.grids.services import (
    SlipInput,
    box_round_submit,
    visit_log_create,
    visit_log_to_proposal,
)
from deliberation.models import Building, Community, Grid, User, VisitLog
from meetings.minutes.render import html_to_pdf, qr_data_uri

SLIP_PREFIX = "slip"


def _place(request: HttpRequest, slug: str) -> tuple[Community, QuerySet[Grid]]:
    """The community and the grids the user enters for there (403 when none)."""
    place = get_object_or_404(Community.objects.select_related("street"), slug=slug)
    grids = grid_selectors.grids_for_intake(request.user, place)
    if not grids.exists():
        raise PermissionDenied
    return place, grids


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
def grid_home(request: HttpRequest, community: str) -> HttpResponse:
    place, grids = _place(request, community)
    return render(
        request,
        "cms/grids/home.html",
        {
            "community": place,
            "grids": list(grids),
            "buildings": grid_selectors.buildings_of_grids(grids),
        },
    )


# --- box round -----------------------------------------------------------------------------------


def _rows(request: HttpRequest) -> int:
    raw = request.GET.get("rows", "")
    return max(1, min(MAX_SLIP_ROWS, int(raw))) if raw.isdigit() else SLIP_ROWS


def _blank_slips(rows: int) -> Any:
    return SlipFormSet(prefix=SLIP_PREFIX, initial=[{} for _row in range(rows)])


def _refused_formset(formset: Any, refused: list[tuple[int, dict[str, list[str]]]]) -> Any:
    """A formset of only the refused slips, as typed, with the service's errors on them.

    The stored slips are gone from the form, so sending it again never stores them twice.
    """
    data = QueryDict(mutable=True)
    data[f"{SLIP_PREFIX}-TOTAL_FORMS"] = str(len(refused))
    data[f"{SLIP_PREFIX}-INITIAL_FORMS"] = "0"
    for new_index, (old_index, _errors) in enumerate(refused):
        old = formset.forms[old_index]
        for name in old.fields:
            if name == "photo":
                continue
            data[f"{SLIP_PREFIX}-{new_index}-{name}"] = old.data.get(old.add_prefix(name), "")
    again = SlipFormSet(data, prefix=SLIP_PREFIX)
    again.is_valid()
    for new_index, (_old_index, errors) in enumerate(refused):
        form = again.forms[new_index]
        for name, messages_ in errors.items():
            for message in messages_:
                target = name if name in form.fields and name not in form.errors else None
                if name == "photos":
                    target = "photo"
                form.add_error(target, message)
    return again


@login_required
def box_round(request: HttpRequest, community: str) -> HttpResponse:
    """GET: the round's form with blank slip rows; POST: store every good slip, and show the
    refused ones again as typed, each with its own errors."""
    place, grids = _place(request, community)
    stored: list[Any] = []
    status = 200
    if request.method == "POST":
        form = BoxRoundForm(request.POST, grids=grids)
        formset = SlipFormSet(request.POST, request.FILES, prefix=SLIP_PREFIX)
        form_ok = form.is_valid()
        formset.is_valid()
        filled = [(i, f) for i, f in enumerate(formset.forms) if f.has_changed()]
        if not filled:
            form.add_error(None, _("请至少录入一张纸条。"))
        if form_ok and filled:
            slips: list[SlipInput] = []
            refused_early: list[tuple[int, dict[str, list[str]]]] = []
            index_of: list[int] = []
            for index, slip_form in filled:
                if slip_form.errors:
                    refused_early.append((index, {}))
                    continue
                data = slip_form.cleaned_data
                slips.append(
                    SlipInput(
                        building_code=data["building_code"],
                        text=data["text"],
                        photo=data.get("photo"),
                        name=data.get("name", ""),
                        phone=data.get("phone", ""),
                        category=data["category"],
                    )
                )
                index_of.append(index)
            refused = list(refused_early)
            if slips:
                try:
                    result = box_round_submit(
                        grid=form.cleaned_data["grid"],
                        actor=_user(request),
                        opened_on=form.cleaned_data["opened_on"],
                        slips=slips,
                    )
                except InvalidInput as error:
                    for name, errors in error.fields.items():
                        for message in errors:
                            form.add_error(name if name in form.fields else None, message)
                    refused = [(index, {}) for index, _f in filled]
                else:
                    stored = result.stored
                    refused += [(index_of[o.index], o.errors) for o in result.refused]
            refused.sort()
            if stored:
                messages.success(
                    request,
                    _("已录入 %(count)s 张纸条,每张都有案件编号和回执。") % {"count": len(stored)},
                )
            if not refused:
                if stored:
                    url = reverse("grid-box-round", args=[place.slug])
                    ids = ",".join(str(p.pk) for p in stored)
                    return HttpResponseRedirect(f"{url}?done={ids}")
            else:
                formset = _refused_formset(formset, refused)
                status = 400
        else:
            status = 400
    else:
        form = BoxRoundForm(grids=grids)
        formset = _blank_slips(_rows(request))
        stored = _done(request, place)
    return render(
        request,
        "cms/grids/box_round.html",
        {
            "community": place,
            "form": form,
            "formset": formset,
            "stored": stored,
            "more_rows": min(MAX_SLIP_ROWS, len(formset.forms) + SLIP_ROWS),
        },
        status=status,
    )


def _done(request: HttpRequest, place: Community) -> list[Any]:
    """The matters just stored (``?done=1,2``) that the user may print receipts for."""
    ids = [int(x) for x in request.GET.get("done", "").split(",") if x.isdigit()][:MAX_SLIP_ROWS]
    out = []
    for pk in ids:
        proposal = grid_selectors.proposal_for_receipt(community=place, pk=pk)
        if proposal is not None and grid_rules.can_print_receipt(request.user, proposal):
            out.append(proposal)
    return out


# --- visit log -----------------------------------------------------------------------------------


@login_required
def visit_log(request: HttpRequest, community: str) -> HttpResponse:
    place, grids = _place(request, community)
    form = VisitLogForm(request.POST or None, grids=grids)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit_log_create(
                    grid=data["grid"],
                    actor=_user(request),
                    visited_on=data["visited_on"],
                    household=data["household"],
                    raised=data["raised"],
                    follow_up=data["follow_up"],
                    building=data["building"],
                )
            except InvalidInput as error:
                for name, errors in error.fields.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
            except DeliberationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("已记入民情日志。"))
                return HttpResponseRedirect(reverse("grid-visits", args=[place.slug]))
        status = 400
    return render(
        request,
        "cms/grids/visits.html",
        {
            "community": place,
            "form": form,
            "entries": grid_selectors.visit_logs(grids),
            "convert_form": ConvertForm(),
        },
        status=status,
    )


@require_POST
@login_required
def visit_log_convert(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    place, grids = _place(request, community)
    entry = get_object_or_404(VisitLog.objects.select_related("grid"), pk=pk, grid__in=grids)
    form = ConvertForm(request.POST)
    category = form.cleaned_data["category"] if form.is_valid() else ConvertForm().initial
    try:
        proposal = visit_log_to_proposal(
            entry=entry, actor=_user(request), category=str(category or "other")
        )
    except DeliberationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("已转为议题,案件编号 %(number)s。") % {"number": proposal.case_number}
        )
    return HttpResponseRedirect(reverse("grid-visits", args=[place.slug]))


# --- receipt and contact cards -------------------------------------------------------------------


def _public_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


@login_required
def proposal_receipt(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    """回执: an A6 slip to post back on the box or hand over, printed from the browser."""
    place = get_object_or_404(Community.objects.select_related("street"), slug=community)
    proposal = grid_selectors.proposal_for_receipt(community=place, pk=pk)
    if proposal is None or not grid_rules.can_print_receipt(request.user, proposal):
        raise Http404(_("没有找到该议题。"))
    url = _public_url(reverse("proposal-detail", args=[place.slug, proposal.pk]))
    return render(
        request,
        "cms/grids/receipt.html",
        {
            "community": place,
            "proposal": proposal,
            "url": url,
            "qr": qr_data_uri(url),
            "hotline": grid_selectors.community_hotline(place),
            "received_on": timezone.localtime(proposal.submitted_at).date(),
            "respond_by_days": place.response_days,
        },
    )


@login_required
def contact_cards_pdf(request: HttpRequest, community: str, building_id: int) -> HttpResponse:
    """民情联系卡: one card per household (unit) of the building, as a PDF to print and hand out."""
    place, grids = _place(request, community)
    building = get_object_or_404(
        Building.objects.select_related("grid", "community__street"),
        pk=building_id,
        community=place,
    )
    if building.grid_id is None or not grids.filter(pk=building.grid_id).exists():
        raise Http404(_("这栋楼不在您的网格内。"))
    cards = grid_selectors.contact_cards(building)
    if not cards:
        raise Http404(_("这栋楼还没有登记房屋。"))
    url = _public_url(reverse("community-home", args=[place.slug]))
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "cms/grids/contact_cards_pdf.html",
            {
                "community": place,
                "building": building,
                "cards": cards,
                "url": url,
                "qr": qr_data_uri(url),
            },
        )
    pdf = html_to_pdf(html)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="contact-cards-{building.pk}.pdf"'
    return response
