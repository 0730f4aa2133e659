"""Reads of polls and results that several callers need (pages, API, meetings, commands)."""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from deliberation.models import Community, User
from votes import audit
from votes.models import (
    Ballot,
    BallotChannel,
    BallotVersion,
    ChainHeadPublication,
    ChainScheme,
    Kind,
    Participation,
    Poll,
    PollStatus,
    Secrecy,
)
from votes.tally import ballots_by_channel, poll_tally

_CHAIN_FIELDS = (
    "id",
    "seq",
    "voter_key",
    "choice",
    "headcount",
    "area",
    "channel",
    "entered_by_id",
    "prev_hash",
    "hash",
    "receipt",
    "mac",
    "version",
)


def poll_chain_rows(poll: Poll) -> list[audit.ChainRow]:
    """The poll's chain links in chain order: counted ballots and superseded versions of
    changed ones (two queries)."""
    rows = [
        audit.ChainRow(*row)
        for row in Ballot.objects.filter(poll_id=poll.pk).values_list(*_CHAIN_FIELDS)
    ]
    rows += [
        dataclasses.replace(audit.ChainRow(*row), counted=False)
        for row in BallotVersion.objects.filter(poll_id=poll.pk).values_list(*_CHAIN_FIELDS)
    ]
    return sorted(rows, key=lambda row: (row.seq, not row.counted, row.id))


def poll_chain_publications(poll: Poll) -> list[ChainHeadPublication]:
    """The heads published for ``poll``, oldest first (the public chain page)."""
    return list(ChainHeadPublication.objects.filter(poll_id=poll.pk).order_by("published_at", "pk"))


def _published_heads(poll: Poll) -> list[audit.PublishedHead]:
    return [
        audit.PublishedHead(
            seq=item.seq,
            head=item.head,
            source=f"published {item.published_at.isoformat()}, row {item.pk}",
            published_at=item.published_at,
            mac=item.mac,
        )
        for item in poll_chain_publications(poll)
    ]


def _legacy_marked(poll_id: int, recorded_mac: str) -> bool:
    expected = audit.legacy_mac(audit.configured_chain_key(), poll_id=poll_id)
    return hmac.compare_digest(recorded_mac, expected)


@dataclass(frozen=True)
class ChainCheck:
    """What ``poll_chain_check`` verified and the first problem (None: all fits)."""

    scheme: ChainScheme
    ballots: int
    head: str
    published_checked: int
    external_checked: int
    problem: audit.ChainProblem | None


def poll_chain_check(
    poll: Poll, *, external_heads: Sequence[audit.PublishedHead] = ()
) -> ChainCheck:
    """Verify the poll's ballot chain: links, MACs (keyed polls, with the configured key), the
    recorded head, the heads published in the database and ``external_heads`` (saved by a
    verifier). The first problem found is in ``problem``.
    """
    head, last_seq, scheme, recorded_mac, status = (
        Poll.objects.filter(pk=poll.pk)
        .values_list("chain_head", "ballot_seq", "chain_scheme", "chain_head_mac", "status")
        .get()
    )
    keyed = scheme == ChainScheme.HMAC_SHA256
    key = audit.configured_chain_key() if keyed else None
    rows = poll_chain_rows(poll)
    published = _published_heads(poll)
    problem = audit.verify_chain(
        poll_id=poll.pk,
        rows=rows,
        head=head,
        last_seq=last_seq,
        participations=Participation.objects.filter(poll_id=poll.pk).count(),
        key=key,
        recorded_head_mac=recorded_mac,
    )
    # A draft has no chain yet; any other unkeyed poll must carry the legacy mark.
    never_opened = status == PollStatus.DRAFT and not rows and last_seq == 0
    if (
        problem is None
        and not keyed
        and not never_opened
        and not _legacy_marked(poll.pk, recorded_mac)
    ):
        problem = audit.ChainProblem(
            None,
            None,
            "scheme_downgraded",
            "the poll is marked unkeyed but was not opened before keyed chains "
            "(its keyed MACs were removed in the database)",
            source=f"poll {poll.pk}",
        )
    if problem is None:
        problem = audit.verify_published(poll_id=poll.pk, rows=rows, published=published, key=key)
    if problem is None:
        problem = audit.verify_published(poll_id=poll.pk, rows=rows, published=external_heads)
    return ChainCheck(
        scheme=ChainScheme(scheme),
        ballots=last_seq,
        head=head,
        published_checked=len(published),
        external_checked=len(external_heads),
        problem=problem,
    )


def poll_chain_problem(poll: Poll) -> audit.ChainProblem | None:
    """Verify the poll's ballot chain (see ``poll_chain_check``); the first misfit, else None."""
    return poll_chain_check(poll).problem


def polls_for_community(community: Community, *, public: bool = True) -> QuerySet[Poll]:
    polls = Poll.objects.filter(community=community).select_related("proposal")
    if public:
        polls = polls.exclude(status=PollStatus.DRAFT)
    return polls.order_by("-created_at")


