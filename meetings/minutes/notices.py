"""Public notices (公示): what each kind shows, and issuing, reissuing and withdrawing them.

Kinds: a poll's opening (the frozen electorate Ht/At, the voting period, how to vote, where paper
ballots go, the rules declared for it), its progress (participation by head and area against
the thresholds, never the choices), a change of its period (pause, outage of the online channel,
resumption, extension), its preliminary result (with the objection period) and its final result
(with the objections received and their answers), a resolution with its progress, and a meeting
announcement. Every poll notice carries the ballot chain head at its time (``chain``).

The poll's notices follow the poll by themselves as drafts (``poll_notice_drafts``): the desk
lists what a poll's state calls for and committee staff issue it; nothing is posted without them.

A notice is a snapshot: ``notice_issue`` stores what the notice shows as JSON and issues a new
notice with the next serial number of the community's year only when that snapshot differs from
the current notice of the same series (a poll's opening; its results; a resolution; a meeting);
the new notice supersedes the old one. ``notice_reissue`` does the same on staff's request, with
a reason printed on the new poster; ``notice_withdraw`` takes a notice down with a reason. The
PDF is rendered in the background (``tasks.render_notice_task``, rendered by ``pdf.notice_render``).

Every service takes the acting user: committee staff of the notice's community
(``rules.may_issue_notices``); ``actor=None`` is the system itself (seeding, automatic issues).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from deliberation.exceptions import NotPermitted
from deliberation.models import Community, Resolution, User
from deliberation.photos import clean_photo
from meetings.documents import POLL_NOTICE_KINDS
from meetings.minutes.context import (
    format_area,
    format_datetime,
    meeting_public_path,
    poll_view,
    public_url,
    resolution_view,
)
from meetings.minutes.rules import may_issue_notices
from meetings.minutes.tasks import render_notice_task
from meetings.models import Meeting, MeetingStatus, Notice, NoticeKind
from votes.campaign.selectors import public_entries
from votes.models import (
    Ballot,
    ChainHeadPublication,
    Kind,
    Poll,
    PollEvent,
    PollEventKind,
    PollObjection,
    PollStatus,
    PublicationReason,
)
from votes.receipts import declared_rules as declared_vote_rules

RESULT_KINDS = (NoticeKind.PRELIMINARY_RESULT, NoticeKind.FINAL_RESULT)
# The poll events a change notice (表决期变动公告) announces.
CHANGE_EVENT_KINDS = (
    PollEventKind.PAUSED,
    PollEventKind.OUTAGE,
    PollEventKind.RESUMED,
    PollEventKind.EXTENDED,
)


class NoticeRefused(ValueError):
    """A notice cannot be issued, reissued or withdrawn as asked; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoticeNotReady(NoticeRefused):
    """The subject has nothing to announce yet (a poll not opened, or without a result)."""


@dataclass(frozen=True)
class NoticeDetails:
    """What staff write on a notice beyond its subject's data (poll openings only, for now)."""

    how_to_vote: str = ""
    paper_ballots: str = ""

    @classmethod
    def from_content(cls, content: dict[str, Any]) -> NoticeDetails:
        return cls(
            how_to_vote=str(content.get("how_to_vote") or ""),
            paper_ballots=str(content.get("paper_ballots") or ""),
        )


def poll_public_path(poll: Poll) -> str:
    return reverse("poll-detail", kwargs={"community": poll.community.slug, "pk": poll.pk})


def resolution_public_path(resolution: Resolution) -> str:
    return reverse(
        "resolution-detail", kwargs={"community": resolution.community.slug, "pk": resolution.pk}
    )


# --- what each kind shows ------------------------------------------------------------------------


def default_how_to_vote() -> str:
    return gettext(
        "扫描本公告二维码或登录本平台,在表决期内在线表决;不使用智能手机的业主可到社区居委会领取"
        "纸质表决票,签名后交回;也可书面委托他人代为表决。"
    )


