"""The minutes context: everything the minutes template prints, read in a fixed number of queries.

The context is plain data (strings, numbers, lists, dicts) with no model instances, so the
template has no logic and no lazy queries, and the same meeting always gives the same context.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from deliberation.models import Member, Party, Resolution
from deliberation.registry.display import public_name
from deliberation.sanitize import clean_rich_text
from meetings.models import (
    AgendaItem,
    Attendance,
    Meeting,
    MinutesRecord,
    MinutesRevision,
    Note,
    PartyPosition,
    SpeakerRequest,
    SpeakerStatus,
)
from votes.counting import Verdict, verdict_label
from votes.counting.formatting import percent_str
from votes.models import BallotChannel, Kind, Option, Poll

PARTY_ORDER = [Party.RESIDENT, Party.PROPERTY, Party.COMMITTEE, Party.DEPARTMENT]


def public_url(path: str) -> str:
    """An absolute URL on the public site (``SITE_URL``) for QR codes and links."""
    return settings.SITE_URL.rstrip("/") + path


def meeting_public_path(meeting: Meeting) -> str:
    return reverse("meeting-detail", kwargs={"community": meeting.community.slug, "pk": meeting.pk})


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return date_format(value, "DATE_FORMAT")


def rich_text(value: str) -> SafeString:
    """Stored rich text (or plain text) as the sanitised HTML subset, safe to print as is."""
    return mark_safe(clean_rich_text(value or ""))  # noqa: S308 - nh3 allow-list output


def time_range(start: datetime | None, end: datetime | None) -> str:
    """The time a meeting ran, e.g. 2026年11月1日 19:00–20:03 (the date once if one day)."""
    if start is None:
        return ""
    if end is None:
        return format_datetime(start)
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    if local_start.date() == local_end.date():
        return f"{format_datetime(start)}–{date_format(local_end, 'TIME_FORMAT')}"
    return f"{format_datetime(start)} – {format_datetime(end)}"


def format_area(value: Any) -> str:
    """Square metres with two decimals, as registered (0.01 m²)."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    return _("%(area)s ㎡") % {"area": f"{amount:,.2f}"}


def member_public_name(member: Member) -> str:
    """A member's name as printed on public documents.

    Staff of the property company, the committee and departments, and council members appear in
    full; other residents masked (张*英) unless they chose to show their full name.
    """
    name = str(member.user)
    if member.party != Party.RESIDENT or member.is_council_member:
        return name
    return public_name(name, show_full_name=member.show_full_name)


def member_label(member: Member) -> str:
    """Name with organisation and title where known, e.g. "李华(幸福物业·项目经理)"."""
    name = member_public_name(member)
    extra = "·".join(part for part in (member.organisation, member.title) if part)
    return f"{name}({extra})" if extra else name


# ---------------------------------------------------------------------------------------------
# Poll results: ``poll.result`` is the JSON of ``votes.counting.Result.to_dict()``:
# ``electorate`` {headcount, area}; ``participating`` {ballots, headcount, area, share_headcount,
# share_area}; ``options`` [{id, label, ballots, headcount, area, share_headcount, share_area,
# adopted}]; ``thresholds`` [{key, label, met, text}]; ``verdict``, ``reasons``, ``winners``,
# ``by_channel`` {channel: n}; ``deemed`` (a second tally with ``clause`` and ``note``) or None;
# ``ranked`` {rounds: [{round, counts: [{id, headcount}], eliminated}]} or None.

CHANNEL_LABELS = dict(BallotChannel.choices)


def _cents(value: Any) -> int | None:
    try:
        return int(Decimal(str(value)).scaleb(2))
    except (InvalidOperation, ValueError, TypeError):
        return None


def count_share(part: Any, whole: Any) -> str:
    """A headcount share as printed, never reduced: "9.1%(8/88)"; blank when whole is 0."""
    if not isinstance(part, int) or not isinstance(whole, int) or whole <= 0:
        return ""
    return f"{percent_str(Fraction(part, whole))}%({part}/{whole})"


def area_share(part: Any, whole: Any) -> str:
    """An area share as printed, never reduced: "61.2%(612.00/1000.00㎡)"."""
    part_cents, whole_cents = _cents(part), _cents(whole)
    if part_cents is None or not whole_cents or whole_cents <= 0:
        return ""
    percent = percent_str(Fraction(part_cents, whole_cents))
    return f"{percent}%({_m2(part_cents)}/{_m2(whole_cents)}㎡)"