def tally_visible(poll: Poll) -> bool:
    """Whether counts may be shown now: after close, or while open if the poll allows it."""
    if poll.status in (PollStatus.CLOSED, PollStatus.FINAL):
        return True
    return poll.status == PollStatus.OPEN and poll.show_running_tally


def poll_receipts(poll: Poll) -> list[str]:
    """Every receipt of the poll, sorted (not in casting order), for voters to check theirs."""
    return sorted(Ballot.objects.filter(poll_id=poll.pk).values_list("receipt", flat=True))


def voter_keys_for_user(poll: Poll, user: User | None) -> list[str]:
    if user is None or not user.is_authenticated or poll.status == PollStatus.DRAFT:
        return []
    keys = []
    for voter in poll.frozen_electorate or []:
        if user.pk in voter.get("user_ids", []):
            keys.append(voter["key"])
    return keys


def voter_label(poll: Poll, key: str) -> str:
    for voter in poll.frozen_electorate or []:
        if voter["key"] == key:
            return voter.get("label") or key
    return key


def has_participated(poll: Poll, keys: list[str]) -> bool:
    return bool(keys) and Participation.objects.filter(poll=poll, voter_key__in=keys).exists()


def voter_receipt(poll: Poll, keys: list[str]) -> str | None:
    """The receipt of the user's own ballot in a named poll (secret polls keep no link)."""
    if not keys or poll.secrecy == Secrecy.SECRET:
        return None
    return (
        Ballot.objects.filter(poll_id=poll.pk, voter_key__in=keys)
        .values_list("receipt", flat=True)
        .first()
    )


def poll_result_public(poll: Poll) -> dict[str, Any]:
    """What the public result page and the JSON API show.

    Denominators from the moment the poll opens; counts, shares, thresholds and verdict only
    when ``tally_visible``; the receipt list for secret polls; the announcement log.
    """
    visible = tally_visible(poll)
    if poll.status in (PollStatus.CLOSED, PollStatus.FINAL) and poll.result:
        result = poll.result
    elif visible:
        result = poll_tally(poll)
    else:
        result = None
    data: dict[str, Any] = {
        "id": poll.pk,
        "question": poll.question,
        "kind": poll.kind,
        "electorate": poll.electorate,
        "method": poll.method,
        "rule": poll.rule,
        "majority": [poll.majority_numerator, poll.majority_denominator],
        "majority_inclusive": poll.majority_inclusive,
        "secrecy": poll.secrecy,
        "status": poll.status,
        "opens_at": poll.opens_at.isoformat() if poll.opens_at else None,
        "closes_at": poll.closes_at.isoformat() if poll.closes_at else None,
        "opened_at": poll.opened_at.isoformat() if poll.opened_at else None,
        "closed_at": poll.closed_at.isoformat() if poll.closed_at else None,
        "objection_until": poll.objection_until.isoformat() if poll.objection_until else None,
        "finalised_at": poll.finalised_at.isoformat() if poll.finalised_at else None,
        "preliminary": poll.kind == Kind.OWNERS and poll.status == PollStatus.CLOSED,
        "options": [
            {"id": o.pk, "label": o.label, "meaning": o.meaning} for o in poll.options.all()
        ],
        "denominators": None,
        # Chain links minus superseded versions: a changed ballot counts once.
        "ballots_cast": poll.ballot_seq - BallotVersion.objects.filter(poll_id=poll.pk).count()
        if poll.status != PollStatus.DRAFT
        else 0,
        "by_channel": ballots_by_channel(poll) if visible else None,
        "tally_visible": visible,
        "result": result,
        "chain_head": poll.chain_head if poll.status != PollStatus.DRAFT else "",
        "receipts": poll_receipts(poll)
        if poll.secrecy == Secrecy.SECRET and poll.status in (PollStatus.CLOSED, PollStatus.FINAL)
        else None,
        "events": [
            {"kind": e.kind, "at": e.at.isoformat(), "note": e.note, "data": e.data}
            for e in poll.events.all()
        ],
    }
    if poll.status != PollStatus.DRAFT:
        data["denominators"] = {
            "headcount": poll.total_headcount,
            "area": f"{poll.total_area}" if poll.total_area is not None else None,
        }
    return data


def poll_get(*, community: Community, pk: int) -> Poll | None:
    """The poll with its community, proposal, options and events, or ``None``."""
    return (
        Poll.objects.select_related("community", "proposal")
        .prefetch_related("options", "events")
        .filter(community=community, pk=pk)
        .first()
    )


def participated_keys(poll: Poll, keys: list[str]) -> set[str]:
    """Which of ``keys`` have taken part in ``poll`` (one query)."""
    return set(
        Participation.objects.filter(poll=poll, voter_key__in=keys).values_list(
            "voter_key", flat=True
        )
    )


def ballots_in_chain_order(poll: Poll) -> QuerySet[Ballot]:
    """Every ballot of ``poll`` in chain order, with the staff who entered it."""
    return Ballot.objects.filter(poll=poll).select_related("entered_by").order_by("seq")