def poll_opening_content(poll: Poll, details: NoticeDetails | None = None) -> dict[str, Any]:
    """A poll's opening (表决公告): the electorate as frozen when it opened, the period, how to
    vote and where paper ballots go. Raises ``NoticeNotReady`` before the poll opens."""
    if poll.status == PollStatus.DRAFT or poll.total_headcount is None:
        raise NoticeNotReady(
            gettext("表决尚未开始,表决范围总人数和总面积尚未确定,不能发布表决公告。")
        )
    details = details or NoticeDetails()
    owners = poll.kind == Kind.OWNERS
    return {
        "kind": NoticeKind.POLL_OPENING.value,
        "title": gettext("关于“%(question)s”的表决公告") % {"question": poll.question},
        "proposal": poll.proposal.title if poll.proposal is not None else "",
        "poll": {
            "question": poll.question,
            "kind": poll.get_kind_display(),
            "electorate": poll.get_electorate_display(),
            "method": poll.get_method_display(),
            "rule": poll.get_rule_display(),
            "secrecy": poll.get_secrecy_display(),
            "options": [option.label for option in poll.options.order_by("sort_order", "pk")],
            "total_headcount": poll.total_headcount,
            # Area counts only in owners' decisions (art. 278): deliberative votes show none.
            "total_area": format_area(poll.total_area) if owners else "",
            "opens_at": format_datetime(poll.opened_at or poll.opens_at),
            "closes_at": format_datetime(poll.closes_at),
            # The rules declared for this vote (change, receipts, ballot list), as fixed at open.
            "declared_rules": [list(line) for line in declared_vote_rules(poll)],
        },
        "owners": owners,
        "rules": declared_rules(poll),
        "chain": _opening_chain(poll),
        "how_to_vote": details.how_to_vote or default_how_to_vote(),
        "paper_ballots": details.paper_ballots,
        "public_url": public_url(poll_public_path(poll)),
    }


def declared_rules(poll: Poll) -> list[str]:
    """The rules declared for the poll and frozen when it opened, as printed on its notices."""
    spec = poll.frozen_spec or {}
    lines = [
        gettext("通过规则:%(rule)s") % {"rule": poll.get_rule_display()},
        gettext("表决方式:%(method)s;%(secrecy)s")
        % {
            "method": poll.get_method_display(),
            "secrecy": poll.get_secrecy_display(),
        },
    ]
    if poll.kind == Kind.OWNERS:
        lines.append(
            gettext(
                "参与表决的专有部分面积和人数均须达到总数的三分之二以上(含本数),"
                "空白票、弃权票计入参与表决。"
            )
        )
    if spec.get("deem_nonvoters_majority"):
        lines.append(
            gettext("依据“%(clause)s”,未参与表决视为同意多数(结果同时公布实际票数)。")
            % {"clause": spec.get("deem_nonvoters_clause", "")}
        )
    lines.append(gettext("规则自表决开始起固定,表决期间不得更改。"))
    return lines


def _chain(seq: int, head: str, at: Any) -> dict[str, Any]:
    return {"seq": seq, "head": head, "at": format_datetime(at)}


def _opening_chain(poll: Poll) -> dict[str, Any]:
    """The chain head published when the poll opened (genesis, no ballot yet)."""
    first = (
        ChainHeadPublication.objects.filter(poll=poll, reason=PublicationReason.OPENED)
        .order_by("published_at", "pk")
        .first()
    )
    if first is None:
        return _chain(0, poll.chain_head, poll.opened_at)
    return _chain(first.seq, first.head, first.published_at)


def poll_participation(poll: Poll) -> dict[str, Any]:
    """How many took part so far, by head and by area, against the frozen totals and the
    two-thirds participation threshold (owners' decisions). Never what anyone chose."""
    sums = Ballot.objects.filter(poll=poll).aggregate(
        ballots=Count("pk"), headcount=Sum("headcount"), area=Sum("area")
    )
    headcount = sums["headcount"] or 0
    area = sums["area"] or 0
    total_headcount = poll.total_headcount or 0
    total_area = poll.total_area or 0
    owners = poll.kind == Kind.OWNERS

    def share(part: Any, whole: Any) -> str:
        return f"{(part * 100 / whole):.2f}%" if whole else "—"

    return {
        "ballots": sums["ballots"],
        "headcount": headcount,
        "total_headcount": total_headcount,
        "headcount_share": share(headcount, total_headcount),
        # 3·Hp ≥ 2·Ht and 3·Ap ≥ 2·At (DESIGN.md), in integers and exact decimals.
        "headcount_met": owners and 3 * headcount >= 2 * total_headcount,
        "area": format_area(area) if owners else "",
        "total_area": format_area(total_area) if owners else "",
        "area_share": share(area, total_area) if owners else "",
        "area_met": owners and 3 * area >= 2 * total_area,
    }


