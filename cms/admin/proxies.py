"""Written proxies (授权委托书) in the Wagtail admin: list, register, view, revoke, the scan.

Committee staff of a community only (``votes.proxies.rules.can_manage_proxies``); every write
goes through ``votes.proxies.services``. The scan is served through Django after the same
check, never as a public media file.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from cms.forms.proxies import ProxyLetterForm
from deliberation import scope
from deliberation.exceptions import InvalidInput
from deliberation.models import Community
from votes.models import ProxyLetter
from votes.proxies import selectors
from votes.proxies.rules import can_manage_proxies
from votes.proxies.services import proxy_letter_register, proxy_letter_revoke
from votes.rules import can_manage_polls


def _communities(request: HttpRequest) -> list[Community]:
    places = scope.committee_communities(request.user) & scope.staff_communities(request.user)
    return [c for c in places.distinct().order_by("name") if can_manage_polls(request.user, c)]


def _letter(request: HttpRequest, pk: int) -> ProxyLetter:
    letter = get_object_or_404(ProxyLetter.objects.select_related("community"), pk=pk)
    if not can_manage_proxies(request.user, letter.community):
        raise Http404
    return letter


def proxies_index(request: HttpRequest) -> HttpResponse:
    communities = _communities(request)
    if not communities:
        raise PermissionDenied
    ids = [c.pk for c in communities]
    letters = list(
        selectors.proxy_letters_for(Community.objects.filter(pk__in=ids))[:200].prefetch_related(
            "authorisations__poll"
        )
    )
    return render(
        request,
        "cms/admin/proxies/index.html",
        {"communities": communities, "letters": letters, "header_title": _("授权委托书")},
    )


def proxies_add(request: HttpRequest, community: str) -> HttpResponse:
    place = get_object_or_404(Community, slug=community)
    if not can_manage_proxies(request.user, place):
        raise PermissionDenied
    polls = selectors.proxy_candidate_polls(place)
    principals = selectors.proxy_principals(polls)
    form = ProxyLetterForm(
        request.POST or None, request.FILES or None, principals=principals, polls=polls
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            chosen = set(form.cleaned_data["polls"])
            try:
                letter = proxy_letter_register(
                    community=place,
                    principal_key=form.cleaned_data["principal_key"],
                    holder_name=form.cleaned_data["holder_name"],
                    holder_phone=form.cleaned_data["holder_phone"],
                    scan=form.cleaned_data["scan"],
                    polls=[poll for poll in polls if poll.pk in chosen],
                    instructions=form.instructions(),
                    note=form.cleaned_data.get("note") or "",
                    actor=request.user,  # type: ignore[arg-type]
                )
            except InvalidInput as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("授权委托书已登记。"))
                return HttpResponseRedirect(reverse("votes_proxies_detail", args=[letter.pk]))
        status = 400
    return render(
        request,
        "cms/admin/proxies/add.html",
        {
            "community": place,
            "form": form,
            "has_polls": bool(polls),
            "cap": place.proxy_cap,
            "header_title": _("登记授权委托书"),
        },
        status=status,
    )


def proxies_detail(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _letter(request, pk)
    error = ""
    if request.method == "POST":
        try:
            proxy_letter_revoke(
                letter=letter,
                actor=request.user,  # type: ignore[arg-type]
                reason=request.POST.get("reason", ""),
            )
        except InvalidInput as exc:
            error = "；".join(e for errors in exc.fields.values() for e in errors) or exc.message
        else:
            messages.success(request, _("授权委托书已撤销;委托人可以自行投票。"))
            return HttpResponseRedirect(reverse("votes_proxies_detail", args=[letter.pk]))
    return render(
        request,
        "cms/admin/proxies/detail.html",
        {
            "letter": letter,
            "authorisations": selectors.letter_authorisations(letter),
            "error": error,
            "header_title": _("授权委托书"),
        },
        status=400 if error else 200,
    )


def proxies_scan(request: HttpRequest, pk: int) -> FileResponse:
    letter = _letter(request, pk)
    try:
        handle = letter.scan.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle)
    patch_cache_control(response, private=True, no_store=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class _ProxiesMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return bool(_communities(request))


@hooks.register("register_admin_urls")
def register_proxy_urls() -> list[object]:
    return [
        path("proxies/", proxies_index, name="votes_proxies"),
        path("proxies/<slug:community>/add/", proxies_add, name="votes_proxies_add"),
        path("proxies/letter/<int:pk>/", proxies_detail, name="votes_proxies_detail"),
        path("proxies/letter/<int:pk>/scan/", proxies_scan, name="votes_proxies_scan"),
    ]


@hooks.register("register_admin_menu_item")
def register_proxies_menu_item() -> MenuItem:
    return _ProxiesMenuItem(
        gettext_lazy("授权委托书"), reverse("votes_proxies"), icon_name="doc-full", order=215
    )
