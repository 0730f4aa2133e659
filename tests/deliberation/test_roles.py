"""Roles as Django groups with the permissions they need and no more (issue 3 point 2, 8)."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from deliberation.models import Party, Unit
from deliberation.proposals.rules import can_triage_proposals
from deliberation.registry.rules import (
    OPTIONAL_PERMISSIONS,
    ROLE_PERMISSIONS,
    Role,
    can_import_roster,
    role_permissions,
)
from deliberation.registry.services import roles_ensure, staff_member_set
from deliberation.scope import (
    can_access_admin,
    can_view_unpublished,
    member_communities,
    staff_communities,
)
from tests.factories.base import CommunityFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def perms_of(group: Group) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def staff(community, role, **user_fields):
    user = UserFactory(**user_fields)
    staff_member_set(community=community, user=user, role=role)
    return user


@pytest.fixture
def two_communities():
    return CommunityFactory(slug="nantang"), CommunityFactory(slug="minzhu")


def test_groups_hold_exactly_their_permissions_and_ensuring_twice_changes_nothing():
    groups = roles_ensure()
    assert set(groups) == {"居民", "社区工作人员", "物业人员", "部门人员"}
    for role, group in groups.items():
        assert perms_of(group) == set(role_permissions(role))
        assert set(ROLE_PERMISSIONS[role]) - OPTIONAL_PERMISSIONS <= perms_of(group)
    again = roles_ensure()
    assert {g.pk for g in again.values()} == {g.pk for g in groups.values()}
    assert Group.objects.filter(name__in=Role.ALL).count() == 4


def test_other_apps_can_grant_their_permissions_to_a_role(monkeypatch):
    from deliberation.registry import rules as registry_rules

    monkeypatch.setitem(
        registry_rules.EXTRA_ROLE_PERMISSIONS, Role.FACILITATOR, {"auth.view_group"}
    )
    groups = roles_ensure()
    assert "auth.view_group" in perms_of(groups[Role.FACILITATOR])
    assert "auth.view_group" not in perms_of(groups[Role.PROPERTY])


def test_residents_hold_no_permission_and_property_staff_cannot_publish_or_import():
    groups = roles_ensure()
    assert perms_of(groups[Role.RESIDENT]) == set()
    for role in (Role.PROPERTY, Role.DEPARTMENT):
        perms = perms_of(groups[role])
        assert "wagtailadmin.access_admin" in perms
        assert "deliberation.publish_proposal" not in perms
        assert "deliberation.import_roster" not in perms
        assert not any(p.startswith("auth.") or p.startswith("deliberation.delete_") for p in perms)
    facilitator = perms_of(groups[Role.FACILITATOR])
    assert {"deliberation.publish_proposal", "deliberation.import_roster"} <= facilitator
    assert not any(p.startswith("auth.") for p in facilitator)  # no user/group management


def test_staff_member_set_gives_group_party_and_admin_access(two_communities):
    nantang, _ = two_communities
    user = staff(nantang, Role.PROPERTY)
    user.refresh_from_db()
    assert user.is_staff
    assert user.groups.filter(name=Role.PROPERTY).exists()
    assert user.memberships.get(community=nantang).party == Party.PROPERTY
    assert can_access_admin(user)


def test_resident_cannot_reach_the_admin_or_triage(client, two_communities):
    nantang, _ = two_communities
    resident = MemberFactory(community=nantang).user
    staff_member_set(community=nantang, user=resident, role=Role.RESIDENT)
    resident.refresh_from_db()
    assert not resident.is_staff
    assert not can_access_admin(resident)
    assert not can_triage_proposals(resident, nantang)
    assert not can_view_unpublished(resident, nantang)
    client.force_login(resident)
    for url in ("/admin/", "/admin/proposals/triage/", reverse("deliberation_roster_upload")):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "/login/" in response["Location"]


def test_facilitator_reaches_admin_and_triage_in_own_community_only(client, two_communities):
    nantang, minzhu = two_communities
    facilitator = staff(nantang, Role.FACILITATOR)
    assert can_triage_proposals(facilitator, nantang)
    assert not can_triage_proposals(facilitator, minzhu)
    client.force_login(facilitator)
    assert client.get("/admin/").status_code == 200


def test_property_staff_cannot_see_other_communities_unpublished_matters(two_communities):
    nantang, minzhu = two_communities
    manager = staff(nantang, Role.PROPERTY)
    assert can_view_unpublished(manager, nantang)
    assert not can_view_unpublished(manager, minzhu)
    assert list(staff_communities(manager)) == [nantang]
    assert list(member_communities(manager)) == [nantang]
    assert not can_triage_proposals(manager, nantang)


def test_department_staff_scope_follows_membership(two_communities):
    nantang, minzhu = two_communities
    officer = staff(nantang, Role.DEPARTMENT)
    staff_member_set(community=minzhu, user=officer, role=Role.DEPARTMENT)
    assert can_view_unpublished(officer, nantang) and can_view_unpublished(officer, minzhu)


def test_a_membership_without_the_staff_role_sees_nothing_unpublished(two_communities):
    nantang, _ = two_communities
    # Listed as property party but never given the role: no admin access, no drafts.
    member = MemberFactory(community=nantang, party=Party.PROPERTY)
    assert not can_view_unpublished(member.user, nantang)
    assert list(staff_communities(member.user)) == []


def test_superuser_passes(two_communities):
    nantang, minzhu = two_communities
    root = UserFactory(is_superuser=True, is_staff=True)
    assert can_view_unpublished(root, minzhu) and can_import_roster(root, nantang)
    assert set(member_communities(root)) == {nantang, minzhu}


# --- the admin roster upload ---------------------------------------------------------------------

CSV_GOOD = "building,unit,area_m2,owner_name,phone\n1号楼,101,88.5,王秀英,13900000001\n"
CSV_BAD = CSV_GOOD + "1号楼,102,八十,李建国,13900000002\n1号楼,103,70,张淑珍,1234\n"


def upload(client, community, text: str, name: str = "roster.csv"):
    return client.post(
        reverse("deliberation_roster_upload"),
        {"community": community.pk, "file": SimpleUploadedFile(name, text.encode("utf-8-sig"))},
    )


def test_facilitator_uploads_a_roster_in_the_admin(client, two_communities):
    nantang, _ = two_communities
    client.force_login(staff(nantang, Role.FACILITATOR))
    page = client.get(reverse("deliberation_roster_upload"))
    assert page.status_code == 200 and "导入业主名册" in page.content.decode()
    response = upload(client, nantang, CSV_GOOD)
    assert response.status_code == 302
    assert Unit.objects.filter(building__community=nantang, number="101").exists()


def test_bad_upload_lists_problems_by_line_and_writes_nothing(client, two_communities):
    nantang, _ = two_communities
    client.force_login(staff(nantang, Role.FACILITATOR))
    response = upload(client, nantang, CSV_BAD)
    assert response.status_code == 400
    body = response.content.decode()
    assert "<td>3</td>" in body and "<td>4</td>" in body
    assert "未导入任何数据" in body
    assert not Unit.objects.exists()


def test_facilitator_cannot_upload_into_another_community(client, two_communities):
    nantang, minzhu = two_communities
    client.force_login(staff(nantang, Role.FACILITATOR))
    response = upload(client, minzhu, CSV_GOOD)
    assert response.status_code == 400  # not a choice offered to them
    assert not Unit.objects.exists()


def test_property_staff_cannot_upload_rosters(client, two_communities):
    nantang, _ = two_communities
    manager = staff(nantang, Role.PROPERTY)
    assert not can_import_roster(manager, nantang)
    client.force_login(manager)
    # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
    for response in (
        client.get(reverse("deliberation_roster_upload")),
        upload(client, nantang, CSV_GOOD),
    ):
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert not Unit.objects.exists()