def poll_progress_content(poll: Poll) -> dict[str, Any]:
    """A progress notice (表决进度公告) of an open poll: participation so far against the
    totals and thresholds, the period, and the chain head now. Raises ``NoticeNotReady``
    unless the poll is open."""
    if poll.status != PollStatus.OPEN:
        raise NoticeNotReady(gettext("只有表决中的表决可以发布进度公告。"))
    return {
        "kind": NoticeKind.POLL_PROGRESS.value,
        "title": gettext("关于“%(question)s”的表决进度公告") % {"question": poll.question},
        "proposal": poll.proposal.title if poll.proposal is not None else "",
        "poll": {
            "question": poll.question,
            "rule": poll.get_rule_display(),
            "opens_at": format_datetime(poll.opened_at or poll.opens_at),
            "closes_at": format_datetime(poll.closes_at),
            "stage": poll.stage_label,
        },
        "owners": poll.kind == Kind.OWNERS,
        "participation": poll_participation(poll),
        "as_of": format_datetime(timezone.now()),
        "chain": _chain(poll.ballot_seq, poll.chain_head, timezone.now()),
        "public_url": public_url(poll_public_path(poll)),
    }


def _change_events(poll: Poll) -> list[PollEvent]:
    return list(poll.events.filter(kind__in=CHANGE_EVENT_KINDS).order_by("at", "pk"))


def _change_line(event: PollEvent) -> dict[str, Any]:
    data = event.data or {}
    at = format_datetime(event.at)
    if event.kind == PollEventKind.PAUSED:
        text = gettext("自 %(at)s 起暂停表决,暂停期间网上表决和纸质表决票均不受理。") % {"at": at}
    elif event.kind == PollEventKind.OUTAGE:
        text = gettext(
            "自 %(at)s 起暂停网上表决;纸质表决票、书面委托和电话表决照常由工作人员受理。"
        ) % {"at": at}
    elif event.kind == PollEventKind.RESUMED:
        text = gettext("自 %(at)s 起恢复表决。") % {"at": at}
    else:
        until = data.get("closes_at")
        until_text = format_datetime(parse_datetime(until)) if until else ""
        text = gettext("%(at)s 决定表决截止时间延至 %(until)s。") % {"at": at, "until": until_text}
    return {"id": event.pk, "kind": event.kind, "at": at, "text": text, "reason": event.note}


def poll_change_content(poll: Poll) -> dict[str, Any]:
    """A change notice (表决期变动公告): the latest pause, outage, resumption or extension
    with its reason, the poll's state and closing time now, every change so far, and the chain
    head at the change. Raises ``NoticeNotReady`` when the poll has had no such change."""
    events = _change_events(poll)
    if not events or poll.status == PollStatus.DRAFT:
        raise NoticeNotReady(gettext("该表决没有暂停、恢复或延期记录,无需发布变动公告。"))
    latest = events[-1]
    titles = {
        PollEventKind.PAUSED: gettext("关于“%(question)s”暂停表决的公告"),
        PollEventKind.OUTAGE: gettext("关于“%(question)s”暂停网上表决的公告"),
        PollEventKind.RESUMED: gettext("关于“%(question)s”恢复表决的公告"),
        PollEventKind.EXTENDED: gettext("关于“%(question)s”延长表决期的公告"),
    }
    data = latest.data or {}
    return {
        "kind": NoticeKind.POLL_CHANGE.value,
        "title": titles[PollEventKind(latest.kind)] % {"question": poll.question},
        "proposal": poll.proposal.title if poll.proposal is not None else "",
        "event": _change_line(latest),
        "history": [_change_line(event) for event in events],
        "poll": {
            "question": poll.question,
            "stage": poll.stage_label,
            "closes_at": format_datetime(poll.closes_at),
        },
        "reconcile": latest.kind in (PollEventKind.OUTAGE, PollEventKind.RESUMED),
        "chain": _chain(
            int(data.get("ballots", poll.ballot_seq)),
            str(data.get("chain_head", poll.chain_head)),
            latest.at,
        ),
        "public_url": public_url(poll_public_path(poll)),
    }


