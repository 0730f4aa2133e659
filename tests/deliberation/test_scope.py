"""The one community scope (deliberation/scope.py) across roles and two communities.

Each person holds one role in Nantang and nothing in Minzhu; superusers pass everywhere and
anonymous visitors nowhere.
"""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser

from deliberation import scope
from deliberation.models import Party, Proposal
from deliberation.proposals.rules import TRIAGE_PERMISSION
from deliberation.registry.rules import IMPORT_ROSTER_PERMISSION, Role
from deliberation.registry.services import staff_member_set
from tests.factories.base import CommunityFactory, MemberFactory, UserFactory
from tests.factories.proposals import submitted

pytestmark = pytest.mark.django_db

ROLES = ("resident", "committee", "property", "department", "superuser", "anonymous")
ROLE_GROUPS = {
    "resident": Role.RESIDENT,
    "committee": Role.FACILITATOR,
    "property": Role.PROPERTY,
    "department": Role.DEPARTMENT,
}


@dataclass(frozen=True)
class Expected:
    """What the scope answers for someone holding ``role`` in Nantang."""

    party: Party | None
    committee: bool  # is_committee_member, and with the triage permission
    staff: bool  # is_community_staff / can_view_unpublished
    member_in: tuple[str, ...]  # member_communities
    staff_in: tuple[str, ...]  # staff_communities
    committee_in: tuple[str, ...]  # committee_communities(permission=import roster)


BOTH = ("minzhu", "nantang")
EXPECTED = {
    "resident": Expected(Party.RESIDENT, False, False, ("nantang",), (), ()),
    "committee": Expected(Party.COMMITTEE, True, True, ("nantang",), ("nantang",), ("nantang",)),
    "property": Expected(Party.PROPERTY, False, True, ("nantang",), ("nantang",), ()),
    "department": Expected(Party.DEPARTMENT, False, True, ("nantang",), ("nantang",), ()),
    "superuser": Expected(None, True, True, BOTH, BOTH, BOTH),
    "anonymous": Expected(None, False, False, (), (), ()),
}


@pytest.fixture
def places():
    return CommunityFactory(slug="nantang"), CommunityFactory(slug="minzhu")


def person(role: str, community):  # type: ignore[no-untyped-def]
    if role == "anonymous":
        return AnonymousUser()
    if role == "superuser":
        return UserFactory(is_superuser=True, is_staff=True)
    user = UserFactory()
    staff_member_set(community=community, user=user, role=ROLE_GROUPS[role])
    return type(user).objects.get(pk=user.pk)  # a fresh object: no cached permissions


def slugs(communities) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return tuple(sorted(c.slug for c in communities))


@pytest.mark.parametrize("role", ROLES)
def test_standing_in_own_and_other_community(role, places):
    nantang, minzhu = places
    user = person(role, nantang)
    want = EXPECTED[role]
    assert scope.party_in(user, nantang) == want.party
    assert (scope.member_of(user, nantang) is not None) == (want.party is not None)
    assert scope.is_committee_member(user, nantang) is want.committee
    assert scope.is_committee_member(user, nantang, permission=TRIAGE_PERMISSION) is want.committee
    assert scope.is_community_staff(user, nantang) is want.staff
    assert scope.can_view_unpublished(user, nantang) is want.staff
    # Minzhu: nothing, unless a superuser.
    everywhere = role == "superuser"
    assert scope.member_of(user, minzhu) is None
    assert scope.party_in(user, minzhu) is None
    assert scope.is_committee_member(user, minzhu) is everywhere
    assert scope.is_community_staff(user, minzhu) is everywhere


@pytest.mark.parametrize("role", ROLES)
def test_community_lists(role, places):
    nantang, _ = places
    user = person(role, nantang)
    want = EXPECTED[role]
    assert slugs(scope.member_communities(user)) == want.member_in
    assert slugs(scope.staff_communities(user)) == want.staff_in
    perm = IMPORT_ROSTER_PERMISSION
    assert slugs(scope.committee_communities(user, permission=perm)) == want.committee_in


