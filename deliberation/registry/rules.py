"""Roles (Django groups), the one table of the permissions each holds, and registry predicates.

A Django permission is global; it only opens a door (an admin view, a snippet's add form). Which
community a person may act on, and as which party, always comes from ``deliberation.scope``.
The table names other apps' permissions as plain strings ("votes.add_poll"): this module imports
none of their models, and ``roles_ensure`` gives each group exactly its row after every migrate.
"""

from deliberation.models import Community, Party
from deliberation.scope import ADMIN_ACCESS_PERMISSION, AnyUser, is_committee_member


class Role:
    """Group names (stored data, so not translated) of the four roles."""

    RESIDENT = "居民"
    FACILITATOR = "社区工作人员"  # the community committee's staff (居委会)
    PROPERTY = "物业人员"
    DEPARTMENT = "部门人员"

    ALL = (RESIDENT, FACILITATOR, PROPERTY, DEPARTMENT)
    STAFF = (FACILITATOR, PROPERTY, DEPARTMENT)

    # Above the community: the street's command-centre staff (``StreetStaff``); they sit for no
    # party at any table, so they are not among the member roles above.
    STREET = "街道工作人员"
    GROUPS = (*ALL, STREET)


# The party a staff role sits for at the table.
ROLE_PARTY: dict[str, str] = {
    Role.RESIDENT: Party.RESIDENT,
    Role.FACILITATOR: Party.COMMITTEE,
    Role.PROPERTY: Party.PROPERTY,
    Role.DEPARTMENT: Party.DEPARTMENT,
}


IMPORT_ROSTER_PERMISSION = "deliberation.import_roster"

# What every staff role needs to propose (with options and photos) and follow resolutions in
# the Wagtail admin of its own communities.
_STAFF_COMMON = frozenset(
    {
        ADMIN_ACCESS_PERMISSION,
        "deliberation.view_community",
        "deliberation.view_proposal",
        "deliberation.add_proposal",
        "deliberation.change_proposal",
        "deliberation.view_proposaloption",
        "deliberation.add_proposaloption",
        "deliberation.change_proposaloption",
        "deliberation.view_proposalphoto",
        "deliberation.add_proposalphoto",
        "deliberation.view_resolution",
        "deliberation.change_resolution",  # progress reports on what is assigned to them
    }
)

# The committee runs the loop: triage and publish, the registry and roster, resolutions, meetings
# (schedule, edit, facilitate), polls (create and edit in the admin; open, close, extend and
# finalise on the poll's staff page, which asks votes.rules), minutes and notices.
_COMMITTEE = _STAFF_COMMON | {
    # triage and publish (Wagtail creates publish/lock/unlock for the Proposal snippet)
    "deliberation.publish_proposal",
    "deliberation.lock_proposal",
    "deliberation.unlock_proposal",
    "deliberation.delete_proposalphoto",
    # the registry and its roster
    "deliberation.change_community",
    "deliberation.view_building",
    "deliberation.add_building",
    "deliberation.change_building",
    "deliberation.view_unit",
    "deliberation.add_unit",
    "deliberation.change_unit",
    "deliberation.view_member",
    "deliberation.add_member",
    "deliberation.change_member",
    "deliberation.view_ownership",
    "deliberation.add_ownership",
    "deliberation.change_ownership",
    "deliberation.delete_ownership",
    IMPORT_ROSTER_PERMISSION,
    # grids and their posts (网格、网格员、楼长), buildings' grid and code
    "deliberation.view_grid",
    "deliberation.add_grid",
    "deliberation.change_grid",
    "deliberation.view_gridrole",
    "deliberation.add_gridrole",
    "deliberation.change_gridrole",
    # resolutions: assign and supervise
    "deliberation.add_resolution",
    # polls: the snippet's list and inspect (view), create (add) and edit (change) views
    "votes.view_poll",
    "votes.add_poll",
    "votes.change_poll",
    # meetings: schedule (add), edit and facilitate (change) in the committee's communities
    "meetings.view_meeting",
    "meetings.add_meeting",
    "meetings.change_meeting",
    # minutes (list, inspect, render again) and notices (list, inspect, issue)
    "meetings.view_minutesrecord",
    "meetings.change_minutesrecord",
    "meetings.view_notice",
    "meetings.add_notice",
}


# The street's command centre: the admin, its communities' grids and posts, and the street's
# matters (read, correct where they are). No proposal, vote or meeting permission: it never
# enters or votes on anyone's behalf.
_STREET = frozenset(
    {
        ADMIN_ACCESS_PERMISSION,
        "deliberation.view_community",
        "deliberation.view_grid",
        "deliberation.add_grid",
        "deliberation.change_grid",
        "deliberation.view_gridrole",
        "deliberation.add_gridrole",
        "deliberation.change_gridrole",
    }
)


# The permissions each role holds, for every app: ``roles_ensure`` makes each group hold exactly
# its row. Residents act on the public site only (predicates in each app's rules), so their
# group holds nothing. Property and department staff never facilitate, run or count a vote:
# their rows hold no votes.* or meetings.* permission at all.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.RESIDENT: frozenset(),
    Role.FACILITATOR: frozenset(_COMMITTEE),
    Role.PROPERTY: _STAFF_COMMON,
    Role.DEPARTMENT: _STAFF_COMMON,
    Role.STREET: _STREET,
}


# Permissions Wagtail creates only once the model is registered as a snippet with the matching
# mixin (DraftStateMixin, LockableMixin); granted when present, skipped (not an error) before.
OPTIONAL_PERMISSIONS = frozenset(
    {
        "deliberation.publish_proposal",
        "deliberation.lock_proposal",
        "deliberation.unlock_proposal",
    }
)


def role_permissions(role: str) -> tuple[str, ...]:
    """The permissions ``role`` holds ("app_label.codename"), sorted."""
    return tuple(sorted(ROLE_PERMISSIONS[role]))


def can_import_roster(user: AnyUser, community: Community) -> bool:
    """Community staff (committee party) with the roster permission, in their own community."""
    return is_committee_member(user, community, permission=IMPORT_ROSTER_PERMISSION)