def _objections_view(poll: Poll) -> list[dict[str, Any]]:
    """Objections as printed on the final notice: what was raised and the answer, without the
    objector's name or unit."""
    return [
        {
            "received_at": format_datetime(item.received_at),
            "channel": item.get_channel_display(),
            "text": item.text,
            "answer": item.answer,
            "answered_at": format_datetime(item.answered_at),
        }
        for item in PollObjection.objects.filter(poll=poll).order_by("received_at", "pk")
    ]


def _staff_entries_view(poll: Poll) -> dict[str, Any] | None:
    """Staff-entered ballots of an owners' decision as a result notice prints them: how many
    per channel, and the staff who entered and who confirmed them (never a unit or choice:
    the notice is posted on the notice board; the public page lists the entries)."""
    if poll.kind != Kind.OWNERS:
        return None
    entries = public_entries(poll, show_units=False)
    return {
        "total": entries.total,
        "counts": [{"channel": label, "count": n} for _c, label, n in entries.counts if n],
        "entered_by": sorted({row.entered_by for row in entries.rows}),
        "confirmed_by": sorted({row.confirmed_by for row in entries.rows if row.confirmed_by}),
    }


def vote_result_content(poll: Poll, kind: NoticeKind | None = None) -> dict[str, Any]:
    """A poll's preliminary (公示, with the objection period) or final result announcement.

    ``kind`` defaults to the poll's stage; raises ``NoticeNotReady`` for a poll without a
    result, or a final result before the poll is finalised.
    """
    if not poll.result:
        raise NoticeNotReady(gettext("表决尚未产生结果,不能发布表决结果公告。"))
    final = poll.status == PollStatus.FINAL
    kind = kind or (NoticeKind.FINAL_RESULT if final else NoticeKind.PRELIMINARY_RESULT)
    if kind == NoticeKind.FINAL_RESULT and not final:
        raise NoticeNotReady(
            gettext("表决结果尚未确定为最终结果(异议期未结束),不能发布最终结果公告。")
        )
    if kind == NoticeKind.PRELIMINARY_RESULT and final:
        raise NoticeNotReady(gettext("表决结果已是最终结果,请发布最终结果公告。"))
    view = poll_view(poll)
    title = (
        gettext("关于“%(question)s”的表决最终结果公告")
        if final
        else gettext("关于“%(question)s”的表决结果公告")
    )
    return {
        "kind": kind.value,
        "title": title % {"question": poll.question},
        "proposal": poll.proposal.title if poll.proposal is not None else "",
        "poll": view,
        # Area columns only where area counts (owners' decisions); headcount polls print none.
        "owners": poll.kind == Kind.OWNERS,
        "final": final,
        "objection_until": format_datetime(poll.objection_until),
        "objections": _objections_view(poll) if final else [],
        "staff_entries": _staff_entries_view(poll),
        "chain": _chain(poll.ballot_seq, poll.chain_head, poll.closed_at),
        "public_url": public_url(poll_public_path(poll)),
    }


def resolution_content(resolution: Resolution) -> dict[str, Any]:
    """What a resolution notice (决议公示) shows: the decision and its progress."""
    updates = list(resolution.updates.order_by("created_at", "pk"))
    latest_percent = updates[-1].percent if updates else getattr(resolution, "percent_done", 0)
    return {
        "kind": NoticeKind.RESOLUTION.value,
        "title": gettext("关于“%(title)s”的决议公示") % {"title": resolution.proposal.title},
        "proposal": resolution.proposal.title,
        "resolution": resolution_view(resolution),
        "overdue": resolution.is_overdue(),
        "percent_done": latest_percent,
        "completed_at": format_datetime(resolution.completed_at),
        "completion_report": getattr(resolution, "completion_report", ""),
        "progress": [
            {
                "at": format_datetime(update.created_at),
                "text": update.text,
                "percent": update.percent,
                "completion": update.is_completion,
            }
            for update in updates
        ],
        "public_url": public_url(resolution_public_path(resolution)),
    }


