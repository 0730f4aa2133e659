"""The electorate of a poll: built from the registry at open, frozen into the poll as JSON.

Frozen form (``Poll.frozen_electorate``): a list of voters, each
``{"key", "headcount", "area", "user_ids", "label", "units"}``; ``area`` is a decimal string
(0.01 m²). Casting looks voters up through ``ElectorateIndex``, cached per process by
``(poll id, opened_at)``: the frozen electorate never changes after open, so the cache only
saves parsing, never decides anything that the database does not also hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from deliberation.models import Community, Member, Ownership, Party, Unit
from votes.counting import owner_voters_frozen
from votes.models import Electorate, Poll

UserIds = Iterable[int] | Callable[[], Iterable[int]] | None


@dataclass(frozen=True)
class ElectorateIndex:
    voters: dict[str, tuple[int, Decimal]]
    user_keys: dict[int, tuple[str, ...]]
    option_ids: tuple[int, ...]
    method: str


_CACHE: dict[tuple[int, str], ElectorateIndex] = {}
_CACHE_MAX = 256


def person_key(user_id: int) -> str:
    return f"p{user_id}"


def _person_voters(members: Iterable[Member]) -> list[dict[str, Any]]:
    voters = []
    for member in members:
        user = member.user
        voters.append(
            {
                "key": person_key(user.pk),
                "headcount": 1,
                "area": "0.00",
                "user_ids": [user.pk],
                "label": str(user),
                "units": [],
            }
        )
    return sorted(voters, key=lambda v: v["key"])


def owner_voters(community: Community) -> list[dict[str, Any]]:
    """Owner voters of a community per SPC arts. 8–9, grouped by ``votes.counting``."""
    units = list(
        Unit.objects.filter(building__community=community)
        .select_related("building")
        .order_by("building__name", "number")
    )
    owners: dict[int, list[int]] = {}
    for unit_id, user_id in Ownership.objects.filter(
        unit__building__community=community
    ).values_list("unit_id", "member__user_id"):
        owners.setdefault(unit_id, []).append(user_id)
    return owner_voters_frozen(units=units, owners=owners)


def build_electorate(*, poll: Poll, eligible_user_ids: UserIds = None) -> list[dict[str, Any]]:
    """The voter list for ``poll`` as of now (called by ``poll_open``)."""
    community = poll.community
    if poll.electorate == Electorate.OWNERS:
        return owner_voters(community)
    members = Member.objects.filter(community=community).select_related("user")
    if poll.electorate == Electorate.RESIDENTS:
        return _person_voters(members.filter(party=Party.RESIDENT, verified=True))
    if poll.electorate == Electorate.MEMBERS:
        return _person_voters(members.filter(is_council_member=True))
    ids = eligible_user_ids if eligible_user_ids is not None else poll.eligible_user_ids
    if callable(ids):
        ids = ids()
    return _person_voters(members.filter(user_id__in=list(ids or [])))


def totals(voters: Iterable[dict[str, Any]]) -> tuple[int, Decimal]:
    headcount, area = 0, Decimal("0.00")
    for voter in voters:
        headcount += int(voter["headcount"])
        area += Decimal(voter["area"])
    return headcount, area


def electorate_index(poll: Poll) -> ElectorateIndex:
    """The open poll's frozen electorate as lookup tables (cached; loads the JSON on a miss)."""
    key = (poll.pk, poll.opened_at.isoformat() if poll.opened_at else "")
    found = _CACHE.get(key)
    if found is not None:
        return found
    frozen = Poll.objects.filter(pk=poll.pk).values_list("frozen_electorate", flat=True).get()
    voters: dict[str, tuple[int, Decimal]] = {}
    user_keys: dict[int, list[str]] = {}
    for voter in frozen or []:
        voters[voter["key"]] = (int(voter["headcount"]), Decimal(voter["area"]))
        for user_id in voter.get("user_ids", []):
            user_keys.setdefault(int(user_id), []).append(voter["key"])
    spec = poll.frozen_spec or {}
    index = ElectorateIndex(
        voters=voters,
        user_keys={k: tuple(v) for k, v in user_keys.items()},
        option_ids=tuple(spec.get("option_ids", ())),
        method=spec.get("method", poll.method),
    )
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[key] = index
    return index
