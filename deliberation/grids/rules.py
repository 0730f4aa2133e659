"""Permission predicates of the grid level: who keeps grids, enters box rounds and visit logs,
prints receipts and contact cards, and corrects where a matter is (DESIGN.md "Roles").

Grid workers enter what they collect in their own grids and nothing else (no triage, no
publishing, no counting); a community's committee may do all of it for its grids; street staff
keep the grids of their street's communities and correct where a matter is, but never enter
matters or ballots on anyone's behalf.
"""

from deliberation.models import Community, Grid, Proposal
from deliberation.scope import AnyUser, is_committee_member, supervises, works_grid


def can_manage_grids(user: AnyUser, community: Community) -> bool:
    """Keep the community's grids and their posts: its committee, or street staff over it."""
    return supervises(user, community)


def can_enter_for_grid(user: AnyUser, grid: Grid) -> bool:
    """Enter a box round or a visit log in ``grid``: its grid workers or the committee."""
    return works_grid(user, grid) or is_committee_member(user, grid.community)


def can_correct_location(user: AnyUser, proposal: Proposal) -> bool:
    """Set a matter's building and grid: the committee of its community or street staff over it."""
    return supervises(user, proposal.community)


def can_print_receipt(user: AnyUser, proposal: Proposal) -> bool:
    """The receipt slip of a matter: the committee, or a grid worker of the matter's grid or of
    the grid whose box or visit log it came from."""
    if is_committee_member(user, proposal.community):
        return True
    grids = [proposal.grid] if proposal.grid is not None else []
    slip = getattr(proposal, "box_slip", None)
    if slip is not None:
        grids.append(slip.round.grid)
    visit = getattr(proposal, "visit_log", None)
    if visit is not None:
        grids.append(visit.grid)
    return any(works_grid(user, grid) for grid in grids)