def meeting_content(meeting: Meeting) -> dict[str, Any]:
    """A meeting announcement (议事会召开公告): when, where, who chairs, the agenda."""
    if meeting.status == MeetingStatus.CLOSED:
        raise NoticeNotReady(gettext("会议已结束,不能再发布召开公告。"))
    items = list(meeting.items.order_by("sort_order", "pk").values_list("title", flat=True))
    return {
        "kind": NoticeKind.MEETING.value,
        "title": gettext("关于召开“%(title)s”的公告") % {"title": meeting.title},
        "meeting": {
            "title": meeting.title,
            "starts_at": format_datetime(meeting.starts_at),
            "place": meeting.place,
            "facilitator": str(meeting.facilitator) if meeting.facilitator_id else "",
            "is_public": meeting.is_public,
        },
        "agenda": items,
        "public_url": public_url(meeting_public_path(meeting)),
    }


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- issuing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Subject:
    community: Community
    kind: NoticeKind
    series: tuple[NoticeKind, ...]
    lookup: dict[str, Any]
    build: Callable[[], dict[str, Any]]
    default_until: date | None


def _local_date(value: Any) -> date | None:
    return timezone.localtime(value).date() if value is not None else None


def _subject(
    *,
    kind: NoticeKind | None,
    poll: Poll | None,
    resolution: Resolution | None,
    meeting: Meeting | None,
    details: NoticeDetails | None,
) -> _Subject:
    given = [subject for subject in (poll, resolution, meeting) if subject is not None]
    if len(given) != 1:
        raise ValueError("a notice needs exactly one of poll, resolution or meeting")
    if poll is not None:
        if kind is None:  # the result at the poll's stage
            final = poll.status == PollStatus.FINAL
            kind = NoticeKind.FINAL_RESULT if final else NoticeKind.PRELIMINARY_RESULT
        if kind not in POLL_NOTICE_KINDS:
            raise ValueError(f"{kind} is not a poll notice")
        if kind == NoticeKind.POLL_OPENING:
            return _Subject(
                poll.community,
                kind,
                (kind,),
                {"poll": poll},
                lambda: poll_opening_content(poll, details),
                _local_date(poll.closes_at),
            )
        if kind in (NoticeKind.POLL_PROGRESS, NoticeKind.POLL_CHANGE):
            build = (
                poll_progress_content if kind == NoticeKind.POLL_PROGRESS else (poll_change_content)
            )
            return _Subject(
                poll.community,
                kind,
                (kind,),
                {"poll": poll},
                lambda: build(poll),
                _local_date(poll.closes_at),
            )
        result_kind = kind
        return _Subject(
            poll.community,
            kind,
            RESULT_KINDS,
            {"poll": poll},
            lambda: vote_result_content(poll, result_kind),
            _local_date(poll.objection_until) if kind == NoticeKind.PRELIMINARY_RESULT else None,
        )
    if resolution is not None:
        if kind not in (None, NoticeKind.RESOLUTION):
            raise ValueError(f"{kind} is not a resolution notice")
        return _Subject(
            resolution.community,
            NoticeKind.RESOLUTION,
            (NoticeKind.RESOLUTION,),
            {"resolution": resolution},
            lambda: resolution_content(resolution),
            None,
        )
    assert meeting is not None
    if kind not in (None, NoticeKind.MEETING):
        raise ValueError(f"{kind} is not a meeting notice")
    return _Subject(
        meeting.community,
        NoticeKind.MEETING,
        (NoticeKind.MEETING,),
        {"meeting": meeting},
        lambda: meeting_content(meeting),
        _local_date(meeting.starts_at),
    )


