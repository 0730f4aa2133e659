"""Campaign pages outside the admin: the canvasser's phone page (扫楼) and the evidence files.

A canvasser (building head, volunteer) sees only the not-yet-voted units of the buildings they
are assigned to for the poll (names masked, never a choice) and records a door-to-door ballot
with the signed slip's photo; it waits for committee staff to confirm it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from cms.views.polls import _choice_from_post
from deliberation.exceptions import InvalidInput
from deliberation.models import Community, User
from votes.campaign import rules, selectors, services
from votes.campaign.evidence import ACCEPT
from votes.campaign.models import EVIDENCE_FOLDER
from votes.counting import accepts_blank
from votes.exceptions import VoteRefused
from votes.models import BallotChannel, BallotEntry, Poll


def canvass(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    place = get_object_or_404(Community, slug=community)
    poll = get_object_or_404(Poll, pk=pk, community=place)
    if not request.user.is_authenticated or not rules.can_canvass(request.user, poll):
        raise PermissionDenied
    services.campaign_units_ensure(poll=poll)
    assigned = rules.canvass_building_ids(request.user, poll)
    context = {
        "community": place,
        "poll": poll,
        "options": list(poll.options.all()),
        "accepts_blank": accepts_blank(poll.method, poll.rule),
        "accept": ACCEPT,
        "is_campaign": rules.is_campaign_poll(poll),
    }
    if not rules.is_campaign_poll(poll):
        context["error"] = _("入户表决只适用于业主共同决定。")
        return render(request, "cms/polls/canvass.html", context, status=400)
    staff = not assigned  # committee staff without an assignment see every building
    waiting = selectors.not_voted_units(poll, building_ids=None if staff else sorted(assigned))
    context["waiting"] = waiting
    selected_raw = request.POST.get("unit") or request.GET.get("unit") or ""
    selected = next((w for w in waiting if str(w.unit_id) == selected_raw), None)
    context["selected"] = selected
    if request.method != "POST":
        return render(request, "cms/polls/canvass.html", context)
    if selected is None:
        context["error"] = _("请选择一户(只能录入您负责楼栋中尚未投票的房屋)。")
        return render(request, "cms/polls/canvass.html", context, status=400)
    if not rules.can_record_door_ballot(request.user, poll, selected.building_id):
        raise PermissionDenied
    assert isinstance(request.user, User)
    try:
        services.ballot_entry_submit(
            poll=poll,
            unit_id=selected.unit_id,
            channel=BallotChannel.DOOR,
            choice=_choice_from_post(poll, request.POST),
            actor=request.user,
            evidence=request.FILES.get("evidence"),
            signer_name=request.POST.get("signer_name", ""),
            signer_id=request.POST.get("signer_id", ""),
        )
    except InvalidInput as bad:
        context["error"] = str(bad)
        return render(request, "cms/polls/canvass.html", context, status=400)
    except VoteRefused as refused:
        context["error"] = refused.message
        return render(request, "cms/polls/canvass.html", context, status=400)
    messages.success(
        request,
        _("%(building)s %(unit)s 的入户选票已提交,社区工作人员复核后计入。")
        % {"building": selected.building, "unit": selected.number},
    )
    return HttpResponseRedirect(reverse("poll-canvass", args=[place.slug, poll.pk]))


def evidence_file(request: HttpRequest, name: str) -> FileResponse:
    """A signed ballot's photo or scan: committee staff of the poll's community only (404
    otherwise, as for a missing file)."""
    entry = (
        BallotEntry.objects.select_related("poll__community")
        .filter(evidence=f"{EVIDENCE_FOLDER}/{name}")
        .first()
    )
    if entry is None or not rules.can_run_campaign(request.user, entry.poll):
        raise Http404
    try:
        handle = entry.evidence.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle)
    patch_cache_control(response, private=True, no_store=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response
