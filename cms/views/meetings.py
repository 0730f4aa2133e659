"""Meeting pages: the meeting, the participant's live view, the facilitator's console and the
projector. Every action is also a plain form post (no JavaScript needed); with JavaScript the
same actions go over the websocket (``cms/static/cms/js/live.js``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from deliberation.accounts.network import client_ip
from deliberation.models import Community, Party
from meetings import commands, protocol, reconnect, rules, selectors, services
from meetings.exceptions import MeetingRefused
from meetings.minutes.render import qr_data_uri
from meetings.models import Meeting, MeetingStatus, Stance
from votes.exceptions import VoteRefused


def _meeting(community: str, pk: int) -> Meeting:
    place = get_object_or_404(Community, slug=community)
    meeting = selectors.meeting_get(community=place, pk=pk)
    if meeting is None:
        raise Http404
    return meeting


def _visible(request: HttpRequest, meeting: Meeting) -> None:
    if not rules.can_view(request.user, meeting):
        raise PermissionDenied


def _back(request: HttpRequest, meeting: Meeting, default: str = "meeting-live") -> HttpResponse:
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse(default, args=[meeting.community.slug, meeting.pk])
    return HttpResponseRedirect(target)


def live_strings() -> dict[str, str]:
    """The words live.js shows, translated here so the script needs no catalogue."""
    return {
        "reconnecting": _("正在重新连接…"),
        "colon": pgettext("label separator", "："),
        "name_party": _("%(name)s（%(party)s）"),
        "closed": _("连接已关闭，请刷新页面。"),
        "receipt": _("投票成功，回执号："),
        "voted": _("您已投票。"),
        "no_poll": _("本议题暂无表决。"),
        "poll_draft": _("表决尚未开始。"),
        "poll_done": _("表决已结束。"),
        "observer": _("旁听者不参加表决。"),
        "submit": _("提交选票"),
        "turnout": _("已投 %(n)s 票 / 应投 %(total)s 票"),
        "votes": _("%(n)s 票 (%(p)s%%)"),
        "hidden": _("表决结束后公布各选项票数。"),
        "verdict": _("表决结果："),
        "speaking": _("正在发言："),
        "nobody": _("目前无人发言。"),
        "queue_empty": _("暂无人排队。"),
        "spoken": _("已发言 %(n)s 次"),
        "left": _("剩余 %(t)s"),
        "over": _("已超时 %(t)s"),
        "quorum": _("到会 %(p)s 人 / 应到 %(e)s 人，法定人数 %(r)s 人"),
        "quorum_met": _("已达法定人数"),
        "quorum_short": _("未达法定人数"),
        "not_started": _("会议尚未开始。"),
        "current": _("当前"),
        "goto": _("转到此议题"),
        "open_poll": _("开始表决"),
        "close_poll": _("结束表决"),
        "poll_closed": _("表决已结束"),
        "present": _("已到"),
        "self": _("自助签到"),
        "mark_absent": _("标为缺席"),
        "mark_present": _("签到"),
        "positions_empty": _("四方立场尚未记录。"),
        "notes_empty": _("暂无记录。"),
        "rank_of": _("%(l)s 的排序"),
        "blank": _("空白票(不支持任何选项)"),
        "blank_help": _("空白票计入参与表决,但不计入任何选项的支持票。"),
        "meeting_closed": _("会议已结束。"),
        "reopen_poll": _("重新开放表决"),
        "confirm_poll_close": _("确定结束表决“%(q)s”吗？结束后不能再投票。"),
        "confirm_poll_reopen": _(
            "确定重新开放表决“%(q)s”吗？之前投出的选票仍然有效，未投票的人可以继续投票。"
        ),
        "confirm_meeting_close": _(
            "确定结束会议吗？进行中的表决将截止，表决结果将公布，议题按表决结果处理，之后不能再恢复。"
        ),
    }


def _context(request: HttpRequest, meeting: Meeting, *, role: str | None = None) -> dict[str, Any]:
    state = selectors.meeting_state(meeting, request.user, role=role)
    current = None
    for item in state["agenda"]["items"]:
        if item["id"] == state["agenda"]["current"]:
            current = item
    return {
        "community": meeting.community,
        "meeting": meeting,
        "state": state,
        "current": current,
        "ws_path": f"/ws/meetings/{meeting.pk}/",
        "parties": Party.choices,
        "stances": Stance.choices,
        "is_facilitator": rules.is_facilitator(request.user, meeting),
        "max_frame": settings.SIFANG_WS_MAX_FRAME_BYTES,
        # The page's reconnect schedule (cms/static/cms/js/backoff.js), as the bench uses it.
        "backoff_base_ms": round(reconnect.RECONNECT_BASE_S * 1000),
        "backoff_cap_ms": round(reconnect.RECONNECT_CAP_S * 1000),
        "live_strings": live_strings(),
    }


def meeting_list(request: HttpRequest, community: str) -> HttpResponse:
    place = get_object_or_404(Community, slug=community)
    visible = [
        m for m in selectors.meeting_list(community=place) if rules.can_view(request.user, m)
    ]
    return render(request, "cms/meetings/list.html", {"community": place, "meetings": visible})


def meeting_detail(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    meeting = _meeting(community, pk)
    _visible(request, meeting)
    return render(request, "cms/meetings/detail.html", _context(request, meeting))


def meeting_live(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    meeting = _meeting(community, pk)
    if not meeting.is_public and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    _visible(request, meeting)
    return render(request, "cms/meetings/live.html", _context(request, meeting))


def meeting_console(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    meeting = _meeting(community, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not rules.is_facilitator(request.user, meeting):
        raise PermissionDenied
    context = _context(request, meeting, role="facilitator")
    context["checkin_code"] = meeting.checkin_code
    return render(request, "cms/meetings/console.html", context)


def meeting_projector(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    """The room's screen: a standalone 16:9 page (no site chrome). The check-in code and its
    QR (to the participant page) show only to the meeting's facilitators, who put it on the
    screen in the room, and only until the meeting ends."""
    meeting = _meeting(community, pk)
    _visible(request, meeting)
    context = _context(request, meeting, role="observer")
    context["refresh"] = meeting.status == MeetingStatus.LIVE
    live_url = settings.SITE_URL + reverse(
        "meeting-live", args=[meeting.community.slug, meeting.pk]
    )
    context["live_url"] = live_url
    context["live_qr"] = qr_data_uri(live_url)
    if context["is_facilitator"] and meeting.status in (
        MeetingStatus.SCHEDULED,
        MeetingStatus.LIVE,
    ):
        context["checkin_code"] = meeting.checkin_code
    return render(request, "cms/meetings/projector.html", context)


def _refused(request: HttpRequest, exc: Exception) -> None:
    refusal = commands.refusal_of(exc)
    messages.error(request, refusal.message)


# Plain-form fields of each protocol message (strings from the form → JSON types).
FORM_FIELDS: dict[str, dict[str, Callable[[str], Any]]] = {
    "agenda.goto": {"item": int},
    "poll.open": {"poll": int},
    "poll.close": {"poll": int},
    "poll.reopen": {"poll": int, "reason": str},
    "speaker.next": {},
    "note.add": {"item": int, "text": str},
    "attendance.mark": {"member": int, "present": lambda v: v in ("1", "true", "on")},
    "meeting.close": {},
    "speaker.request": {},
    "speaker.withdraw": {},
}

DONE_MESSAGES = {
    "speaker.request": gettext_lazy("已申请发言"),
    "speaker.withdraw": gettext_lazy("已撤回发言申请"),
    "meeting.close": gettext_lazy("会议已结束"),
    "poll.reopen": gettext_lazy("表决已重新开放，之前的选票仍然有效"),
}


# Steps that end something for the whole room ask first: the console asks in a dialog
# (live.js) and posts ``confirmed=1``; a plain form without it gets a confirmation page.
CONFIRM_FIRST: dict[str, str] = {
    "poll.close": "confirm_poll_close",
    "poll.reopen": "confirm_poll_reopen",
    "meeting.close": "confirm_meeting_close",
}


def _confirm_page(request: HttpRequest, meeting: Meeting, kind: str) -> HttpResponse | None:
    if kind not in CONFIRM_FIRST or request.POST.get("confirmed") == "1":
        return None
    if not rules.is_facilitator(request.user, meeting):
        return None  # refused below, as without the confirmation
    question = live_strings()[CONFIRM_FIRST[kind]]
    poll = None
    if kind != "meeting.close":
        try:
            poll = selectors.meeting_poll(meeting=meeting, pk=int(request.POST.get("poll", "")))
        except ValueError:
            poll = None
        if poll is None:
            return None  # the command refuses it with its own message
    question = question % {"q": poll.question} if poll is not None else question
    fields = [
        (name, request.POST.get(name, ""))
        for name in ("type", "next", *FORM_FIELDS.get(kind, {}))
        if name in request.POST
    ]
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("meeting-console", args=[meeting.community.slug, meeting.pk])
    return render(
        request,
        "cms/meetings/confirm.html",
        {
            "community": meeting.community,
            "meeting": meeting,
            "question": question,
            "fields": fields,
            "back": back,
        },
    )


@require_POST
def meeting_action(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    """One protocol message as a plain form: ``type`` plus its fields. Closing a poll or the
    meeting and reopening a poll ask for confirmation first (``CONFIRM_FIRST``)."""
    meeting = _meeting(community, pk)
    _visible(request, meeting)
    kind = request.POST.get("type", "")
    confirm = _confirm_page(request, meeting, kind)
    if confirm is not None:
        return confirm
    fields = FORM_FIELDS.get(kind)
    frame: dict[str, Any] = {"type": kind}
    try:
        if fields is None:
            raise protocol.ProtocolError("unknown_type")
        for name, convert in fields.items():
            frame[name] = convert(request.POST.get(name, ""))
        message = protocol.parse(json.dumps(frame), max_bytes=settings.SIFANG_WS_MAX_FRAME_BYTES)
        commands.command_execute(meeting_id=meeting.pk, user=request.user, message=message)
    except ValueError:
        messages.error(request, str(protocol.ERROR_CODES["bad_request"]))
    except protocol.ProtocolError as exc:
        messages.error(request, exc.message)
    except commands.CommandRefused as exc:
        messages.error(request, exc.message)
    else:
        if kind in DONE_MESSAGES:
            messages.success(request, str(DONE_MESSAGES[kind]))
    return _back(request, meeting)


@require_POST
def meeting_open_view(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    meeting = _meeting(community, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("meeting-console", args=[community, pk]))
    try:
        services.meeting_open(meeting=meeting, actor=request.user)
        messages.success(request, _("会议开始"))
    except MeetingRefused as exc:
        messages.error(request, exc.message)
    return _back(request, meeting, "meeting-console")


@require_POST
def meeting_checkin(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    meeting = _meeting(community, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("meeting-live", args=[community, pk]))
    try:
        services.attendance_checkin(
            meeting=meeting,
            user=request.user,
            code=request.POST.get("code", ""),
            ip=client_ip(request),
        )
        messages.success(request, _("签到成功"))
    except MeetingRefused as exc:
        messages.error(request, exc.message)
    return _back(request, meeting)


@require_POST
def meeting_vote(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    """A ballot as a plain form: ``poll`` and ``choice`` (or several ``choices``)."""
    meeting = _meeting(community, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("meeting-live", args=[community, pk]))
    try:
        poll_id = int(request.POST.get("poll", ""))
        blank = request.POST.get("blank", "")
        ranks = {k: request.POST.get(k, "") for k in request.POST if k.startswith("rank-")}
        if blank:
            # The explicit 空白票 button names the poll's choice key; it never comes with a choice.
            if blank not in ("choice", "choices", "ranking") or (
                request.POST.getlist("choices") or any(v.strip() for v in ranks.values())
            ):
                raise ValueError(blank)
            choice: dict[str, Any] = {blank: None if blank == "choice" else []}
        elif "ranking" in request.POST:
            ranked = [(int(v), int(k.removeprefix("rank-"))) for k, v in ranks.items() if v.strip()]
            # Nothing ranked is not a blank ballot: the service refuses None with its message.
            choice = {"ranking": [oid for _, oid in sorted(ranked)] or None}
        elif request.POST.getlist("choices"):
            choice = {"choices": [int(v) for v in request.POST.getlist("choices")]}
        else:
            choice = {"choice": int(request.POST.get("choice", ""))}
        receipt = services.meeting_ballot_cast(
            meeting=meeting, poll=poll_id, user=request.user, choice=choice
        )
    except ValueError:
        messages.error(request, str(protocol.ERROR_CODES["bad_request"]))
    except (MeetingRefused, VoteRefused) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("投票成功，回执号：%(receipt)s") % {"receipt": receipt})
    return _back(request, meeting)


@require_POST
def meeting_position(request: HttpRequest, community: str, pk: int) -> HttpResponse:
    meeting = _meeting(community, pk)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("meeting-console", args=[community, pk]))
    try:
        services.position_record(
            meeting=meeting,
            item=int(request.POST.get("item", "0") or 0),
            party=request.POST.get("party", ""),
            stance=request.POST.get("stance", ""),
            statement=request.POST.get("statement", ""),
            actor=request.user,
        )
        messages.success(request, _("已记录该方立场"))
    except ValueError:
        messages.error(request, str(protocol.ERROR_CODES["bad_request"]))
    except MeetingRefused as exc:
        messages.error(request, exc.message)
    return _back(request, meeting, "meeting-console")