def _check_actor(actor: User | None, community: Community) -> None:
    if actor is not None and not may_issue_notices(actor, community):
        raise NotPermitted(gettext("只有本社区居委会工作人员可以发布、撤回或重新发布公示。"))


def notice_current_of(
    *, kinds: tuple[str, ...], **subject: Poll | Resolution | Meeting
) -> Notice | None:
    """The latest notice of a series (``kinds``) about one subject, withdrawn or not."""
    return (
        Notice.objects.filter(kind__in=kinds, **subject)
        .select_related("community", "document")
        .order_by("-pk")
        .first()
    )


def _posting_period(
    *,
    community: Community,
    today: date,
    default_until: date | None,
    posted_from: date | None,
    posted_until: date | None,
    posting_days: int | None,
) -> tuple[date, date]:
    start = posted_from or today
    if posted_until is None:
        days = posting_days if posting_days is not None else community.objection_days
        posted_until = start + timedelta(days=max(days, 0))
        if default_until is not None:
            posted_until = max(posted_until, default_until)
    if posted_until < start:
        raise NoticeRefused(gettext("公示截止日期不能早于开始日期。"))
    return start, posted_until


def _create(
    *,
    subject: _Subject,
    content: dict[str, Any],
    issuing_body: str,
    period: tuple[date, date],
    supersedes: Notice | None,
    actor: User | None,
    reason: str = "",
) -> Notice:
    """The next serial of the community's year; the caller holds the community's row lock."""
    start, until = period
    number = (
        Notice.objects.filter(community=subject.community, year=start.year).aggregate(
            n=Max("number")
        )["n"]
        or 0
    ) + 1
    notice = Notice.objects.create(
        community=subject.community,
        year=start.year,
        number=number,
        kind=subject.kind,
        title=content["title"],
        issuing_body=issuing_body,
        posted_from=start,
        posted_until=until,
        content=content,
        content_hash=content_hash(content),
        supersedes=supersedes,
        issued_by=actor,
        issued_at=timezone.now(),
        reissue_reason=reason,
        **subject.lookup,
    )
    notice_id = notice.pk
    transaction.on_commit(lambda: render_notice_task.enqueue(notice_id=notice_id, attempt=1))
    return notice


def _snapshot(subject: _Subject, issuing_body: str) -> tuple[dict[str, Any], str]:
    with translation.override(settings.LANGUAGE_CODE):
        content = subject.build()
        body = issuing_body.strip() or gettext("%(community)s四方议事会") % {
            "community": subject.community.name
        }
    return content, body


def notice_issue(
    *,
    poll: Poll | None = None,
    resolution: Resolution | None = None,
    meeting: Meeting | None = None,
    kind: NoticeKind | None = None,
    actor: User | None = None,
    issuing_body: str = "",
    details: NoticeDetails | None = None,
    posted_from: date | None = None,
    posted_until: date | None = None,
    posting_days: int | None = None,
    today: date | None = None,
) -> tuple[Notice, bool]:
    """Issue a notice about exactly one of ``poll``, ``resolution``, ``meeting``; return
    (notice, issued).

    A poll's ``kind`` is its opening or its result (the default: preliminary while the
    objection period runs, final after). When the current notice of the same series shows the
    same content and issuing body and is not withdrawn, it is returned with ``issued=False``;
    otherwise a new notice with the next serial number supersedes it and its PDF is queued.
    The posting period runs from ``posted_from`` (today) to ``posted_until`` (default: the
    community's objection days, and at least to the poll's close, the end of the objection
    period or the meeting day).

    Raises ``NotPermitted`` for an actor who is not committee staff of the community,
    ``NoticeNotReady`` when the subject has nothing to show yet, ``NoticeRefused`` for a
    posting period that ends before it starts, ``ValueError`` for a kind that does not fit.
    """
    subject = _subject(
        kind=kind, poll=poll, resolution=resolution, meeting=meeting, details=details
    )
    _check_actor(actor, subject.community)
    content, body = _snapshot(subject, issuing_body)
    digest = content_hash(content)
    period = _posting_period(
        community=subject.community,
        today=today or timezone.localdate(),
        default_until=subject.default_until,
        posted_from=posted_from,
        posted_until=posted_until,
        posting_days=posting_days,
    )
    with transaction.atomic():
        # Serialise issuing per community: serial numbers have no gaps and one notice supersedes.
        Community.objects.select_for_update().get(pk=subject.community.pk)
        current = notice_current_of(kinds=subject.series, **subject.lookup)
        if (
            current is not None
            and not current.is_withdrawn
            and current.content_hash == digest
            and current.issuing_body == body
        ):
            return current, False
        notice = _create(
            subject=subject,
            content=content,
            issuing_body=body,
            period=period,
            supersedes=current,
            actor=actor,
        )
    return notice, True


