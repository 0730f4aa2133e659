"""Permission predicates of the deliberation domain, one named function per permission.

Two things decide: the role (a Django permission, granted through the role groups) and the scope
(the person's ``Member`` standing in that community and its party). Superusers pass every check.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from .models import STAFF_PARTIES, Community, Member, Party, Proposal, User

AnyUser = User | AnonymousUser

# --- proposals -----------------------------------------------------------------------------------

TRIAGE_PERMISSION = "deliberation.publish_proposal"


def member_of(user: AnyUser, community: Community) -> Member | None:
    """The user's standing in ``community`` (cached per user object), or ``None``."""
    if not user.is_authenticated:
        return None
    cache: dict[int, Member | None] = user.__dict__.setdefault("_sifang_members", {})
    if community.pk not in cache:
        cache[community.pk] = (
            Member.objects.filter(community=community, user=user).select_related("user").first()
        )
    return cache[community.pk]


def can_raise_proposal(user: AnyUser, community: Community) -> bool:
    """Any member of the community (of any party) may raise a matter in their own name."""
    return member_of(user, community) is not None


def can_triage_proposals(user: AnyUser, community: Community) -> bool:
    """Community staff (居委会 party) holding the triage permission, in their own community."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    member = member_of(user, community)
    return (
        member is not None and member.party == Party.COMMITTEE and user.has_perm(TRIAGE_PERMISSION)
    )


def is_committee_member(user: AnyUser, community: Community) -> bool:
    """居委会 (community committee) staff of ``community``, or a superuser."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    member = member_of(user, community)
    return member is not None and member.party == Party.COMMITTEE


def can_enter_on_behalf(user: AnyUser, community: Community) -> bool:
    """Community staff enter matters brought by hotline, box, visit, photo or meeting."""
    return is_committee_member(user, community)


def can_submit_options(user: AnyUser, community: Community) -> bool:
    """Property, department and community staff submit proposals that carry several options."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    member = member_of(user, community)
    return member is not None and member.party in (
        Party.PROPERTY,
        Party.DEPARTMENT,
        Party.COMMITTEE,
    )


def can_second_proposal(user: AnyUser, proposal: Proposal) -> bool:
    """Residents of the proposal's community second (附议) published matters."""
    member = member_of(user, proposal.community)
    return member is not None and member.party == Party.RESIDENT and proposal.live


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


# --- roles (registry helper) ---------------------------------------------------------------------
# The four roles are Django groups (created by ``deliberation.services.registry.roles_ensure``)
# holding the model permissions below and no more. The scope (which community) always comes from
# the ``Member`` row: a Django permission is global, so every staff check also asks ``member_of``.


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

ADMIN_ACCESS_PERMISSION = "wagtailadmin.access_admin"
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


def has_role(user: AnyUser, role: str) -> bool:
    """Whether the user is in the role's group (cached per user object)."""
    if not user.is_authenticated:
        return False
    names: set[str] | None = user.__dict__.get("_sifang_roles")
    if names is None:
        names = set(user.groups.values_list("name", flat=True))
        user.__dict__["_sifang_roles"] = names
    return role in names


def member_communities(user: AnyUser) -> QuerySet[Community]:
    """Communities the user belongs to (any party); every community for superusers."""
    if not user.is_authenticated:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(members__user=user).distinct()


def staff_communities(user: AnyUser) -> QuerySet[Community]:
    """Communities where the user sits as staff of the committee, property or a department."""
    if not user.is_authenticated:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    if not user.has_perm(ADMIN_ACCESS_PERMISSION):
        return Community.objects.none()
    return Community.objects.filter(members__user=user, members__party__in=STAFF_PARTIES).distinct()


def is_community_staff(user: AnyUser, community: Community) -> bool:
    """Staff (admin access) who sit for the committee, property or a department in ``community``."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if not user.has_perm(ADMIN_ACCESS_PERMISSION):
        return False
    member = member_of(user, community)
    return member is not None and member.party in STAFF_PARTIES


def can_view_unpublished(user: AnyUser, community: Community) -> bool:
    """Unpublished matters of ``community``: its own staff only, never another community's.

    Property and department staff of community A see nothing unpublished of community B, however
    global their Django permissions are; filter admin querysets with :func:`staff_communities`.
    """
    return is_community_staff(user, community)


def can_access_admin(user: AnyUser) -> bool:
    """Whether the user may open the Wagtail admin at all (residents never)."""
    return user.is_authenticated and user.is_active and user.has_perm(ADMIN_ACCESS_PERMISSION)


def can_import_roster(user: AnyUser, community: Community) -> bool:
    """Community staff (committee party) with the roster permission, in their own community."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    member = member_of(user, community)
    return (
        member is not None
        and member.party == Party.COMMITTEE
        and user.has_perm(IMPORT_ROSTER_PERMISSION)
    )
