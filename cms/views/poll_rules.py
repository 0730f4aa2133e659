"""Public pages a poll's declared rules open: the receipt check and the ballot list after
close. Neither shows a name; the receipt check shows nothing about any other ballot."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from cms.views.polls import _poll
from deliberation.models import Community
from votes import receipts
from votes.models import Poll, PollStatus


def _unavailable(
    request: HttpRequest, place: Community, poll: Poll, title: str, reason: str
) -> HttpResponse:
    """A page the poll's rules or its stage do not open (yet): say why, link back."""
    return render(
        request,
        "cms/polls/unavailable.html",
        {"community": place, "poll": poll, "title": title, "reason": reason},
    )


def receipt_check(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    """Enter a receipt code, see whether that ballot is counted and which version it is."""
    place, poll = _poll(request, community, pk)
    if poll.status == PollStatus.DRAFT or not receipts.receipts_enabled(poll):
        reason = (
            _("表决尚未开始。")
            if poll.status == PollStatus.DRAFT
            else _("本次表决按规则不提供回执码。")
        )
        return _unavailable(request, place, poll, _("核对回执码"), reason)
    code = (request.GET.get("code") or "").strip()[:40]
    check = receipts.receipt_lookup(poll, code) if code else None
    malformed = bool(code) and not receipts.normalise_receipt(code)
    return render(
        request,
        "cms/polls/receipt_check.html",
        {
            "community": place,
            "poll": poll,
            "code": code,
            "check": check,
            "malformed": malformed,
        },
        status=400 if malformed else 200,
    )


def ballot_list(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    """The public ballot list after close, when the poll declared one (units and area; the
    choice for named polls; never names)."""
    place, poll = _poll(request, community, pk)
    if not receipts.ballot_list_public(poll):
        reason = (
            _("本次表决截止后公布投票清单。")
            if poll.public_ballot_list
            else _("本次表决按规则不公布投票清单,只公布汇总结果。")
        )
        return _unavailable(request, place, poll, _("投票清单"), reason)
    rows = receipts.public_ballot_rows(poll)
    return render(
        request,
        "cms/polls/ballot_list.html",
        {
            "community": place,
            "poll": poll,
            "rows": rows,
            "secret": poll.frozen_spec.get("secrecy") == "secret",
        },
    )