def _locked(notice: Notice) -> Notice:
    Community.objects.select_for_update().get(pk=notice.community_id)
    return (
        Notice.objects.select_related("community", "poll__community", "resolution__community")
        .select_related("meeting__community")
        .get(pk=notice.pk)
    )


def _reason(reason: str, message: str) -> str:
    reason = reason.strip()
    if not reason:
        raise NoticeRefused(message)
    return reason


def notice_reissue(
    *,
    notice: Notice,
    actor: User | None,
    reason: str,
    issuing_body: str | None = None,
    details: NoticeDetails | None = None,
    posted_from: date | None = None,
    posted_until: date | None = None,
    today: date | None = None,
) -> Notice:
    """Issue a corrected notice of the same kind and subject, with ``reason`` printed on it; it
    supersedes ``notice`` (which stays, unchanged, as the record of what was posted).

    The content is taken afresh from the subject; the issuing body and the poll opening's
    details are kept unless given. Raises ``NotPermitted``, ``NoticeRefused`` (no reason, a
    notice already superseded, a bad period) or ``NoticeNotReady``.
    """
    _check_actor(actor, notice.community)
    reason = _reason(reason, gettext("请填写重新发布的原因。"))
    with transaction.atomic():
        notice = _locked(notice)
        if Notice.objects.filter(supersedes=notice).exists():
            raise NoticeRefused(
                gettext("%(serial)s 已被新的公示取代,请对最新的公示重新发布。")
                % {"serial": notice.serial}
            )
        subject = _subject(
            kind=NoticeKind(notice.kind),
            poll=notice.poll,
            resolution=notice.resolution,
            meeting=notice.meeting,
            details=details or NoticeDetails.from_content(notice.content),
        )
        content, body = _snapshot(
            subject, notice.issuing_body if issuing_body is None else issuing_body
        )
        period = _posting_period(
            community=subject.community,
            today=today or timezone.localdate(),
            default_until=max(notice.posted_until, subject.default_until or notice.posted_until),
            posted_from=posted_from,
            posted_until=posted_until,
            posting_days=None,
        )
        return _create(
            subject=subject,
            content=content,
            issuing_body=body,
            period=period,
            supersedes=notice,
            actor=actor,
            reason=reason,
        )


def notice_withdraw(*, notice: Notice, actor: User | None, reason: str) -> Notice:
    """Withdraw ``notice`` with ``reason``: it stays listed, marked withdrawn, with its PDF.

    Raises ``NotPermitted`` or ``NoticeRefused`` (no reason, already withdrawn).
    """
    _check_actor(actor, notice.community)
    reason = _reason(reason, gettext("请填写撤回的原因。"))
    with transaction.atomic():
        notice = _locked(notice)
        if notice.is_withdrawn:
            raise NoticeRefused(gettext("%(serial)s 已撤回。") % {"serial": notice.serial})
        notice.withdrawn_at = timezone.now()
        notice.withdrawn_by = actor
        notice.withdrawal_reason = reason
        notice.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    return notice


