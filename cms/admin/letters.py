"""Wagtail-admin page for printed notifications (纸质通知): per building, one letter per household
that asked for paper or has no phone, for the building head (楼栋长) to deliver.

Registered from ``cms/wagtail_hooks.py`` by importing this module. The PDF carries only the
letters the page listed (``upto``), and "mark as printed" records exactly those.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from deliberation import scope
from deliberation.models import Building, Community
from deliberation.notifications import selectors, services
from deliberation.notifications.rules import PRINT_LETTERS_PERMISSION, can_print_letters
from meetings.minutes.render import css_counter_content, html_to_pdf, qr_data_uri


def _communities(request: HttpRequest) -> list[Community]:
    return list(
        scope.committee_communities(request.user, permission=PRINT_LETTERS_PERMISSION)
        .distinct()
        .order_by("name")
    )


def _building(request: HttpRequest, slug: str, building_id: int) -> tuple[Community, Building]:
    community = get_object_or_404(Community, slug=slug)
    if not can_print_letters(request.user, community):
        raise PermissionDenied
    building = get_object_or_404(Building, pk=building_id, community=community)
    return community, building


def _upto(request: HttpRequest) -> int:
    raw = request.GET.get("upto") or request.POST.get("upto") or ""
    if not raw.isdigit():
        raise Http404
    return int(raw)


def letters_index(request: HttpRequest) -> HttpResponse:
    communities = _communities(request)
    if not communities:
        raise PermissionDenied
    rows = [
        (community, selectors.buildings_with_pending_letters(community))
        for community in communities
    ]
    return render(
        request,
        "cms/inbox/letters_admin.html",
        {"rows": rows, "header_title": _("纸质通知")},
    )


def letters_pdf(request: HttpRequest, slug: str, building_id: int) -> HttpResponse:
    community, building = _building(request, slug, building_id)
    letters = selectors.letters_for_building(community, building, upto_id=_upto(request))
    if not letters:
        raise Http404
    site = settings.SITE_URL.rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):
        for letter in letters:
            for item in letter.items:
                item.full_url = site + item.url if item.url else site
                item.qr = qr_data_uri(item.full_url)
        html = render_to_string(
            "cms/inbox/letters_pdf.html",
            {
                "community": community,
                "building": building,
                "letters": letters,
                "printed_at": timezone.localtime(),
                "page_footer_css": css_counter_content(_("第 %(page)s 页 / 共 %(pages)s 页")),
            },
        )
    pdf = html_to_pdf(html, base_url=settings.SITE_URL)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="letters-{community.slug}-{building.pk}.pdf"'
    )
    return response


@require_POST
def letters_mark_printed(request: HttpRequest, slug: str, building_id: int) -> HttpResponse:
    community, building = _building(request, slug, building_id)
    count = services.letters_mark_printed(
        community=community, building_id=building.pk, upto_id=_upto(request)
    )
    messages.success(
        request,
        _("%(building)s 的 %(count)s 条纸质通知已记为交楼栋长送达。")
        % {"building": building.name, "count": count},
    )
    return HttpResponseRedirect(reverse("notifications_letters"))


class _LettersMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return scope.committee_communities(
            request.user, permission=PRINT_LETTERS_PERMISSION
        ).exists()


@hooks.register("register_admin_urls")
def register_letters_urls() -> list[object]:
    return [
        path("letters/", letters_index, name="notifications_letters"),
        path(
            "letters/<slug:slug>/<int:building_id>.pdf",
            letters_pdf,
            name="notifications_letters_pdf",
        ),
        path(
            "letters/<slug:slug>/<int:building_id>/printed/",
            letters_mark_printed,
            name="notifications_letters_printed",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_letters_menu_item() -> MenuItem:
    return _LettersMenuItem(
        gettext_lazy("纸质通知"),
        reverse("notifications_letters"),
        icon_name="mail",
        order=220,
    )
