"""The one community scope: which communities a person may see and act on, and as which party.

Every permission check of every app starts here (DESIGN.md "Roles"): a Django permission is
global, so the community always comes from the person's ``Member`` row (one per community and
person). Superusers pass every check here.

Three standings, from the widest:

- *member*: any party (resident, committee, property, department) of the community;
- *staff*: the committee, property or a department, and admin access (:func:`is_community_staff`);
- *committee*: the 居委会 party, optionally holding a named Django permission as well.

This module reads only the registry models (``models.communities``, ``models.users``), so model
modules may call it without an import cycle.
"""

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet

from deliberation.models.communities import STAFF_PARTIES, Community, Member, Party
from deliberation.models.users import User

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
