"""Reads of meetings that more than one caller needs, above all ``meeting_state``.

The state is made of sections (``meeting``, ``agenda``, ``poll``, ``tally``, ``speakers``,
``attendance``); every server frame carries whole sections, so a client replaces a section when
the frame's ``seq`` is not older than the one it holds for that section (``protocol.apply_frame``).
Only ``role``, ``can`` and ``you`` depend on the connection.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from deliberation.models import Community, Member, Party
from deliberation.registry.display import public_name
from meetings import procedure, rules
from meetings.models import (
    AgendaItem,
    Attendance,
    Meeting,
    MeetingStatus,
    Note,
    PartyPosition,
    SpeakerRequest,
    SpeakerStatus,
)
from votes.counting import Verdict, accepts_blank
from votes.electorate import electorate_index
from votes.models import Ballot, Poll, PollStatus, Secrecy
from votes.selectors import has_participated
from votes.services.polls import poll_reopenable
from votes.tally import poll_tally

PARTIES = [p.value for p in Party]


def party_labels() -> dict[str, str]:
    """Each party's label in the active language (translated once, not once per member)."""
    return {p.value: str(p.label) for p in Party}


logger = logging.getLogger(__name__)


def meetings_upcoming(*, community: Community, limit: int = 5) -> list[Meeting]:
    """Scheduled or live meetings from today on, soonest first."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    qs = Meeting.objects.filter(
        community=community,
        status__in=[MeetingStatus.SCHEDULED, MeetingStatus.LIVE],
        starts_at__gte=today,
    ).order_by("starts_at")
    return list(qs[:limit])


def meeting_list(*, community: Community, limit: int = 50) -> list[Meeting]:
    """Meetings of a community, newest first (for the meetings index)."""
    return list(
        Meeting.objects.filter(community=community)
        .select_related("facilitator")
        .order_by("-starts_at")[:limit]
    )


def meeting_get(*, community: Community, pk: int) -> Meeting | None:
    """The meeting with what its pages show (community, facilitator, current poll), or ``None``."""
    return (
        Meeting.objects.select_related("community", "facilitator", "current_item__poll")
        .filter(community=community, pk=pk)
        .first()
    )


def meeting_poll(*, meeting: Meeting, pk: int) -> Poll | None:
    """A poll on ``meeting``'s agenda, or ``None``."""
    return Poll.objects.filter(pk=pk, agenda_items__meeting=meeting).first()