def _m2(cents: int) -> str:
    """0.01 m² units as "15000.00", in integers (no float on the way)."""
    return f"{cents // 100}.{cents % 100:02d}"


def _option_rows(
    raw_options: list[Any] | None,
    winners: set[int],
    labels: dict[int, str],
    participating: dict[str, Any],
) -> list[dict[str, Any]]:
    """Rows per option; shares of the participating headcount and area, unreduced."""
    rows = []
    for raw in raw_options or []:
        option_id = raw.get("id")
        headcount = raw.get("headcount", 0)
        rows.append(
            {
                "id": option_id,
                "label": raw.get("label") or labels.get(option_id, ""),
                "ballots": raw.get("ballots", headcount),
                "headcount": headcount,
                "area": format_area(raw.get("area")),
                "headcount_share": count_share(headcount, participating.get("headcount")),
                "area_share": area_share(raw.get("area"), participating.get("area")),
                "winner": option_id in winners or bool(raw.get("adopted")),
            }
        )
    return rows


def _thresholds(raw: list[Any] | None) -> list[dict[str, Any]]:
    return [
        {
            "label": str(item.get("label") or item.get("key") or ""),
            "met": bool(item.get("met")),
            "text": str(item.get("text") or ""),
        }
        for item in raw or []
        if isinstance(item, dict)
    ]


def result_view(result: dict[str, Any] | None, options: list[Option]) -> dict[str, Any] | None:
    """Normalise a stored poll result into the rows and lines the templates print.

    Returns None when the poll has no stored result yet. Labels come from the stored result
    (the options as frozen at open), else from the poll's options.
    """
    if not result:
        return None
    labels = {option.pk: option.label for option in options}
    winners = set(result.get("winners") or [])
    electorate = result.get("electorate") or {}
    participating = result.get("participating") or {}
    rows = _option_rows(result.get("options"), winners, labels, participating)
    approving = [row for row in rows if row["winner"]]
    verdict = str(result.get("verdict") or Verdict.UNDECIDED)
    by_channel = [
        {"channel": str(CHANNEL_LABELS.get(key, key)), "count": count}
        for key, count in sorted((result.get("by_channel") or {}).items())
    ]
    deemed_raw = result.get("deemed")
    deemed = None
    if isinstance(deemed_raw, dict):
        deemed_participating = deemed_raw.get("participating") or {}
        deemed = {
            "rows": _option_rows(deemed_raw.get("options"), winners, labels, deemed_participating),
            "participating_headcount": deemed_participating.get("headcount"),
            "participating_area": format_area(deemed_participating.get("area")),
            "thresholds": _thresholds(deemed_raw.get("thresholds")),
            "verdict_label": verdict_label(str(deemed_raw.get("verdict") or "")),
            "clause": str(deemed_raw.get("clause") or ""),
            "note": str(deemed_raw.get("note") or ""),
            "decides": result.get("decided_by") == "deemed",
        }
    rounds = []
    for round_ in (result.get("ranked") or {}).get("rounds") or []:
        rounds.append(
            {
                "number": round_.get("round"),
                "counts": [
                    {"label": labels.get(count.get("id"), ""), "headcount": count.get("headcount")}
                    for count in round_.get("counts") or []
                ],
                "eliminated": [
                    labels.get(option_id, "") for option_id in round_.get("eliminated") or []
                ],
            }
        )
    return {
        "rows": rows,
        "electorate_headcount": electorate.get("headcount"),
        "electorate_area": format_area(electorate.get("area")),
        "participating_ballots": participating.get("ballots"),
        "participating_headcount": participating.get("headcount"),
        "participating_area": format_area(participating.get("area")),
        "participation_headcount_share": count_share(
            participating.get("headcount"), electorate.get("headcount")
        ),
        "participation_area_share": area_share(participating.get("area"), electorate.get("area")),
        # The approving (adopted or winning) option, by headcount and by area.
        "approving_label": "、".join(row["label"] for row in approving),
        "approving_headcount": sum(row["headcount"] for row in approving) if approving else None,
        "approving_area": approving[0]["area"] if len(approving) == 1 else "",
        "approval_headcount_share": approving[0]["headcount_share"] if len(approving) == 1 else "",
        "approval_area_share": approving[0]["area_share"] if len(approving) == 1 else "",
        "thresholds": _thresholds(result.get("thresholds")),
        "verdict": verdict,
        "verdict_label": verdict_label(verdict),
        "reasons": [str(reason) for reason in result.get("reasons") or []],
        # Reasons that the thresholds table does not already print (e.g. the closing sentence).
        "summary_reasons": [
            str(reason)
            for reason in result.get("reasons") or []
            if str(reason) not in {t.get("text") for t in result.get("thresholds") or []}
        ],
        "by_channel": by_channel,
        "deemed": deemed,
        "rounds": rounds,
    }


