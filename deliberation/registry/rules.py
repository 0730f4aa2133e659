"""Roles (Django groups) and the permissions each holds; registry permission predicates."""

from deliberation.models import Community, Party
from deliberation.scope import ADMIN_ACCESS_PERMISSION, AnyUser, is_committee_member


class Role:
    """Group names (stored data, so not translated) of the four roles."""

    RESIDENT = "居民"
    FACILITATOR = "社区工作人员"
    PROPERTY = "物业人员"
    DEPARTMENT = "部门人员"

    ALL = (RESIDENT, FACILITATOR, PROPERTY, DEPARTMENT)
    STAFF = (FACILITATOR, PROPERTY, DEPARTMENT)


# The party a staff role sits for at the table.
ROLE_PARTY: dict[str, str] = {
    Role.RESIDENT: Party.RESIDENT,
    Role.FACILITATOR: Party.COMMITTEE,
    Role.PROPERTY: Party.PROPERTY,
    Role.DEPARTMENT: Party.DEPARTMENT,
}


IMPORT_ROSTER_PERMISSION = "deliberation.import_roster"

_STAFF_COMMON = (
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
)


# Required permissions per role. Residents act on the public site only (predicates above), so
# their group holds no model permission and no admin access.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.RESIDENT: (),
    Role.FACILITATOR: (
        *_STAFF_COMMON,
        "deliberation.publish_proposal",
        "deliberation.lock_proposal",
        "deliberation.delete_proposalphoto",
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
        "deliberation.add_resolution",
        "deliberation.change_resolution",
        IMPORT_ROSTER_PERMISSION,
    ),
    Role.PROPERTY: (*_STAFF_COMMON, "deliberation.change_resolution"),
    Role.DEPARTMENT: (*_STAFF_COMMON, "deliberation.change_resolution"),
}


# Permissions Wagtail creates only once the model is registered as a snippet with the matching
# mixin; granted when present, skipped (not an error) before that.
OPTIONAL_PERMISSIONS = frozenset({"deliberation.publish_proposal", "deliberation.lock_proposal"})


# Permissions other apps grant to a role (``meetings.change_meeting`` to facilitators, say). They
# register them from their ``AppConfig.ready`` so this module names no other app's models.
EXTRA_ROLE_PERMISSIONS: dict[str, set[str]] = {role: set() for role in Role.ALL}


def register_role_permissions(role: str, *labels: str) -> None:
    """Grant ``labels`` ("app_label.codename") to ``role`` at the next ``roles_ensure()``."""
    EXTRA_ROLE_PERMISSIONS[role].update(labels)


def role_permissions(role: str) -> tuple[str, ...]:
    """Every permission ``role`` holds: this module's table plus the registered extras."""
    return tuple(dict.fromkeys((*ROLE_PERMISSIONS[role], *sorted(EXTRA_ROLE_PERMISSIONS[role]))))


def can_import_roster(user: AnyUser, community: Community) -> bool:
    """Community staff (committee party) with the roster permission, in their own community."""
    return is_committee_member(user, community, permission=IMPORT_ROSTER_PERMISSION)