@pytest.mark.parametrize("role", ROLES)
def test_scope_queryset_keeps_rows_of_allowed_communities(role, places):
    nantang, minzhu = places
    mine, theirs = submitted(nantang), submitted(minzhu)
    user = person(role, nantang)
    want = EXPECTED[role]
    rows = {mine.pk: "nantang", theirs.pk: "minzhu"}
    staff_rows = scope.scope_queryset(user, Proposal.objects.all())
    member_rows = scope.scope_queryset(user, Proposal.objects.all(), staff_only=False)
    assert tuple(sorted(rows[pk] for pk in staff_rows.values_list("pk", flat=True))) == (
        want.staff_in
    )
    assert tuple(sorted(rows[pk] for pk in member_rows.values_list("pk", flat=True))) == (
        want.member_in
    )


def test_scope_queryset_follows_another_community_field(places):
    nantang, minzhu = places
    submitted(nantang), submitted(minzhu)
    user = person("property", nantang)
    MemberFactory(community=minzhu, user=user, party=Party.RESIDENT)
    staff_rows = scope.scope_queryset(
        user, Proposal.objects.all(), community_field="author__community"
    )
    assert {p.community.slug for p in staff_rows} == {"nantang"}
    member_rows = scope.scope_queryset(
        user, Proposal.objects.all(), community_field="author__community", staff_only=False
    )
    assert {p.community.slug for p in member_rows} == {"nantang", "minzhu"}


def test_committee_permission_is_required_when_named(places):
    nantang, _ = places
    # The committee party without the role's permissions: committee, but no triage or import.
    user = MemberFactory(community=nantang, party=Party.COMMITTEE).user
    assert scope.is_committee_member(user, nantang)
    assert not scope.is_committee_member(user, nantang, permission=TRIAGE_PERMISSION)
    assert slugs(scope.committee_communities(user)) == ("nantang",)
    assert slugs(scope.committee_communities(user, permission=IMPORT_ROSTER_PERMISSION)) == ()


def test_a_staff_party_without_admin_access_is_not_staff(places):
    nantang, _ = places
    user = MemberFactory(community=nantang, party=Party.PROPERTY).user
    assert scope.party_in(user, nantang) == Party.PROPERTY
    assert not scope.is_community_staff(user, nantang)
    assert slugs(scope.staff_communities(user)) == ()
    assert slugs(scope.member_communities(user)) == ("nantang",)


def test_staff_in_one_community_and_resident_in_another(places):
    nantang, minzhu = places
    user = person("property", nantang)
    MemberFactory(community=minzhu, user=user, party=Party.RESIDENT)
    assert scope.is_community_staff(user, nantang)
    assert not scope.is_community_staff(user, minzhu)
    assert slugs(scope.staff_communities(user)) == ("nantang",)
    assert slugs(scope.member_communities(user)) == BOTH
    assert scope.parties_by_community(user) == {
        nantang.pk: Party.PROPERTY,
        minzhu.pk: Party.RESIDENT,
    }


def test_member_of_is_cached_per_user_object_unless_fresh(places, django_assert_num_queries):
    nantang, _ = places
    user = UserFactory()
    assert scope.member_of(user, nantang) is None
    MemberFactory(community=nantang, user=user, party=Party.RESIDENT)
    with django_assert_num_queries(0):
        assert scope.member_of(user, nantang) is None  # the request's answer stands
    assert scope.member_of(user, nantang, fresh=True) is not None
    with django_assert_num_queries(0):
        assert scope.party_in(user, nantang) == Party.RESIDENT


def test_anonymous_has_no_parties(places):
    assert scope.parties_by_community(AnonymousUser()) == {}
    assert not scope.can_access_admin(AnonymousUser())
