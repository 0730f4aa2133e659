"""Permission predicates of proposals, one named function per permission."""

from deliberation.models import Channel, Community, Party, Proposal
from deliberation.models.proposals import TRIAGE_PERMISSION
from deliberation.scope import AnyUser, is_committee_member, is_grid_worker, member_of, party_in

# What grid workers collect on their rounds and enter themselves (DESIGN.md "Roles").
GRID_CHANNELS = (Channel.BOX, Channel.VISIT)


def can_raise_proposal(user: AnyUser, community: Community) -> bool:
    """Any member of the community (of any party) may raise a matter in their own name."""
    return member_of(user, community) is not None


def can_triage_proposals(user: AnyUser, community: Community) -> bool:
    """Community staff (居委会 party) holding the triage permission, in their own community."""
    return is_committee_member(user, community, permission=TRIAGE_PERMISSION)


def can_enter_on_behalf(user: AnyUser, community: Community, channel: str | None = None) -> bool:
    """Community staff enter matters brought by hotline, box, visit, photo or meeting; grid
    workers of the community enter those of the box and visit channels."""
    if is_committee_member(user, community):
        return True
    return channel in GRID_CHANNELS and is_grid_worker(user, community)


def can_submit_options(user: AnyUser, community: Community) -> bool:
    """Property, department and community staff submit proposals that carry several options."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return party_in(user, community) in (Party.PROPERTY, Party.DEPARTMENT, Party.COMMITTEE)


def can_second_proposal(user: AnyUser, proposal: Proposal) -> bool:
    """Residents of the proposal's community second (附议) published matters."""
    return party_in(user, proposal.community) == Party.RESIDENT and proposal.live


def can_view_proposal(user: AnyUser, proposal: Proposal) -> bool:
    """Published matters are public; unpublished ones only for their author, the staff member who
    entered them, and the triage staff of that community."""
    if proposal.live:
        return True
    if not user.is_authenticated:
        return False
    if can_triage_proposals(user, proposal.community):
        return True
    if proposal.entered_by_id == user.pk:
        return True
    member = member_of(user, proposal.community)
    return member is not None and proposal.author_id == member.pk
