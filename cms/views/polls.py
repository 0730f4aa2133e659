"""Public poll pages: list, result (with the vote form), receipt, staff paper-ballot screen,
staff lifecycle actions, CSV/JSON export. Plain HTML forms; no JavaScript needed."""

from __future__ import annotations

import csv
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deliberation.models import Community, User
from votes import audit, receipts, rules, selectors
from votes.campaign import selectors as campaign_selectors
from votes.campaign.rules import is_campaign_poll
from votes.counting import accepts_blank
from votes.exceptions import PollStateError, VoteRefused
from votes.models import (
    BallotChannel,
    ChainScheme,
    ChangePolicy,
    Method,
    Poll,
    PollStatus,
    Secrecy,
)
from votes.services import (
    ballot_cast,
    poll_close,
    poll_extend,
    poll_finalise,
    poll_open,
    poll_pause,
    poll_resume,
)


def _poll(request: HttpRequest, community: str, pk: int) -> tuple[Community, Poll]:
    place = get_object_or_404(Community, slug=community)
    poll = selectors.poll_get(community=place, pk=pk)
    if poll is None or not rules.can_view_poll(request.user, poll):
        raise Http404(_("没有找到该表决。"))
    return place, poll


def _signed_in(request: HttpRequest) -> User | None:
    """The signed-in user, or None for a visitor."""
    return request.user if request.user.is_authenticated else None


def _choice_from_post(poll: Poll, data: QueryDict) -> dict[str, Any]:
    """The choice payload from a plain form: radio ``choice``, checkboxes ``choices``, or
    ``rank_<option id>`` number fields for ranked polls.

    A blank ballot (空白票) only from its explicit control: the radio ``choice=blank`` or the
    checkbox ``blank=1``; an empty form is refused, never taken for a blank ballot.
    """
    if data.get("choice") == "blank" or data.get("blank") == "1":
        if (
            data.getlist("choices")
            or data.get("choice", "blank") not in ("", "blank")
            or any((data.get(f"rank_{o.pk}") or "").strip() for o in poll.options.all())
        ):
            return {"choice": "x"}  # a blank ballot that also chooses: refused
        if poll.method == Method.APPROVAL:
            return {"choices": []}
        return {"ranking": []} if poll.method == Method.RANKED else {"choice": None}
    if poll.method == Method.APPROVAL:
        return {"choices": data.getlist("choices") or None}
    if poll.method == Method.RANKED:
        ranks = []
        for option in poll.options.all():
            value = (data.get(f"rank_{option.pk}") or "").strip()
            if value:
                if not value.isdigit():
                    return {"ranking": ["x"]}
                ranks.append((int(value), option.pk))
        ranks.sort()
        if len({r for r, _ in ranks}) != len(ranks):
            return {"ranking": ["x"]}
        return {"ranking": [pk for _, pk in ranks] or None}
    return {"choice": data.get("choice", "")}


