"""Roles as Django groups holding exactly the declared table, and the loop without a superuser:
the demo's committee account creates and runs a poll, schedules and facilitates a meeting,
reads minutes and notices and triages; property staff run no vote by any entry point
(issue 3 points 2 and 8, issue 12 point 1)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from deliberation.models import Community, Party, Unit, User
from deliberation.proposals.rules import can_triage_proposals
from deliberation.registry.rules import ROLE_PERMISSIONS, Role, can_import_roster
from deliberation.registry.services import roles_ensure, staff_member_set
from deliberation.scope import (
    can_access_admin,
    can_view_unpublished,
    member_communities,
    staff_communities,
)
from demo.registry import DEMO_PASSWORD, seed_community
from meetings import rules as meeting_rules
from meetings.models import Meeting
from meetings.services import meeting_open
from tests.factories.base import CommunityFactory, MemberFactory, UserFactory
from tests.factories.votes import resident_poll
from votes import rules as vote_rules
from votes.models import Poll, PollStatus
from votes.services import poll_open

pytestmark = pytest.mark.django_db


def perms_of(group: Group) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def staff(community, role, **user_fields):
    user = UserFactory(**user_fields)
    staff_member_set(community=community, user=user, role=role)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def two_communities():
    return CommunityFactory(slug="nantang"), CommunityFactory(slug="minzhu")


# --- the table -----------------------------------------------------------------------------------


def test_after_migrate_each_group_holds_exactly_its_table():
    # post_migrate made the groups when the test database was built: nobody called roles_ensure.
    groups = {g.name: g for g in Group.objects.filter(name__in=Role.ALL)}
    assert set(groups) == set(Role.ALL)
    for role, group in groups.items():
        assert perms_of(group) == set(ROLE_PERMISSIONS[role]), role


def test_ensuring_again_restores_the_table_and_changes_nothing_else():
    committee = Group.objects.get(name=Role.FACILITATOR)
    committee.permissions.add(
        Permission.objects.get(content_type__app_label="votes", codename="delete_poll")
    )
    Group.objects.get(name=Role.PROPERTY).permissions.add(
        Permission.objects.get(content_type__app_label="meetings", codename="change_meeting")
    )
    groups = roles_ensure()
    again = roles_ensure()
    assert {g.pk for g in again.values()} == {g.pk for g in groups.values()}
    assert Group.objects.filter(name__in=Role.ALL).count() == 4
    for role, group in again.items():
        assert perms_of(group) == set(ROLE_PERMISSIONS[role]), role


def test_only_the_committee_holds_vote_and_meeting_permissions():
    groups = roles_ensure()
    assert perms_of(groups[Role.RESIDENT]) == set()
    for role in (Role.PROPERTY, Role.DEPARTMENT):
        perms = perms_of(groups[role])
        assert "wagtailadmin.access_admin" in perms
        assert {"deliberation.add_proposal", "deliberation.add_proposaloption"} <= perms
        assert not any(p.split(".")[0] in ("votes", "meetings", "auth") for p in perms), role
        assert "deliberation.publish_proposal" not in perms
        assert "deliberation.import_roster" not in perms
        assert not any(p.startswith("deliberation.delete_") for p in perms)
    committee = perms_of(groups[Role.FACILITATOR])
    assert {
        "deliberation.publish_proposal",
        "deliberation.import_roster",
        "votes.view_poll",
        "votes.add_poll",
        "votes.change_poll",
        "meetings.add_meeting",
        "meetings.change_meeting",
        "meetings.view_minutesrecord",
        "meetings.view_notice",
        "meetings.add_notice",
    } <= committee
    assert not any(p.startswith("auth.") for p in committee)  # no user/group management
    assert not any(p.startswith(("votes.delete_", "meetings.delete_")) for p in committee)


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


# --- the loop without a superuser ----------------------------------------------------------------


def poll_form(community: Community, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "community": community.pk,
        "proposal": "",
        "question": "是否在中心花园增设长椅",
        "kind": "deliberative",
        "electorate": "residents",
        "method": "single",
        "rule": "plurality",
        "majority_numerator": 1,
        "majority_denominator": 2,
        "secrecy": "named",
        "option_labels": "东侧\n西侧",
        "opens_at": "",
        "closes_at": "",
    }
    data.update(overrides)
    return data


def manage(client, poll: Poll, action: str, **fields: object):
    return client.post(
        reverse("poll-manage", args=[poll.community.slug, poll.pk]), {"action": action, **fields}
    )


def test_the_demo_committee_runs_the_loop_without_a_superuser(client):
    community = seed_community()
    committee = User.objects.get(username="committee")
    assert not committee.is_superuser
    assert client.login(username="committee", password=DEMO_PASSWORD)

    # Create a poll in the Wagtail admin (the snippet's add view asks for votes.add_poll).
    add = reverse("wagtailsnippets_votes_poll:add")
    assert client.get(add).status_code == 200
    owners = poll_form(
        community,
        kind="owners",
        electorate="owners",
        method="yesno",
        rule="owners_ordinary",
        option_labels="",
    )
    response = client.post(add, owners)
    assert response.status_code == 302, response.content.decode()[:2000]
    poll = Poll.objects.get(question="是否在中心花园增设长椅")
    assert poll.created_by == committee and poll.community == community
    assert client.get(reverse("wagtailsnippets_votes_poll:list")).status_code == 200
    edit = reverse("wagtailsnippets_votes_poll:edit", args=[poll.pk])
    assert client.get(edit).status_code == 200

    # Open, extend, close and finalise on the poll's staff page.
    assert manage(client, poll, "open").status_code == 302
    poll.refresh_from_db()
    assert poll.status == PollStatus.OPEN
    later = timezone.localtime() + dt.timedelta(days=3)
    manage(client, poll, "extend", closes_at=later.strftime("%Y-%m-%dT%H:%M"), reason="延长一天")
    poll.refresh_from_db()
    assert poll.closes_at is not None and poll.events.filter(kind="extended").exists()
    manage(client, poll, "close")
    poll.refresh_from_db()
    assert poll.status == PollStatus.CLOSED
    Poll.objects.filter(pk=poll.pk).update(objection_until=timezone.now())  # objections over
    manage(client, poll, "finalise", note="无异议")
    poll.refresh_from_db()
    assert poll.status == PollStatus.FINAL

    # Schedule a meeting with themselves as facilitator, then facilitate it.
    schedule = reverse("meetings_admin_schedule")
    assert client.get(schedule).status_code == 200
    starts = timezone.localtime() + dt.timedelta(days=1)
    response = client.post(
        schedule,
        {
            "community": community.pk,
            "title": "角色测试议事会",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "place": "会议室",
            "facilitator": committee.pk,
            "is_public": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get(title="角色测试议事会")
    assert meeting_rules.is_facilitator(committee, meeting)
    meeting_open(meeting=meeting, actor=committee)

    # Minutes, notices and triage in the admin.
    for name in ("minutes:index", "notices:index", "deliberation_triage_queue"):
        assert client.get(reverse(name)).status_code == 200, name
    assert can_triage_proposals(committee, community)


@pytest.fixture
def property_scene(client):
    """A property manager of the poll's community who also holds every global votes and meetings
    permission (the hole of issue 12), and a committee-made draft poll there."""
    community = seed_community()
    manager = User.objects.get(username="property")
    manager.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["votes", "meetings"])
    )
    manager = User.objects.get(pk=manager.pk)
    poll = resident_poll(community, open_now=False, actor=User.objects.get(username="committee"))
    return community, manager, poll


def test_property_staff_get_no_poll_admin(client):
    community = seed_community()
    assert client.login(username="property", password=DEMO_PASSWORD)
    add = reverse("wagtailsnippets_votes_poll:add")
    for response in (client.get(add), client.post(add, poll_form(community))):
        # Wagtail answers a refused admin view with a redirect to the dashboard and a message.
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"] == reverse("wagtailadmin_home")
    assert not Poll.objects.exists()


def test_property_staff_cannot_run_a_poll_by_any_entry_point(client, property_scene):
    community, manager, poll = property_scene
    assert not vote_rules.can_manage_polls(manager, community)
    client.force_login(manager)
    assert manage(client, poll, "open").status_code == 404  # drafts are the committee's
    poll.refresh_from_db()
    assert poll.status == PollStatus.DRAFT
    # The committee opens it; property staff can neither close nor extend nor enter ballots.
    poll = poll_open(poll=poll, actor=User.objects.get(username="committee"))
    assert manage(client, poll, "close").status_code == 403
    assert (
        manage(client, poll, "extend", closes_at="2099-01-01T00:00", reason="x").status_code == 403
    )
    assert client.get(reverse("poll-paper", args=[community.slug, poll.pk])).status_code == 403
    key = poll.frozen_electorate[0]["key"]
    response = client.post(
        f"/api/polls/{poll.pk}/staff-ballots/",
        {"voter_key": key, "channel": "paper", "choice": poll.options.first().pk},
        content_type="application/json",
    )
    assert response.status_code == 403
    poll.refresh_from_db()
    assert poll.status == PollStatus.OPEN and poll.ballot_seq == 0


def test_committee_of_another_community_cannot_run_its_polls(client, property_scene):
    community, _manager, poll = property_scene
    other = CommunityFactory()
    outsider = staff(other, Role.FACILITATOR)
    assert not vote_rules.can_manage_polls(outsider, community)
    client.force_login(outsider)
    assert manage(client, poll, "open").status_code == 404
    poll.refresh_from_db()
    assert poll.status == PollStatus.DRAFT


def test_property_and_department_staff_never_facilitate(two_communities):
    nantang, _ = two_communities
    for role in (Role.PROPERTY, Role.DEPARTMENT):
        user = staff(nantang, role)
        user.user_permissions.add(*Permission.objects.filter(content_type__app_label="meetings"))
        user = User.objects.get(pk=user.pk)
        assert user.has_perm("meetings.change_meeting")
        assert not meeting_rules.may_facilitate(user, nantang)
    assert meeting_rules.may_facilitate(staff(nantang, Role.FACILITATOR), nantang)
    resident = MemberFactory(community=nantang, party=Party.RESIDENT).user
    assert not meeting_rules.may_facilitate(resident, nantang)
