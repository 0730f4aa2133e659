"""Who may do what in a campaign (issue 15 points 1, 2, 7)."""

from __future__ import annotations

from deliberation.scope import AnyUser
from votes.models import CanvassAssignment, Kind, Poll, PollStatus
from votes.rules import can_manage_polls


def is_campaign_poll(poll: Poll) -> bool:
    """Campaign tools (buildings, canvassing, printed ballots) serve owners' decisions."""
    return poll.kind == Kind.OWNERS


def can_run_campaign(user: AnyUser, poll: Poll) -> bool:
    """The campaign view, lists, ballots and entries: the community's committee staff, once
    the poll has opened (denominators frozen)."""
    return poll.status != PollStatus.DRAFT and can_manage_polls(user, poll.community)


def can_enter_campaign_ballots(user: AnyUser, poll: Poll) -> bool:
    """Enter and confirm paper, proxy and phone ballots: committee staff, poll open."""
    return poll.status == PollStatus.OPEN and can_manage_polls(user, poll.community)


def canvass_building_ids(user: AnyUser, poll: Poll) -> set[int]:
    """The buildings ``user`` canvasses for ``poll`` (their assignments)."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return set()
    return set(
        CanvassAssignment.objects.filter(poll=poll, user_id=user.pk).values_list(
            "building_id", flat=True
        )
    )


def can_canvass(user: AnyUser, poll: Poll) -> bool:
    """The canvasser's phone page: an assigned canvasser, or committee staff, poll open."""
    if poll.status != PollStatus.OPEN:
        return False
    return can_manage_polls(user, poll.community) or bool(canvass_building_ids(user, poll))


def can_record_door_ballot(user: AnyUser, poll: Poll, building_id: int) -> bool:
    """A door-to-door ballot for a unit of ``building_id``: its canvassers, or committee staff."""
    if poll.status != PollStatus.OPEN:
        return False
    if can_manage_polls(user, poll.community):
        return True
    return building_id in canvass_building_ids(user, poll)


def can_confirm_entry(user: AnyUser, poll: Poll, entered_by_id: int) -> bool:
    """Four eyes: committee staff other than the person who entered it."""
    return can_enter_campaign_ballots(user, poll) and user.pk != entered_by_id
