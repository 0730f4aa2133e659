"""The one community scope: which communities a person may see and act on, and as which party.

Every permission check of every app starts here (DESIGN.md "Roles"): a Django permission is
global, so the community always comes from the person's ``Member`` row. Superusers pass.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from deliberation.models import STAFF_PARTIES, Community, Member, Party, User

AnyUser = User | AnonymousUser


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


def is_committee_member(user: AnyUser, community: Community) -> bool:
    """居委会 (community committee) staff of ``community``, or a superuser."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    member = member_of(user, community)
    return member is not None and member.party == Party.COMMITTEE


ADMIN_ACCESS_PERMISSION = "wagtailadmin.access_admin"


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