def _option_rows(poll: Poll, result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Options joined with their counts from the stored result (raw tally)."""
    counts = {}
    if result:
        tally = result.get("raw") or result
        for row in tally.get("options", []):
            counts[row.get("id")] = row
    return [{"option": o, "count": counts.get(o.pk)} for o in poll.options.all()]


def _rounds(poll: Poll, result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Instant run-off rounds with option labels instead of ids."""
    if not result or not result.get("ranked"):
        return []
    labels = {o.pk: o.label for o in poll.options.all()}
    return [
        {
            "counts": [(labels.get(c["id"], c["id"]), c["headcount"]) for c in r["counts"]],
            "eliminated": [labels.get(i, str(i)) for i in r["eliminated"]],
        }
        for r in result["ranked"]["rounds"]
    ]


def poll_list(request: HttpRequest, community: str) -> HttpResponse:
    place = get_object_or_404(Community, slug=community)
    manage = rules.can_manage_polls(request.user, place)
    polls = list(selectors.polls_for_community(place, public=not manage)[:100])
    return render(
        request,
        "cms/polls/list.html",
        {"community": place, "polls": polls, "can_manage": manage},
    )


def poll_detail(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    place, poll = _poll(request, community, pk)
    data = selectors.poll_result_public(poll)
    keys = selectors.voter_keys_for_user(poll, _signed_in(request))
    voted = selectors.has_participated(poll, keys)
    manage = rules.can_manage_polls(request.user, place)
    result = data["result"]
    delegated = bool(keys) and poll.proxies.filter(voter_key__in=keys, revoked_at=None).exists()
    may_change = voted and receipts.may_change(poll, keys)
    return render(
        request,
        "cms/polls/detail.html",
        {
            "community": place,
            "poll": poll,
            "data": data,
            "result": result,
            "deemed": (result or {}).get("deemed"),
            "rounds": _rounds(poll, result),
            "option_rows": _option_rows(poll, result),
            "accepts_blank": accepts_blank(poll.method, poll.rule),
            "eligible": bool(keys),
            "voted": voted,
            "my_receipt": selectors.voter_receipt(poll, keys)
            if receipts.receipts_enabled(poll)
            else None,
            "delegated": delegated,
            "can_vote": poll.status == PollStatus.OPEN
            and not poll.is_online_suspended
            and bool(keys)
            and not delegated
            and (not voted or may_change),
            "changing": may_change,
            "change_once": receipts.change_policy(poll) == ChangePolicy.ONCE,
            "declared_rules": receipts.declared_rules(poll),
            "receipts_on": receipts.receipts_enabled(poll),
            "ballot_list_public": receipts.ballot_list_public(poll),
            "objections_open": (
                poll.objections.filter(answered_at__isnull=True).count() if manage else 0
            ),
            "can_manage": manage,
            "staff_entries": _staff_entries(poll),
            "now": timezone.now(),
        },
    )


def _staff_entries(poll: Poll) -> campaign_selectors.PublicEntries | None:
    """Who entered and who confirmed each staff-entered ballot, once an owners' poll has a
    public result (closed or final); units only where the ballot list is public."""
    if not is_campaign_poll(poll) or poll.status not in (PollStatus.CLOSED, PollStatus.FINAL):
        return None
    return campaign_selectors.public_entries(poll, show_units=receipts.ballot_list_public(poll))


@require_POST
def poll_vote(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    """Cast the signed-in voter's ballot from the plain form; show the receipt."""
    place, poll = _poll(request, community, pk)
    if not request.user.is_authenticated:
        return HttpResponseRedirect(f"{reverse('login')}?next={request.path}")
    if not rules.may_vote_in(request.user, poll):
        raise PermissionDenied(_("您不是本社区的成员，不能参加本次表决。"))
    try:
        receipt = ballot_cast(
            poll=poll, voter=request.user, choice=_choice_from_post(poll, request.POST)
        )
    except VoteRefused as refused:
        messages.error(request, refused.message)
        return HttpResponseRedirect(reverse("poll-detail", args=[place.slug, poll.pk]) + "#vote")
    return render(
        request,
        "cms/polls/receipt.html",
        {
            "community": place,
            "poll": poll,
            "receipt": receipt,
            "receipts_on": receipts.receipts_enabled(poll),
        },
    )


def paper_entry(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    """Staff screen for signed paper ballots: find the voter (unit), pick the choice, next.

    Deliberative polls only: an owners' decision is sent to the campaign entry screen, where
    an entry needs the signed paper's photo and a second staff member before it counts.

    Keyboard only: the search box has focus; Enter searches; one match is preselected; Tab to
    the choices (arrow keys), Enter saves and returns here with the box focused again.
    """
    place, poll = _poll(request, community, pk)
    if not rules.can_enter_ballots(request.user, poll):
        raise PermissionDenied
    if is_campaign_poll(poll):
        # Owners' decisions count a staff-entered ballot only with the signed paper's photo and
        # a second person's confirmation: never from here (nothing posted here is cast).
        messages.warning(
            request,
            _(
                "业主共同决定的纸质票、委托票须上传签字选票的照片或扫描件,"
                "并经另一名工作人员复核后才计入:请在此录入。"
            ),
        )
        return HttpResponseRedirect(reverse("votes_campaign_entry", args=[poll.pk]))
    query = request.GET.get("q", "") if request.method == "GET" else request.POST.get("q", "")
    form_error = ""
    if request.method == "POST":
        key = request.POST.get("voter_key", "")
        channel = request.POST.get("channel", BallotChannel.PAPER)
        choice = _choice_from_post(poll, request.POST)
        number = (request.POST.get("choice_number") or "").strip()
        if number and poll.method in (Method.SINGLE, Method.YESNO):
            # Keyboard entry: the option's number as printed on the paper ballot.
            ids = [o.pk for o in poll.options.all()]
            index = int(number) - 1 if number.isdigit() else -1
            choice = {"choice": ids[index] if 0 <= index < len(ids) else "x"}
        try:
            if not key:
                raise VoteRefused("bad_request", _("请先选择投票人(房号或姓名)。"))
            receipt = ballot_cast(
                poll=poll,
                voter=key,
                choice=choice,
                channel=channel,
                entered_by=_signed_in(request),
                proxy_note=request.POST.get("proxy_note", ""),
                proxy_name=request.POST.get("proxy_name", ""),
            )
        except VoteRefused as refused:
            form_error = refused.message
        else:
            messages.success(
                request,
                _("已录入:%(voter)s,第 %(seq)s 张,回执 %(receipt)s")
                % {
                    "voter": selectors.voter_label(poll, key),
                    "seq": receipt.seq,
                    "receipt": receipt.receipt,
                },
            )
            return HttpResponseRedirect(reverse("poll-paper", args=[place.slug, poll.pk]))
    hits = selectors.paper_voter_search(poll, query)
    return render(
        request,
        "cms/polls/paper.html",
        {
            "community": place,
            "poll": poll,
            "query": query,
            "hits": hits,
            "all_voted": bool(hits) and all(hit.voted for hit in hits),
            "form_error": form_error,
            "accepts_blank": accepts_blank(poll.method, poll.rule),
            "selected": request.POST.get("voter_key", "")
            or (hits[0].key if len(hits) == 1 and not hits[0].voted else ""),
            "channels": [
                (BallotChannel.PAPER, BallotChannel.PAPER.label),
                (BallotChannel.PROXY, BallotChannel.PROXY.label),
                (BallotChannel.IN_PERSON, BallotChannel.IN_PERSON.label),
            ],
            "channel": request.POST.get("channel", BallotChannel.PAPER),
            "entered": poll.ballot_seq,
        },
        status=400 if form_error else 200,
    )


def _closes_at(value: str) -> datetime | None:
    """A datetime-local field: None when empty; ``ValidationError`` when unreadable."""
    if not value.strip():
        return None
    try:
        closes_at = parse_datetime(value.strip())
    except ValueError:
        closes_at = None
    if closes_at is None:
        raise ValidationError({"closes_at": _("截止时间格式不正确")})
    return timezone.make_aware(closes_at) if timezone.is_naive(closes_at) else closes_at


@require_POST
def poll_manage(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    """Staff lifecycle actions from the result page: open, close, extend, pause (every channel,
    or ``outage``: the online channel only), resume (optionally with a new closing time),
    finalise. Each is logged on the poll's timeline and drafts its notice on the notice desk."""
    place, poll = _poll(request, community, pk)
    if not rules.can_manage_polls(request.user, place):
        raise PermissionDenied
    action = request.POST.get("action")
    actor = _signed_in(request)
    try:
        if action == "open":
            poll_open(poll=poll, actor=actor)
            messages.success(request, _("表决已开始,基数已公布。"))
        elif action == "close":
            poll_close(poll=poll, actor=actor)
            messages.success(request, _("表决已截止,结果已公布。"))
        elif action == "extend":
            closes_at = _closes_at(request.POST.get("closes_at", ""))
            if closes_at is None:
                raise ValidationError({"closes_at": _("请填写新的截止时间")})
            poll_extend(
                poll=poll,
                actor=actor,
                closes_at=closes_at,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("表决期已延长,并已公告。"))
        elif action in ("pause", "outage"):
            poll_pause(
                poll=poll,
                actor=actor,
                reason=request.POST.get("reason", ""),
                online_only=action == "outage",
            )
            messages.success(
                request,
                _("已暂停网上表决,纸质票等继续录入;公告草稿已在公示发布页。")
                if action == "outage"
                else _("表决已暂停;公告草稿已在公示发布页。"),
            )
        elif action == "resume":
            poll_resume(
                poll=poll,
                actor=actor,
                reason=request.POST.get("reason", ""),
                closes_at=_closes_at(request.POST.get("closes_at", "")),
            )
            messages.success(request, _("表决已恢复;公告草稿已在公示发布页。"))
        elif action == "finalise":
            poll_finalise(poll=poll, actor=actor, note=request.POST.get("note", ""))
            messages.success(request, _("最终结果已公布。"))
        else:
            messages.error(request, _("未知操作。"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except PollStateError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("poll-detail", args=[place.slug, poll.pk]))


def _export_rows(poll: Poll) -> list[dict[str, Any]]:
    labels = {o.pk: o.label for o in poll.options.all()}
    secret = poll.secrecy == Secrecy.SECRET
    rows = []
    for ballot in selectors.ballots_in_chain_order(poll):
        choice = ballot.choice
        ids = (
            [choice["choice"]]
            if choice.get("choice") is not None  # None: a blank ballot (弃权)
            else choice.get("choices") or choice.get("ranking", [])
        )
        rows.append(
            {
                "seq": ballot.seq,
                "voter": "" if secret else selectors.voter_label(poll, ballot.voter_key or ""),
                "voter_key": ballot.voter_key or "",
                "choice": " > ".join(labels.get(i, str(i)) for i in ids)
                if poll.method == Method.RANKED
                else "、".join(labels.get(i, str(i)) for i in ids),
                "headcount": ballot.headcount,
                "area": f"{ballot.area}",
                "channel": ballot.channel,
                "entered_by": str(ballot.entered_by) if ballot.entered_by_id else "",
                "receipt": ballot.receipt,
                "hash": ballot.hash,
            }
        )
    return rows


def poll_export(request: HttpRequest, community: str, pk: int, fmt: str) -> HttpResponse:
    """CSV or JSON of every ballot (named: who and what; secret: what only) for staff."""
    _place, poll = _poll(request, community, pk)
    if not rules.can_export_ballots(request.user, poll):
        raise PermissionDenied
    rows = _export_rows(poll)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "json":
        payload = {"poll": selectors.poll_result_public(poll), "ballots": rows}
        document = JsonResponse(payload, json_dumps_params={"ensure_ascii": False, "indent": 1})
        document["Content-Disposition"] = f'attachment; filename="poll-{poll.pk}-{stamp}.json"'
        return document
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="poll-{poll.pk}-{stamp}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
    writer = csv.writer(response)
    header = [
        "seq",
        "voter",
        "voter_key",
        "choice",
        "headcount",
        "area",
        "channel",
        "entered_by",
        "receipt",
        "hash",
    ]
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_safe(row[name]) for name in header])
    return response


def _csv_safe(value: object) -> object:
    """Defuse spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def poll_chain(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    """The heads of the poll's ballot chain published so far, with their times, for residents
    to save or print (docs/ballot-chain.md); ``?format=txt`` is the same list as a file that
    ``verify_ballots POLL --heads FILE`` reads."""
    place, poll = _poll(request, community, pk)
    publications = selectors.poll_chain_publications(poll)
    lines = []
    for item in publications:
        at = timezone.localtime(item.published_at).isoformat(timespec="seconds")
        lines.append(audit.format_head_line(item.seq, item.head, f"{at} {item.reason}"))
    if request.GET.get("format") == "txt":
        header = f"# poll {poll.pk} {place.slug}: {poll.question}\n"
        response = HttpResponse(header + "\n".join(lines) + "\n", content_type="text/plain")
        response["Content-Disposition"] = f'attachment; filename="poll-{poll.pk}-chain-heads.txt"'
        return response
    return render(
        request,
        "cms/polls/chain.html",
        {
            "community": place,
            "poll": poll,
            "publications": publications,
            "lines": lines,
            "keyed": poll.chain_scheme == ChainScheme.HMAC_SHA256,
        },
    )