def poll_view(poll: Poll) -> dict[str, Any]:
    options = list(poll.options.all())
    return {
        "id": poll.pk,
        "question": poll.question,
        "kind": poll.get_kind_display(),
        # Area counts only in owners' decisions; deliberative polls are one person, one vote.
        "counts_area": poll.kind == Kind.OWNERS,
        "electorate": poll.get_electorate_display(),
        "method": poll.get_method_display(),
        "rule": poll.get_rule_display(),
        "rule_code": poll.rule,
        "secrecy": poll.get_secrecy_display(),
        "status": poll.get_status_display(),
        "options": [option.label for option in options],
        "total_headcount": poll.total_headcount,
        "total_area": format_area(poll.total_area),
        "opened_at": format_datetime(poll.opened_at),
        "closed_at": format_datetime(poll.closed_at),
        "chain_head": poll.chain_head,
        "result": result_view(poll.result, options),
    }


def resolution_view(resolution: Resolution | None) -> dict[str, Any] | None:
    if resolution is None:
        return None
    person = resolution.responsible_person
    return {
        "id": resolution.pk,
        "decision": resolution.decision,
        "adopted_option": resolution.adopted_option.title if resolution.adopted_option else "",
        "responsible_party": resolution.get_responsible_party_display(),
        "responsible_person": str(person) if person else "",
        "deadline": format_date(resolution.deadline),
        "status": resolution.get_status_display(),
        "decided_at": format_datetime(resolution.decided_at),
    }


# ---------------------------------------------------------------------------------------------


def _member_prefetch(lookup: str, queryset: QuerySet[SpeakerRequest]) -> Prefetch:
    return Prefetch(lookup, queryset=queryset.select_related("member__user"))


def load_meeting(meeting_id: int) -> tuple[Meeting, list[AgendaItem]]:
    """The meeting and its agenda with all the minutes print, in a fixed number of queries."""
    meeting = Meeting.objects.select_related("community", "facilitator").get(pk=meeting_id)
    items = list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related(
            "proposal__author__user",
            "poll__resolution__adopted_option",
            "poll__resolution__responsible_person",
        )
        .prefetch_related(
            "proposal__options",
            Prefetch("notes", queryset=Note.objects.select_related("author")),
            _member_prefetch(
                "speakers",
                SpeakerRequest.objects.filter(
                    status__in=[SpeakerStatus.DONE, SpeakerStatus.SPEAKING]
                ).order_by("started_at", "requested_at", "pk"),
            ),
            Prefetch("positions", queryset=PartyPosition.objects.order_by("party")),
            Prefetch("poll__options", queryset=Option.objects.order_by("sort_order", "pk")),
        )
        .order_by("sort_order", "pk")
    )
    return meeting, items


def _resolutions_by_proposal(items: list[AgendaItem]) -> dict[int, Resolution]:
    proposal_ids = [item.proposal_id for item in items if item.proposal_id]
    if not proposal_ids:
        return {}
    latest: dict[int, Resolution] = {}
    for resolution in (
        Resolution.objects.filter(proposal_id__in=proposal_ids)
        .select_related("adopted_option", "responsible_person")
        .order_by("decided_at", "pk")
    ):
        latest[resolution.proposal_id] = resolution
    return latest


