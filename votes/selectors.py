"""Reads of polls and results that several callers need (pages, API, meetings, commands)."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from deliberation.models import Community, User
from votes import audit
from votes.models import (
    Ballot,
    ChainHeadPublication,
    ChainScheme,
    Kind,
    Participation,
    Poll,
    PollStatus,
    Secrecy,
)
from votes.tally import ballots_by_channel, poll_tally


def poll_chain_rows(poll: Poll) -> list[audit.ChainRow]:
    """The poll's ballots as chain rows, in chain order (one query)."""
    return [
        audit.ChainRow(*row)
        for row in Ballot.objects.filter(poll_id=poll.pk)
        .order_by("seq", "pk")
        .values_list(
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
        )
    ]


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
        "ballots_cast": poll.ballot_seq if poll.status != PollStatus.DRAFT else 0,
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
