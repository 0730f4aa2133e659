"""Permission predicates of the votes app, one named function per permission."""

from __future__ import annotations

from deliberation.models import Community
from deliberation.scope import AnyUser, is_committee_member, is_community_staff, member_of
from votes.models import Poll, PollStatus


def can_manage_polls(user: AnyUser, community: Community) -> bool:
    """Create, open, close, extend and finalise polls: the community committee's staff.

    Committee party in ``community`` itself (``scope.is_committee_member``) and staff there
    (admin access); never a global Django permission alone. Property and department staff never
    run or count a vote they may have a stake in, in any community.
    """
    return is_committee_member(user, community) and is_community_staff(user, community)


def can_enter_ballots(user: AnyUser, poll: Poll) -> bool:
    """Enter paper, proxy and in-person ballots: committee staff of the poll's community."""
    return poll.status == PollStatus.OPEN and can_manage_polls(user, poll.community)


def can_export_ballots(user: AnyUser, poll: Poll) -> bool:
    """Download the CSV/JSON export (named choices included): committee staff, after open."""
    return poll.status != PollStatus.DRAFT and can_manage_polls(user, poll.community)


def can_view_poll(user: AnyUser, poll: Poll) -> bool:
    """Opened polls are public; drafts only for the staff who prepare them."""
    return poll.status != PollStatus.DRAFT or can_manage_polls(user, poll.community)


def may_vote_in(user: AnyUser, poll: Poll) -> bool:
    """Cast an online ballot at all: a member (any party) of the poll's community.

    Asked before eligibility: a person from elsewhere is refused as forbidden, not told they
    are outside this poll's electorate (which the ballot service still decides for members).
    """
    return member_of(user, poll.community) is not None