def notice_attach_posting_photo(*, notice: Notice, actor: User | None, upload: IO[bytes]) -> Notice:
    """Store a photo of the posted notice (re-encoded without metadata; a new photo replaces
    the old one). Raises ``NotPermitted``, ``NoticeRefused`` (withdrawn notice) or
    ``InvalidInput`` (not an image, too large)."""
    _check_actor(actor, notice.community)
    photo = clean_photo(upload, name=f"notice-{notice.slug}")
    with transaction.atomic():
        notice = _locked(notice)
        if notice.is_withdrawn:
            raise NoticeRefused(gettext("已撤回的公示不能上传张贴照片。"))
        old = notice.posting_photo.name if notice.posting_photo else ""
        notice.posting_photo.save(photo.content.name or "photo.jpg", photo.content, save=False)
        notice.posting_photo_at = timezone.now()
        notice.posting_photo_by = actor
        notice.save(update_fields=["posting_photo", "posting_photo_at", "posting_photo_by"])
        if old:
            storage = notice.posting_photo.storage
            transaction.on_commit(lambda: storage.delete(old))
    return notice


# --- drafts: what a poll's state calls for --------------------------------------------------------

# Finalised polls drop off the draft list after this long, whether their notice was issued or not.
DRAFT_HORIZON = timedelta(days=90)


@dataclass(frozen=True)
class NoticeDraft:
    """A notice an owners' poll calls for and nobody has issued yet (staff issue it)."""

    poll: Poll
    kind: NoticeKind
    why: str


def poll_notice_drafts(communities: QuerySet[Community], *, now: Any = None) -> list[NoticeDraft]:
    """The notices the owners' polls of ``communities`` call for, not yet issued (or withdrawn
    since): the opening of an open poll, its latest pause/outage/resumption/extension, the
    preliminary result of a closed poll, the final result. Progress notices are issued when
    staff choose, so never drafted. Three queries whatever the number of polls."""
    now = now or timezone.now()
    polls = list(
        Poll.objects.filter(
            community__in=communities,
            kind=Kind.OWNERS,
            status__in=[PollStatus.OPEN, PollStatus.CLOSED, PollStatus.FINAL],
        )
        .exclude(status=PollStatus.FINAL, finalised_at__lt=now - DRAFT_HORIZON)
        .select_related("community")
        .order_by("-opened_at", "-pk")
    )
    if not polls:
        return []
    issued: dict[tuple[int, str], set[Any]] = {}
    for poll_id, kind, event_id in Notice.objects.filter(
        poll__in=polls, withdrawn_at__isnull=True
    ).values_list("poll_id", "kind", "content__event__id"):
        issued.setdefault((poll_id, kind), set()).add(event_id)
    latest_change: dict[int, PollEvent] = {}
    for event in PollEvent.objects.filter(poll__in=polls, kind__in=CHANGE_EVENT_KINDS).order_by(
        "at", "pk"
    ):
        latest_change[event.poll_id] = event
    drafts = []
    for poll in polls:

        def missing(kind: NoticeKind, poll_id: int = poll.pk) -> bool:
            return (poll_id, kind.value) not in issued

        if poll.status == PollStatus.OPEN and missing(NoticeKind.POLL_OPENING):
            drafts.append(
                NoticeDraft(
                    poll,
                    NoticeKind.POLL_OPENING,
                    gettext("表决已开始,请公告总人数、总面积和表决期。"),
                )
            )
        change = latest_change.get(poll.pk)
        if (
            change is not None
            and poll.status == PollStatus.OPEN
            and change.pk not in issued.get((poll.pk, NoticeKind.POLL_CHANGE.value), set())
        ):
            drafts.append(
                NoticeDraft(
                    poll,
                    NoticeKind.POLL_CHANGE,
                    gettext("%(change)s,请发布公告。") % {"change": change.get_kind_display()},
                )
            )
        if poll.status == PollStatus.CLOSED and missing(NoticeKind.PRELIMINARY_RESULT):
            drafts.append(
                NoticeDraft(
                    poll,
                    NoticeKind.PRELIMINARY_RESULT,
                    gettext("表决已截止,请公示初步结果和异议期。"),
                )
            )
        if poll.status == PollStatus.FINAL and missing(NoticeKind.FINAL_RESULT):
            drafts.append(
                NoticeDraft(
                    poll, NoticeKind.FINAL_RESULT, gettext("异议期已满,最终结果已确定,请公告。")
                )
            )
    return drafts
