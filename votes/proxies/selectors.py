"""Reads of written proxies (casting, the admin screens, the result page)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from deliberation.models import Community
from votes.electorate import build_electorate
from votes.models import (
    BallotChannel,
    Participation,
    Poll,
    PollStatus,
    ProxyAuthorisation,
    ProxyLetter,
)


def proxy_standing(poll: Poll, keys: Iterable[str]) -> tuple[dict[str, Any], set[str]]:
    """For ``keys`` of ``poll``: the standing authorisations (voter key → instruction, None
    when the holder decides) and the keys whose every authorisation was revoked (one query)."""
    standing: dict[str, Any] = {}
    revoked: set[str] = set()
    for key, revoked_at, instruction in ProxyAuthorisation.objects.filter(
        poll_id=poll.pk, voter_key__in=list(keys)
    ).values_list("voter_key", "revoked_at", "instruction"):
        if revoked_at is None:
            standing[key] = instruction
        else:
            revoked.add(key)
    return standing, revoked - set(standing)


def proxy_ballot_count(poll: Poll) -> int:
    """How many counted ballots a proxy cast (from participations: secret polls too)."""
    return Participation.objects.filter(poll_id=poll.pk, channel=BallotChannel.PROXY).count()


def proxy_letters_for(communities: QuerySet[Community]) -> QuerySet[ProxyLetter]:
    """The letters of ``communities``, newest first, with who entered and revoked them."""
    return (
        ProxyLetter.objects.filter(community__in=communities)
        .select_related("community", "entered_by", "revoked_by")
        .order_by("-at", "-pk")
    )


def letter_authorisations(letter: ProxyLetter) -> list[ProxyAuthorisation]:
    """The letter's per-poll authorisations with their polls and options (two queries)."""
    return list(
        letter.authorisations.select_related("poll")
        .prefetch_related("poll__options")
        .order_by("poll__pk")
    )


def proxy_candidate_polls(community: Community) -> list[Poll]:
    """The polls a new letter may cover: the community's drafts and open polls, oldest first,
    with their options."""
    return list(
        Poll.objects.filter(community=community, status__in=[PollStatus.DRAFT, PollStatus.OPEN])
        .prefetch_related("options")
        .order_by("created_at", "pk")
    )


def proxy_principals(polls: Iterable[Poll]) -> list[tuple[str, str]]:
    """Who may give a proxy for some of ``polls``: (electorate key, label) sorted by label.
    Labels are units for owners and names for persons (the admin is staff only)."""
    found: dict[str, str] = {}
    for poll in polls:
        voters = (
            poll.frozen_electorate
            if poll.status != PollStatus.DRAFT
            else build_electorate(poll=poll)
        )
        for voter in voters or []:
            units = [unit.get("label", "") for unit in voter.get("units", [])]
            found.setdefault(voter["key"], "、".join(u for u in units if u) or voter["label"])
    return sorted(found.items(), key=lambda pair: (pair[1], pair[0]))
