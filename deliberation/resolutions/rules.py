"""Permission predicates for resolutions, one named function per permission.

The scope is the person's ``Member`` standing in the resolution's community and its party.
Superusers pass every staff check (but never rate: ratings are residents' own).
"""

from deliberation.models import STAFF_PARTIES, Community, Resolution
from deliberation.scope import AnyUser, is_committee_member, party_in


def can_manage_resolutions(user: AnyUser, community: Community) -> bool:
    """Create resolutions for matters settled without a vote, reopen, and see the admin list."""
    return is_committee_member(user, community)


def can_post_progress(user: AnyUser, resolution: Resolution) -> bool:
    """Only the responsible party's staff (or the named responsible person) report progress and
    completion."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if resolution.responsible_person_id and resolution.responsible_person_id == user.pk:
        return True
    party = party_in(user, resolution.community)
    return party in STAFF_PARTIES and party == resolution.responsible_party


def can_reopen_resolution(user: AnyUser, resolution: Resolution) -> bool:
    """Community staff reopen a completed resolution for another round."""
    return is_committee_member(user, resolution.community)


def can_record_followup(user: AnyUser, resolution: Resolution) -> bool:
    """Community staff make follow-up visits and calls (回访)."""
    return is_committee_member(user, resolution.community)
