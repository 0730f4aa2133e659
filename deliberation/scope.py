"""The one community scope: which communities a person may see and act on, and as which party.

Every permission check of every app starts here (DESIGN.md "Roles"): a Django permission is
global, so the community always comes from the person's ``Member`` row (one per community and
person). Superusers pass every check here.

Three standings, from the widest:

- *member*: any party (resident, committee, property, department) of the community;
- *staff*: the committee, property or a department, and admin access (:func:`is_community_staff`);
- *committee*: the 居委会 party, optionally holding a named Django permission as well.

Above and below the community (DESIGN.md "Roles"): street staff (``StreetStaff``) stand over
every community of their street; grid workers and building heads (``GridRole``) over their grid
and buildings. The functions for those levels are at the end.

This module reads only the registry models (``models.communities``, ``models.levels``,
``models.users``), so model modules may call it without an import cycle.
"""

from typing import TYPE_CHECKING, TypeVar

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet

from deliberation.models.communities import STAFF_PARTIES, Building, Community, Member, Party
from deliberation.models.levels import Grid, GridRoleKind, Street
from deliberation.models.users import User

if TYPE_CHECKING:
    from deliberation.models.dispatch import ResponsibleUnit

AnyUser = User | AnonymousUser

ADMIN_ACCESS_PERMISSION = "wagtailadmin.access_admin"

_Row = TypeVar("_Row", bound=Model)


# --- one community ------------------------------------------------------------------------------


def member_of(user: AnyUser, community: Community, *, fresh: bool = False) -> Member | None:
    """The user's standing in ``community``, or ``None``.

    Cached on the user object, which lives for one request; ``fresh=True`` reads the database
    again (for objects that outlive a request, such as a websocket connection's user).
    """
    if not user.is_authenticated:
        return None
    cache: dict[int, Member | None] = user.__dict__.setdefault("_sifang_members", {})
    if fresh or community.pk not in cache:
        # At most one row (unique per community and user): no .first(), whose ORDER BY costs
        # more to compile than the lookup costs to run (every live-meeting connect reads it).
        rows = Member.objects.filter(community=community, user=user).select_related("user")
        cache[community.pk] = next(iter(rows), None)
    return cache[community.pk]


def party_in(user: AnyUser, community: Community) -> Party | None:
    """The party the user sits for in ``community``, or ``None`` when not a member."""
    member = member_of(user, community)
    return Party(member.party) if member is not None else None


def is_committee_member(
    user: AnyUser, community: Community, *, permission: str | None = None
) -> bool:
    """居委会 (community committee) staff of ``community``, or a superuser.

    With ``permission`` ("app_label.codename") the user must also hold that Django permission.
    """
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if permission is not None and not user.has_perm(permission):
        return False
    return party_in(user, community) == Party.COMMITTEE