def _attendance(meeting: Meeting) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Attendance by party, and the signature lines: one per representative present (staff of
    the property company, the committee and departments; resident council members), and one
    blank line for a party with nobody there."""
    present = (
        Attendance.objects.filter(meeting=meeting, present=True)
        .select_related("member__user")
        .order_by("member__party", "member__organisation", "member__user__username", "pk")
    )
    by_party: dict[str, list[str]] = defaultdict(list)
    representatives: dict[str, list[str]] = defaultdict(list)
    for attendance in present:
        member = attendance.member
        by_party[member.party].append(member_label(member))
        if member.party != Party.RESIDENT or member.is_council_member:
            representatives[member.party].append(member_label(member))
    rows = [
        {"party": party.label, "count": len(by_party[party.value]), "names": by_party[party.value]}
        for party in PARTY_ORDER
    ]
    signatures = [
        {"party": str(party.label), "name": name}
        for party in PARTY_ORDER
        for name in representatives[party.value] or [""]
    ]
    return rows, signatures


def _review(meeting: Meeting) -> tuple[dict[str, Any], dict[str, str]]:
    """The review state printed on the minutes, and the corrections per agenda item id."""
    record = MinutesRecord.objects.filter(meeting=meeting).first()
    revision = (
        MinutesRevision.objects.filter(record=record).select_related("author").last()
        if record is not None
        else None
    )
    review = {
        "status": record.status if record else "draft",
        "status_label": record.get_status_display() if record else "",
        "is_draft": record is None or not record.is_public,
        "revision": revision.number if revision else 0,
        "revised_by": str(revision.author) if revision and revision.author else "",
        "revised_at": format_datetime(revision.at) if revision else "",
        "summary": revision.summary if revision else "",
        "finalised_at": format_datetime(record.finalised_at) if record else "",
        "approved_at": format_datetime(record.approved_at) if record else "",
    }
    return review, dict(revision.item_notes) if revision else {}


def _item_view(
    number: int,
    item: AgendaItem,
    resolutions: dict[int, Resolution],
    corrections: dict[str, str],
) -> dict[str, Any]:
    proposal = item.proposal
    positions = {position.party: position for position in item.positions.all()}
    resolution = item.poll.resolution if item.poll and item.poll.resolution_id else None
    if resolution is None and proposal is not None:
        resolution = resolutions.get(proposal.pk)
    return {
        "number": number,
        "title": item.title,
        "correction": corrections.get(str(item.pk), ""),
        "proposal": (
            {
                "title": proposal.title,
                "body": rich_text(proposal.body),
                "party": proposal.get_party_display(),
                "author": member_public_name(proposal.author),
                "category": proposal.get_category_display(),
                "location": proposal.location,
                "status": proposal.get_status_display(),
            }
            if proposal
            else None
        ),
        "options": [
            {
                "title": option.title,
                "description": rich_text(option.description),
                "cost_estimate": (
                    _("%(amount)s 元") % {"amount": f"{option.cost_estimate:,.2f}"}
                    if option.cost_estimate is not None
                    else ""
                ),
                "sharing_rule": option.get_sharing_rule_display() if option.sharing_rule else "",
                "pros": rich_text(option.pros),
                "cons": rich_text(option.cons),
            }
            for option in (proposal.options.all() if proposal else [])
        ],
        "notes": [
            {"at": format_datetime(note.at), "author": str(note.author), "text": note.text}
            for note in item.notes.all()
        ],
        "speakers": [
            {
                "name": member_label(request.member),
                "party": request.member.get_party_display(),
                "at": format_datetime(request.started_at),
            }
            for request in item.speakers.all()
        ],
        "positions": [
            {
                "party": party.label,
                "stance": positions[party.value].get_stance_display()
                if party.value in positions
                else _("未表态"),
                "statement": positions[party.value].statement if party.value in positions else "",
            }
            for party in PARTY_ORDER
        ],
        "poll": poll_view(item.poll) if item.poll else None,
        "resolution": resolution_view(resolution),
    }


def minutes_context(meeting_id: int) -> dict[str, Any]:
    """Everything the minutes print, as plain data; the same meeting gives the same context."""
    meeting, items = load_meeting(meeting_id)
    resolutions = _resolutions_by_proposal(items)
    url = public_url(meeting_public_path(meeting))
    attendance, signatures = _attendance(meeting)
    review, corrections = _review(meeting)
    return {
        "community": meeting.community.name,
        "district": meeting.community.district,
        "meeting": {
            "id": meeting.pk,
            "title": meeting.title,
            "place": meeting.place,
            "starts_at": format_datetime(meeting.starts_at),
            "closed_at": format_datetime(meeting.closed_at),
            # The time it actually ran, when it did; else the scheduled start.
            "time_range": time_range(meeting.opened_at or meeting.starts_at, meeting.closed_at),
            "facilitator": str(meeting.facilitator),
            "status": meeting.get_status_display(),
            "is_public": meeting.is_public,
        },
        "attendance": attendance,
        "attendance_total": sum(row["count"] for row in attendance),
        "items": [
            _item_view(number, item, resolutions, corrections)
            for number, item in enumerate(items, start=1)
        ],
        "signature_parties": [party.label for party in PARTY_ORDER],
        "signatures": signatures,
        "review": review,
        "public_url": url,
    }
