"""Permission predicates of dispatch, one named function per permission (DESIGN.md "Roles").

Dispatchers are the committee (居委会) of the matter's community and the street staff over it;
a responsible unit's staff act only on what was dispatched to their unit and see nothing else.
"""

from deliberation.models import Community, Dispatch, ResponsibleUnit
from deliberation.scope import (
    AnyUser,
    is_committee_member,
    is_street_staff,
    is_unit_staff,
    staff_streets,
)


def can_dispatch(user: AnyUser, community: Community) -> bool:
    """Send, transfer and re-send matters of ``community`` to units: its committee, its street."""
    return is_committee_member(user, community) or is_street_staff(user, community)


def can_redispatch_escalated(user: AnyUser, community: Community) -> bool:
    """An escalated matter is the street's (its committee only when it belongs to no street)."""
    if community.street_id is None:
        return is_committee_member(user, community)
    return is_street_staff(user, community)


def can_act_on_dispatch(user: AnyUser, dispatch: Dispatch) -> bool:
    """Claim, return, report feedback and completion: staff of the unit it was sent to."""
    return is_unit_staff(user, dispatch.unit_id)


def can_view_dispatch(user: AnyUser, dispatch: Dispatch) -> bool:
    """The unit it was sent to, and the dispatchers of its matter's community."""
    return can_act_on_dispatch(user, dispatch) or can_dispatch(user, dispatch.proposal.community)


def can_administer_units(user: AnyUser) -> bool:
    """Street staff keep the register of responsible units and the time limits of their street."""
    return user.is_authenticated and (user.is_superuser or staff_streets(user).exists())


def can_change_unit(user: AnyUser, unit: ResponsibleUnit) -> bool:
    """Street staff change a unit that serves a community of their street, or serves none yet."""
    if not can_administer_units(user):
        return False
    if user.is_superuser:
        return True
    streets = set(staff_streets(user).values_list("pk", flat=True))
    served = set(unit.communities.values_list("street_id", flat=True))
    return not served or bool(served & streets)