def is_community_staff(user: AnyUser, community: Community) -> bool:
    """Staff (admin access) who sit for the committee, property or a department in ``community``."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if not user.has_perm(ADMIN_ACCESS_PERMISSION):
        return False
    return party_in(user, community) in STAFF_PARTIES


def can_view_unpublished(user: AnyUser, community: Community) -> bool:
    """Unpublished matters of ``community``: its own staff only, never another community's.

    Property and department staff of community A see nothing unpublished of community B, however
    global their Django permissions are; filter admin querysets with :func:`scope_queryset`.
    """
    return is_community_staff(user, community)


def can_access_admin(user: AnyUser) -> bool:
    """Whether the user may open the Wagtail admin at all (residents never)."""
    return user.is_authenticated and user.is_active and user.has_perm(ADMIN_ACCESS_PERMISSION)


# --- every community ----------------------------------------------------------------------------
# A join on ``members`` filtered by one user yields each community once (one Member per community
# and person), so these need no DISTINCT.


def member_communities(user: AnyUser) -> QuerySet[Community]:
    """Communities the user belongs to (any party); every community for superusers."""
    if not user.is_authenticated:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(members__user=user)


def staff_communities(user: AnyUser) -> QuerySet[Community]:
    """Communities where :func:`is_community_staff` holds; every community for superusers."""
    if not user.is_authenticated:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    if not user.has_perm(ADMIN_ACCESS_PERMISSION):
        return Community.objects.none()
    return Community.objects.filter(members__user=user, members__party__in=STAFF_PARTIES)


def committee_communities(user: AnyUser, *, permission: str | None = None) -> QuerySet[Community]:
    """Communities where :func:`is_committee_member` holds (with ``permission`` when given)."""
    if not user.is_authenticated:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    if permission is not None and not user.has_perm(permission):
        return Community.objects.none()
    return Community.objects.filter(members__user=user, members__party=Party.COMMITTEE)


def parties_by_community(user: AnyUser) -> dict[int, Party]:
    """Community id → the party the user sits for there (superusers: only where members)."""
    if not user.is_authenticated:
        return {}
    rows = Member.objects.filter(user=user).values_list("community_id", "party")
    return {community_id: Party(party) for community_id, party in rows}


def scope_queryset(
    user: AnyUser,
    queryset: QuerySet[_Row],
    *,
    community_field: str = "community",
    staff_only: bool = True,
) -> QuerySet[_Row]:
    """``queryset`` narrowed to rows whose ``community_field`` the user may act on.

    ``staff_only`` (the default) keeps :func:`staff_communities`; ``False`` keeps every
    community the user belongs to (:func:`member_communities`). Superusers get ``queryset``
    unchanged, anonymous users nothing.
    """
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    communities = staff_communities(user) if staff_only else member_communities(user)
    return queryset.filter(**{f"{community_field}__in": communities})


# --- streets, grids and buildings ---------------------------------------------------------------

# Posts that walk a grid and enter what they collect (box rounds, visit logs).
GRID_WORKER_KINDS = (GridRoleKind.LEADER, GridRoleKind.WORKER)
# Posts that look after named buildings (door-to-door work, letters).
BUILDING_HEAD_KINDS = (GridRoleKind.BUILDING_HEAD, GridRoleKind.UNIT_HEAD, GridRoleKind.VOLUNTEER)


def staff_streets(user: AnyUser) -> QuerySet[Street]:
    """Streets whose command centre the user works for; every street for superusers."""
    if not user.is_authenticated:
        return Street.objects.none()
    if user.is_superuser:
        return Street.objects.all()
    return Street.objects.filter(staff__user=user)


def street_communities(user: AnyUser) -> QuerySet[Community]:
    """Communities of the streets the user works for (street staff's reach)."""
    if not user.is_authenticated:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(street__staff__user=user)


def is_street_staff(user: AnyUser, community: Community) -> bool:
    """Street command-centre staff over ``community`` (or a superuser)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if community.street_id is None:
        return False
    return Street.objects.filter(pk=community.street_id, staff__user=user).exists()


def worker_grids(user: AnyUser) -> QuerySet[Grid]:
    """Grids where the user is grid leader or grid worker."""
    if not user.is_authenticated:
        return Grid.objects.none()
    if user.is_superuser:
        return Grid.objects.all()
    return Grid.objects.filter(roles__user=user, roles__kind__in=GRID_WORKER_KINDS).distinct()


def headed_buildings(user: AnyUser) -> QuerySet[Building]:
    """Buildings the user looks after as building head, unit head or volunteer."""
    if not user.is_authenticated:
        return Building.objects.none()
    if user.is_superuser:
        return Building.objects.all()
    return Building.objects.filter(heads__user=user, heads__kind__in=BUILDING_HEAD_KINDS).distinct()


def grid_communities(user: AnyUser) -> QuerySet[Community]:
    """Communities where the user is grid leader or grid worker of at least one grid."""
    if not user.is_authenticated:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(
        grids__roles__user=user, grids__roles__kind__in=GRID_WORKER_KINDS
    ).distinct()


def works_grid(user: AnyUser, grid: Grid) -> bool:
    """Grid leader or grid worker of ``grid`` (or a superuser)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return grid.roles.filter(user=user, kind__in=GRID_WORKER_KINDS).exists()


def is_grid_worker(user: AnyUser, community: Community) -> bool:
    """Grid leader or grid worker of some grid of ``community`` (or a superuser)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Grid.objects.filter(
        community=community, roles__user=user, roles__kind__in=GRID_WORKER_KINDS
    ).exists()


def supervising_communities(user: AnyUser) -> QuerySet[Community]:
    """Communities the user supervises: committee staff's own, and street staff's street's."""
    if not user.is_authenticated:
        return Community.objects.none()
    if user.is_superuser:
        return Community.objects.all()
    ids = set(committee_communities(user).values_list("pk", flat=True))
    ids |= set(street_communities(user).values_list("pk", flat=True))
    return Community.objects.filter(pk__in=ids)


def supervises(user: AnyUser, community: Community) -> bool:
    """Committee staff of ``community`` or street staff over it (or a superuser)."""
    return is_committee_member(user, community) or is_street_staff(user, community)


# --- responsible units (责任单位) -----------------------------------------------------------------
# Unit staff hold no community standing: they reach only the dispatches sent to their units
# (``deliberation.dispatch.rules``). ``models.dispatch`` imports ``models.proposals``, which
# imports this module, so the model is looked up by name here instead of imported.


def _unit_model() -> "type[ResponsibleUnit]":
    return apps.get_model("deliberation", "ResponsibleUnit")


def staff_units(user: AnyUser) -> "QuerySet[ResponsibleUnit]":
    """Responsible units the user works for (``UnitStaff``); every unit for superusers."""
    units = _unit_model().objects
    if not user.is_authenticated:
        return units.none()
    if user.is_superuser:
        return units.all()
    return units.filter(staff__user=user)


def is_unit_staff(user: AnyUser, unit_id: int) -> bool:
    """Staff of the responsible unit ``unit_id`` (superusers too)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return _unit_model().objects.filter(pk=unit_id, staff__user=user).exists()
