"""Permission predicates of common problems and area checks."""

from deliberation.models import Community
from deliberation.models.proposals import TRIAGE_PERMISSION
from deliberation.scope import AnyUser, is_committee_member, is_street_staff


def can_manage_problems(user: AnyUser, community: Community) -> bool:
    """Confirm, split, dismiss and raise common problems; open and close area checks.

    The community's triage staff (居委会), and the street's command centre over its communities
    (由点及面 is the street's work as much as the community's).
    """
    return is_committee_member(user, community, permission=TRIAGE_PERMISSION) or (
        is_street_staff(user, community)
    )


def can_record_findings(user: AnyUser, community: Community) -> bool:
    """Record what an area check found, building by building: the same staff (grid workers
    report through them until they have their own pages)."""
    return can_manage_problems(user, community)
