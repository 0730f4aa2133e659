"""Who may do what in a meeting: named predicates, one per permission."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from deliberation import scope
from deliberation.models import Community, Member, Party, User
from meetings.models import Meeting


def may_facilitate(user: Any, community: Community) -> bool:
    """Whether ``user`` may facilitate meetings of ``community`` and run their votes.

    Committee (居委会) staff of that very community only, read afresh (a websocket connection
    outlives a role change); superusers pass as everywhere in ``scope``. No global Django
    permission counts here: property and department staff never facilitate, in any community.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    scope.member_of(user, community, fresh=True)  # refresh the cache is_committee_member reads
    return scope.is_committee_member(user, community)


def facilitator_choices(communities: QuerySet[Community]) -> QuerySet[User]:
    """The people :func:`may_facilitate` holds for in one of ``communities`` (form choices)."""
    return User.objects.filter(
        memberships__community__in=communities, memberships__party=Party.COMMITTEE
    ).distinct()


def is_facilitator(user: Any, meeting: Meeting) -> bool:
    """Facilitate ``meeting`` (agenda, speakers, attendance, polls, notes, closing).

    The named facilitator holds it as committee staff of the meeting's community, and so does
    any other committee staff of that community (a colleague standing in); nobody else.
    """
    # The scope reads only the community's key: do not load (and cache) the community row on
    # the caller's meeting object, which services hand back to their callers.
    return may_facilitate(user, Community(pk=meeting.community_id))


def member_of(user: Any, meeting: Meeting) -> Member | None:
    """The user's standing in the meeting's community, read afresh (connections outlive it)."""
    if not getattr(user, "is_authenticated", False):
        return None  # consumers may hold no user at all
    return scope.member_of(user, meeting.community, fresh=True)


def is_participant(user: Any, meeting: Meeting) -> bool:
    """A signed-in member of the meeting's community."""
    return member_of(user, meeting) is not None


def can_view(user: Any, meeting: Meeting) -> bool:
    """Public meetings are open to anyone; private ones to members and facilitators."""
    return meeting.is_public or is_participant(user, meeting) or is_facilitator(user, meeting)


def role_for(user: Any, meeting: Meeting) -> str | None:
    """The connection's role: ``facilitator``, ``participant``, ``observer``, or None (refused)."""
    return role_of_member(user, meeting, member_of(user, meeting))


def role_of_member(user: Any, meeting: Meeting, member: Member | None) -> str | None:
    """:func:`role_for` from the user's standing already read (``member_of``), with no query.

    Facilitator as :func:`is_facilitator` holds it (committee staff of the meeting's community,
    or a superuser), participant as :func:`is_participant`, observer on a public meeting.
    """
    if getattr(user, "is_authenticated", False) and (
        user.is_superuser or (member is not None and member.party == Party.COMMITTEE)
    ):
        return "facilitator"
    if member is not None:
        return "participant"
    if meeting.is_public:
        return "observer"
    return None


ROLE_ORDER = ["observer", "participant", "facilitator"]


def role_lowered(role: str, wanted: str | None) -> str:
    """The role a connection asked for when it is lower than its own (the projector connects
    as an observer); never a higher one."""
    if wanted in ROLE_ORDER and ROLE_ORDER.index(wanted) < ROLE_ORDER.index(role):
        return wanted
    return role


ROLE_ACTIONS = {
    "facilitator": [
        "agenda.goto",
        "poll.open",
        "poll.close",
        "poll.reopen",
        "speaker.next",
        "note.add",
        "attendance.mark",
        "meeting.close",
        "ballot.cast",
        "speaker.request",
        "speaker.withdraw",
    ],
    "participant": ["ballot.cast", "speaker.request", "speaker.withdraw"],
    "observer": [],
}


def may(role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, [])


VIEW_MEETING_PERMISSION = "meetings.view_meeting"
SCHEDULE_MEETING_PERMISSION = "meetings.add_meeting"


def admin_communities(user: Any, *, permission: str) -> QuerySet[Community]:
    """Communities whose meetings ``user`` may list (``VIEW_MEETING_PERMISSION``) or schedule
    (``SCHEDULE_MEETING_PERMISSION``) in the admin: committee staff holding that permission.

    Property and department staff get none, whatever Django permissions they were given.
    """
    if not (getattr(user, "is_authenticated", False) and scope.can_access_admin(user)):
        return Community.objects.none()
    return scope.committee_communities(user, permission=permission)


def can_read_minutes(user: Any, meeting: Meeting, *, final: bool) -> bool:
    """Read a meeting's minutes PDF, by any URL that serves it (minutes.pdf, /documents/...).

    Final minutes of a public meeting are public; final minutes of a private meeting go to the
    members of its community; a draft only to its facilitators (committee staff there).
    """
    if is_facilitator(user, meeting):
        return True
    if not final:
        return False
    return meeting.is_public or is_participant(user, meeting)
