"""Reads of written proxies (casting, the admin screens, the result page)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from deliberation.models import Community
from votes.models import BallotChannel, Participation, Poll, ProxyAuthorisation, ProxyLetter


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