def polls_for_proposal(
    *, proposal_id: int | None, resolution_id: int | None = None, limit: int = 10
) -> list[Poll]:
    """Polls (drafts excluded) on a proposal's decision or on a resolution, oldest first."""
    return list(
        Poll.objects.filter(
            Q(resolution_id=resolution_id) | Q(proposal_id=proposal_id, decides_proposal=True)
        )
        .exclude(status=PollStatus.DRAFT)
        .order_by("created_at")[:limit]
    )


@dataclass(frozen=True)
class VoterHit:
    """One voter of a poll's frozen electorate as the paper-ballot screen shows it.

    ``voted_channel`` is the channel of the voter's ballot (``""`` while they have not voted).
    """

    key: str
    label: str
    names: tuple[str, ...]
    area: str
    voted_channel: str

    @property
    def voted(self) -> bool:
        return bool(self.voted_channel)

    @property
    def voted_channel_label(self) -> str:
        if self.voted_channel in BallotChannel.values:
            return str(BallotChannel(self.voted_channel).label)
        return self.voted_channel


def _squeeze(text: str) -> str:
    """Fold the ways staff type a unit: spaces gone, full-width and dash variants unified."""
    table = str.maketrans({"－": "-", "—": "-", "–": "-", "＿": "-", "_": "-", "　": ""})
    return (text or "").translate(table).replace(" ", "").casefold()


def paper_voter_search(poll: Poll, query: str, *, limit: int = 20) -> list[VoterHit]:
    """Voters of ``poll`` matching a unit (``3号楼-201``, ``201``), an owner's name or a phone
    number (at least 4 digits, matched at the end), each with their names and whether they
    have voted. Three queries whatever the electorate's size."""
    needle = _squeeze(query)
    if not needle or not poll.frozen_electorate:
        return []
    digits = "".join(ch for ch in needle if ch.isdigit())
    electorate_users = {
        int(user_id) for voter in poll.frozen_electorate for user_id in voter.get("user_ids", [])
    }
    by_person = Q(display_name__icontains=needle) | Q(first_name__icontains=needle)
    by_person |= Q(last_name__icontains=needle)
    if len(digits) >= 4 and digits == needle:
        by_person |= Q(phone__endswith=digits)
    named = set(
        User.objects.filter(by_person, memberships__community_id=poll.community_id).values_list(
            "pk", flat=True
        )
    )
    named &= electorate_users
    found: list[dict[str, Any]] = []
    for voter in poll.frozen_electorate:
        units = [_squeeze(u.get("label", "")) for u in voter.get("units", [])]
        if (
            needle in _squeeze(voter.get("label", ""))
            or needle == voter["key"]
            or any(needle in unit for unit in units)
            or named.intersection(int(u) for u in voter.get("user_ids", []))
        ):
            found.append(voter)
            if len(found) >= limit:
                break
    user_ids = {int(u) for voter in found for u in voter.get("user_ids", [])}
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=user_ids)}
    channels = dict(
        Participation.objects.filter(
            poll=poll, voter_key__in=[voter["key"] for voter in found]
        ).values_list("voter_key", "channel")
    )
    return [
        VoterHit(
            key=voter["key"],
            label=voter.get("label") or voter["key"],
            names=tuple(names[int(u)] for u in voter.get("user_ids", []) if int(u) in names),
            area=str(voter.get("area") or "0.00"),
            voted_channel=channels.get(voter["key"], ""),
        )
        for voter in found
    ]


@dataclass(frozen=True)
class LedgerBallot:
    """One ballot as the staff ledger lists it: the voter's unit(s) and names, the choice."""

    seq: int
    voter_label: str
    names: tuple[str, ...]
    choice: dict[str, Any]
    headcount: int
    area: Decimal
    channel_label: str
    entered_by: str
    receipt: str


def poll_ballot_ledger(poll: Poll) -> list[LedgerBallot]:
    """Every ballot of ``poll`` in chain order with its voter's label and names (three
    queries). Callers hide the voter for secret polls."""
    voters = {voter["key"]: voter for voter in poll.frozen_electorate or []}
    ballots = list(ballots_in_chain_order(poll))
    user_ids = {
        int(u)
        for ballot in ballots
        for u in voters.get(ballot.voter_key or "", {}).get("user_ids", [])
    }
    names = {user.pk: str(user) for user in User.objects.filter(pk__in=user_ids)}
    rows = []
    for ballot in ballots:
        voter = voters.get(ballot.voter_key or "", {})
        rows.append(
            LedgerBallot(
                seq=ballot.seq,
                voter_label=voter.get("label") or ballot.voter_key or "",
                names=tuple(names[int(u)] for u in voter.get("user_ids", []) if int(u) in names),
                choice=ballot.choice,
                headcount=ballot.headcount,
                area=ballot.area,
                channel_label=str(ballot.get_channel_display()),
                entered_by=str(ballot.entered_by) if ballot.entered_by_id else "",
                receipt=ballot.receipt,
            )
        )
    return rows