def agenda_items_for_proposal(*, proposal_id: int, limit: int = 10) -> list[AgendaItem]:
    """The agenda items that took up a proposal, with their meeting, earliest meeting first."""
    return list(
        AgendaItem.objects.filter(proposal_id=proposal_id)
        .select_related("meeting")
        .order_by("meeting__starts_at")[:limit]
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _name(member: Member) -> str:
    name = str(member.user)
    # Staff of the other three parties act in their office; residents choose to be named.
    if member.party != Party.RESIDENT:
        return name
    return public_name(name, show_full_name=member.show_full_name)


def section_meeting(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "status": meeting.status,
        "status_label": str(meeting.get_status_display()),
        "starts_at": _iso(meeting.starts_at),
        "place": meeting.place,
        "facilitator": str(meeting.facilitator),
        "is_public": meeting.is_public,
        "speech_seconds": meeting.community.speech_seconds,
        "speeches_per_item": meeting.community.speeches_per_item,
        "community": meeting.community.slug,
    }


def section_agenda(meeting: Meeting) -> dict[str, Any]:
    items = list(meeting.items.select_related("proposal", "poll"))
    item_notes: dict[int, list[dict[str, Any]]] = {i.pk: [] for i in items}
    for note in Note.objects.filter(item__meeting=meeting).select_related("author"):
        item_notes[note.item_id].append(
            {"id": note.pk, "text": note.text, "author": str(note.author), "at": _iso(note.at)}
        )
    item_positions: dict[int, list[dict[str, Any]]] = {i.pk: [] for i in items}
    for pos in PartyPosition.objects.filter(item__meeting=meeting):
        item_positions[pos.item_id].append(
            {
                "party": pos.party,
                "party_label": str(pos.get_party_display()),
                "stance": pos.stance,
                "stance_label": str(pos.get_stance_display()),
                "statement": pos.statement,
            }
        )
    for positions in item_positions.values():
        positions.sort(key=lambda p: PARTIES.index(p["party"]))
    return {
        "current": meeting.current_item_id,
        "items": [
            {
                "id": item.pk,
                "title": item.title,
                "proposal": item.proposal_id,
                "poll": item.poll_id,
                "poll_status": item.poll.status if item.poll is not None else None,
                "poll_question": item.poll.question if item.poll is not None else None,
                # Closed by mistake and still unpublished: the console offers to reopen it.
                "poll_reopenable": item.poll is not None and poll_reopenable(item.poll),
                "notes": item_notes[item.pk],
                "positions": item_positions[item.pk],
            }
            for item in items
        ],
    }


def current_poll(meeting: Meeting) -> Poll | None:
    """The poll shown now: the current item's poll."""
    item = meeting.current_item
    if item is None or item.poll_id is None:
        return None
    return item.poll


def section_poll(meeting: Meeting) -> dict[str, Any] | None:
    poll = current_poll(meeting)
    if poll is None:
        return None
    return poll_summary(poll)


def poll_summary(poll: Poll) -> dict[str, Any]:
    return {
        "id": poll.pk,
        "question": poll.question,
        "method": poll.method,
        "method_label": str(poll.get_method_display()),
        "rule": poll.rule,
        "rule_label": str(poll.get_rule_display()),
        # Whether the ballot offers 空白票/弃权 (docs/counting.md, blank ballots).
        "accepts_blank": accepts_blank(poll.method, poll.rule),
        "kind": poll.kind,
        "status": poll.status,
        "status_label": str(poll.get_status_display()),
        "secret": poll.secrecy == Secrecy.SECRET,
        "show_running_tally": poll.show_running_tally,
        "options": [{"id": o.pk, "label": o.label} for o in poll.options.all()],
        "result": poll.result if poll.status in (PollStatus.CLOSED, PollStatus.FINAL) else None,
        "verdict": verdict_of(poll.result)
        if poll.status in (PollStatus.CLOSED, PollStatus.FINAL)
        else None,
    }


def _tally_counts(poll: Poll) -> dict[str, Any]:
    """The running count through ``votes.tally.poll_tally``, plus the turnout.

    A live screen must keep showing the turnout even if counting fails, so a counting error is
    logged and the counts are left out rather than breaking the broadcast.
    """
    ballots = Ballot.objects.filter(poll_id=poll.pk).count()
    try:
        counts = poll_tally(poll)
    except Exception:
        logger.exception("counting poll %s for the live tally failed", poll.pk)
        counts = {}
    return {**counts, "ballots": ballots}


VERDICT_LABELS = {
    Verdict.PASSED: _("通过"),
    Verdict.FAILED: _("未通过"),
    Verdict.NO_VERDICT: _("未达参与表决要求，无表决结论"),
    Verdict.UNDECIDED: _("未决(票数相同)"),
}


def _option_rows(counts: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-option rows of a counting result (``raw.options`` or ``options``)."""
    raw = counts.get("raw") if isinstance(counts.get("raw"), dict) else counts
    rows = raw.get("options") if isinstance(raw, dict) else None
    if isinstance(rows, dict):
        rows = [{"id": int(k), **v} for k, v in rows.items() if isinstance(v, dict)]
    return [r for r in rows or [] if isinstance(r, dict)]


def tally_bars(poll: Poll, counts: dict[str, Any]) -> list[dict[str, Any]]:
    """One bar per option: the count (headcount, i.e. persons or owners) and its percent of
    the participating ballots, for the projector and the console."""
    by_id: dict[int, dict[str, Any]] = {}
    for row in _option_rows(counts):
        try:
            by_id[int(row["id"])] = row
        except (KeyError, TypeError, ValueError):
            continue
    options = []
    for option in poll.options.all():
        row = by_id.get(option.pk, {})
        value = row.get("headcount", row.get("ballots", row.get("count", 0))) or 0
        options.append((option, int(value)))
    total = sum(count for _option, count in options)
    return [
        {
            "id": option.pk,
            "label": option.label,
            "count": count,
            "percent": round(100 * count / total) if total else 0,
        }
        for option, count in options
    ]


def verdict_of(counts: dict[str, Any] | None) -> dict[str, Any] | None:
    if not counts or not counts.get("verdict"):
        return None
    verdict = counts["verdict"]
    return {
        "key": verdict,
        "label": str(VERDICT_LABELS.get(verdict, verdict)),
        "reasons": [str(r) for r in counts.get("reasons") or []],
    }


def tally_sections(poll: Poll) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tally for everyone and the one for facilitators.

    Everyone sees the turnout; the counts per option only when the poll shows a running tally
    or once it has closed. Facilitators always see the counts.
    """
    full = _tally_counts(poll)
    ballots = full["ballots"]
    if poll.status == PollStatus.OPEN:
        eligible = len(electorate_index(poll).voters) or poll.total_headcount
    else:
        eligible = poll.total_headcount
    staff = {
        "poll": poll.pk,
        "ballots": ballots,
        "eligible": eligible,
        "visible": True,
        "bars": tally_bars(poll, full),
        "verdict": verdict_of(poll.result) if poll.status != PollStatus.OPEN else None,
        "counts": full,
    }
    if poll.show_running_tally or poll.status != PollStatus.OPEN:
        public = dict(staff)
    else:
        public = {"poll": poll.pk, "ballots": ballots, "eligible": eligible, "visible": False}
    return public, staff


def section_tally_pair(meeting: Meeting) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The current poll's tally for everyone and for facilitators (None before it opens)."""
    poll = current_poll(meeting)
    if poll is None or poll.status == PollStatus.DRAFT:
        return None, None
    return tally_sections(poll)


def section_speakers(meeting: Meeting) -> dict[str, Any]:
    item = meeting.current_item
    community = meeting.community
    base: dict[str, Any] = {
        "item": item.pk if item else None,
        "speech_seconds": community.speech_seconds,
        "per_item": community.speeches_per_item,
        "current": None,
        "queue": [],
        "done": [],
    }
    if item is None:
        return base
    labels = party_labels()
    requests = list(
        SpeakerRequest.objects.filter(item=item)
        .exclude(status=SpeakerStatus.WITHDRAWN)
        .select_related("member__user")
    )
    spoken = Counter(
        r.member_id for r in requests if r.status in (SpeakerStatus.DONE, SpeakerStatus.SPEAKING)
    )

    def entry(r: SpeakerRequest) -> dict[str, Any]:
        return {
            "id": r.pk,
            "member": r.member_id,
            "name": _name(r.member),
            "party": r.member.party,
            "party_label": labels[r.member.party],
            "requested_at": _iso(r.requested_at),
            "spoken": spoken.get(r.member_id, 0),
        }

    waiting = {r.pk: r for r in requests if r.status == SpeakerStatus.WAITING}
    order = procedure.speaker_order(
        [procedure.QueueEntry(r.pk, r.member_id, r.requested_at) for r in waiting.values()],
        spoken,
    )
    base["queue"] = [entry(waiting[e.request_id]) for e in order]
    for r in requests:
        if r.status == SpeakerStatus.SPEAKING:
            started = r.started_at
            ends = procedure.speech_ends_at(started, community.speech_seconds) if started else None
            base["current"] = {**entry(r), "started_at": _iso(r.started_at), "ends_at": _iso(ends)}
        elif r.status == SpeakerStatus.DONE:
            base["done"].append(
                {**entry(r), "started_at": _iso(r.started_at), "ended_at": _iso(r.ended_at)}
            )
    return base


def expected_members(meeting: Meeting) -> list[Member]:
    """Council members of the community and anyone invited (an attendance row) or present."""
    invited = Attendance.objects.filter(meeting=meeting).values("member_id")
    return list(
        Member.objects.filter(community_id=meeting.community_id)
        .filter(Q(is_council_member=True) | Q(pk__in=invited))
        .select_related("user")
        .order_by("party", "pk")
    )


def section_attendance(meeting: Meeting, *, members: bool = False) -> dict[str, Any]:
    """Attendance by party and the quorum; with ``members``, the list of every expected member
    (for the facilitator's check-in list: at a thousand members it is most of the state, so
    participants, observers and the projector go without it)."""
    expected = expected_members(meeting)
    present_ids = set(
        Attendance.objects.filter(meeting=meeting, present=True).values_list("member_id", flat=True)
    )
    labels = party_labels()
    by_party: dict[str, dict[str, Any]] = {
        p: {"label": labels[p], "present": 0, "expected": 0} for p in PARTIES
    }
    for m in expected:
        by_party[m.party]["expected"] += 1
        if m.pk in present_ids:
            by_party[m.party]["present"] += 1
    quorum = procedure.quorum_compute(
        expected=len(expected),
        present=sum(1 for m in expected if m.pk in present_ids),
        share=Fraction(meeting.community.quorum_share),
        parties_present={m.party for m in expected if m.pk in present_ids},
        parties=PARTIES,
    )
    section: dict[str, Any] = {"by_party": by_party, "quorum": quorum.to_dict()}
    if members:
        self_ids = set(
            Attendance.objects.filter(
                meeting=meeting, present=True, self_checked_in=True
            ).values_list("member_id", flat=True)
        )
        section["members"] = [
            {
                "member": m.pk,
                "name": _name(m),
                "party": m.party,
                "party_label": labels[m.party],
                "present": m.pk in present_ids,
                "self_checked_in": m.pk in self_ids,
            }
            for m in expected
        ]
    return section


def meeting_sections(meeting: Meeting, *, staff: bool) -> dict[str, Any]:
    """Every section for a ``state`` frame, from the cache below (read outside a transaction:
    what is cached must have been committed)."""
    public, full = _cached(("tally", *_poll_version(meeting)), lambda: section_tally_pair(meeting))
    return {**_shared_sections(meeting, staff=staff), "tally": full if staff else public}


# Every connect sends the whole state, and a thousand participants connect within seconds of
# each other: building it afresh each time kept the one database thread busy for minutes. The
# sections are the same for everyone of a role, so they are built once per version and shared.
# The version is read from the database: ``Meeting.seq`` grows in the transaction of every change
# to the meeting, agenda, speakers or attendance (``services._bump``), and a poll's
# ``ballot_seq`` with every committed ballot batch. The short lifetime bounds what a change that
# bypasses the services (an admin edit of a title) leaves stale. Cached dicts are shared:
# callers must not mutate them.
CACHE_SECONDS = 5.0
_CACHE_MAX = 64
_cache: dict[tuple[Any, ...], tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def _cached(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    key = (*key, translation.get_language())  # the sections carry translated labels
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = build()
    with _cache_lock:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[key] = (now, value)
    return value


def cache_clear() -> None:
    """Forget every cached section (tests that reuse primary keys call it)."""
    with _cache_lock:
        _cache.clear()


def _poll_version(meeting: Meeting) -> tuple[Any, ...]:
    poll = current_poll(meeting)
    return (None,) if poll is None else (poll.pk, poll.status, poll.ballot_seq)


def _shared_sections(meeting: Meeting, *, staff: bool) -> dict[str, Any]:
    key = ("sections", meeting.pk, meeting.seq, meeting.status, staff, *_poll_version(meeting))
    return _cached(
        key,
        lambda: {
            "meeting": section_meeting(meeting),
            "agenda": section_agenda(meeting),
            "poll": section_poll(meeting),
            "speakers": section_speakers(meeting),
            "attendance": section_attendance(meeting, members=staff),
        },
    )


def _present_member_ids(meeting: Meeting) -> frozenset[int]:
    """Who is checked in, shared per version like the sections (every check-in bumps ``seq``)."""
    return _cached(
        ("present", meeting.pk, meeting.seq),
        lambda: frozenset(
            Attendance.objects.filter(meeting=meeting, present=True).values_list(
                "member_id", flat=True
            )
        ),
    )


def _you(
    meeting: Meeting, user: Any, member: Member | None, speakers: dict[str, Any]
) -> dict[str, Any]:
    """The connection's own standing. Check-in and speaking come from what is shared per
    version (``speakers`` is the state's section); only whether the user voted is read here."""
    you: dict[str, Any] = {
        "user": user.pk if getattr(user, "is_authenticated", False) else None,
        "member": member.pk if member else None,
        "checked_in": False,
        "voted": False,
        "speaker": None,
    }
    if member is None:
        return you
    poll = current_poll(meeting)
    if poll is not None and poll.status != PollStatus.DRAFT:
        keys = list(electorate_index(poll).user_keys.get(user.pk, ()))
        you["voted"] = has_participated(poll, keys)
    you["checked_in"] = member.pk in _present_member_ids(meeting)
    # The latest of the member's waiting or speaking requests on the current item.
    mine = [e for e in speakers.get("queue") or [] if e["member"] == member.pk]
    current = speakers.get("current")
    if current is not None and current["member"] == member.pk:
        mine.append({**current, "status": SpeakerStatus.SPEAKING})
    if mine:
        latest = max(mine, key=lambda e: e["id"])
        you["speaker"] = str(latest.get("status", SpeakerStatus.WAITING))
    return you


def _meeting_row(pk: int) -> Meeting | None:
    # No .first(): its ORDER BY costs more to compile than the one-row lookup costs to run.
    rows = (
        Meeting.objects.select_related("community", "facilitator", "current_item__poll")
        .defer("current_item__poll__frozen_electorate")  # large; casting caches it parsed
        .filter(pk=pk)
    )
    return next(iter(rows), None)


_version_sql: dict[str, str] = {}


def _meeting_version(pk: int) -> tuple[Any, ...] | None:
    """``(seq, is_public, current poll's status, its ballot_seq)`` of the meeting, or None.

    ``is_public`` decides who may connect, so it is read afresh even when a change bypassed
    the services (which bump ``seq``). Read on every connect, so the query is compiled by the
    ORM once per database vendor and then only executed: compiling costs a hundred times what
    running it does.
    """
    vendor = connection.vendor
    sql = _version_sql.get(vendor)
    if sql is None:
        query = Meeting.objects.filter(pk=0).values_list(
            "seq", "is_public", "current_item__poll__status", "current_item__poll__ballot_seq"
        )
        sql, params = query.query.sql_with_params()
        if list(params) != [0]:  # the one parameter must be the primary key
            raise RuntimeError(f"unexpected parameters {params!r} for the version query")
        _version_sql[vendor] = sql
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def _meeting_row_cached(pk: int) -> Meeting | None:
    """The meeting row with what the state reads, shared per version like the sections (a
    thousand connects read the same row). Callers must not change it."""
    version = _meeting_version(pk)
    if version is None:
        return None
    return _cached(("row", pk, *version), lambda: _meeting_row(pk))


def _state_of(meeting: Meeting, user: Any, member: Member | None, role: str) -> dict[str, Any]:
    state: dict[str, Any] = {"type": "state", "seq": meeting.seq}
    state.update(meeting_sections(meeting, staff=role == "facilitator"))
    state["role"] = role
    state["can"] = list(rules.ROLE_ACTIONS.get(role, []))
    state["you"] = _you(meeting, user, member, state["speakers"])
    state["server_time"] = timezone.now().isoformat()
    return state


def meeting_state(meeting: Meeting, user: Any, *, role: str | None = None) -> dict[str, Any]:
    """The whole current state for the ``state`` frame, as seen by ``user``.

    ``role`` defaults to ``rules.role_for(user, meeting)``; a caller may pass a lower role.
    The ``seq`` is the meeting's, read together with the sections.
    """
    found = _meeting_row(meeting.pk)
    if found is None:
        raise Meeting.DoesNotExist(f"meeting {meeting.pk}")
    member = rules.member_of(user, found)
    role = role or rules.role_of_member(user, found, member) or "observer"
    return _state_of(found, user, member, role)


def meeting_connect(
    *, meeting_id: int, user: Any, wanted: str | None = None
) -> tuple[str | None, dict[str, Any] | None]:
    """A websocket connect in one go: the connection's role (``rules.role_for``, lowered to
    ``wanted`` when that is lower) and its ``state``; ``(None, None)`` when it is refused.

    Three queries whatever the size of the meeting (the meeting, the user's membership, and
    whether they voted), plus the shared sections when their version changed.
    """
    meeting = _meeting_row_cached(meeting_id)
    if meeting is None:
        return None, None
    member = rules.member_of(user, meeting)
    role = rules.role_of_member(user, meeting, member)
    if role is None:
        return None, None
    role = rules.role_lowered(role, wanted)
    return role, _state_of(meeting, user, member, role)
