"""Wagtail's own reports, choosers, admin API and page tools inside the community boundary
(issue 12, point 2): staff of community B read nothing of community A there, the tools no role
needs are refused, and malformed requests get a 4xx answer instead of a server error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import GroupPagePermission, Page

from deliberation.models import Party, Proposal, User
from deliberation.registry.rules import Role
from deliberation.registry.services import roles_ensure
from meetings.documents import MinutesRecord
from tests.cms.test_admin_scope import SECRET, World, _login, _text, build_world
from tests.factories.proposals import resident, staff, submitted
from tests.factories.votes import option_id, resident_poll
from votes.models import Ballot

pytestmark = pytest.mark.django_db

REPORTS = (
    "wagtailadmin_reports:site_history",
    "wagtailadmin_reports:site_history_results",
    "wagtailadmin_reports:workflow",
    "wagtailadmin_reports:workflow_results",
    "wagtailadmin_reports:workflow_tasks",
    "wagtailadmin_reports:workflow_tasks_results",
)


@pytest.fixture
def world(wagtail_site: Any) -> World:
    return build_world()


def _refused(response: Any) -> bool:
    """403/404, or Wagtail's "permission denied": a redirect to the admin home."""
    if response.status_code == 302:
        return bool(response["Location"] == reverse("wagtailadmin_home"))
    return response.status_code in (403, 404)


def _role_user(world_community: Any, party: str, role: str) -> User:
    member = staff(world_community, party, triage=False)
    member.user.groups.add(roles_ensure()[role])
    return User.objects.get(pk=member.user_id)


def _page_editors(*users: User) -> None:
    """Page rights on the site root: what Wagtail asks before it shows a workflow report."""
    group, _ = Group.objects.get_or_create(name="测试-页面编辑")
    change_page = Permission.objects.get(
        content_type__app_label="wagtailcore", codename="change_page"
    )
    GroupPagePermission.objects.get_or_create(
        group=group, page=Page.get_first_root_node(), permission=change_page
    )
    for user in users:
        user.groups.add(group)


# --- reports ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["b_committee", "b_property"])
def test_site_history_of_another_community_shows_nothing(client, world, who):
    _login(client, getattr(world, who))
    for name in ("wagtailadmin_reports:site_history", "wagtailadmin_reports:site_history_results"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert SECRET not in _text(response), name
    export = client.get(reverse("wagtailadmin_reports:site_history") + "?export=csv")
    assert export.status_code == 200
    assert SECRET not in b"".join(export.streaming_content).decode()
    # The filter's people are those of visible entries: not A's committee member.
    page = client.get(reverse("wagtailadmin_reports:site_history")).content.decode()
    assert str(world.a_committee) not in page


def test_site_history_shows_own_community(client, world):
    own = submitted(world.b, title="乙社区自己的议题")
    _login(client, world.b_committee)
    html = _text(client.get(reverse("wagtailadmin_reports:site_history")))
    assert own.title in html and SECRET not in html
    _login(client, world.a_committee)
    assert SECRET in _text(client.get(reverse("wagtailadmin_reports:site_history")))


def test_workflow_reports_of_another_community_show_nothing(client, world):
    own = submitted(world.b, title="乙社区待审议题")
    _page_editors(world.b_committee, world.a_committee)
    _login(client, world.b_committee)
    for name in REPORTS:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert SECRET not in _text(response), name
    workflow = _text(client.get(reverse("wagtailadmin_reports:workflow")))
    assert own.title in workflow
    # "Requested by" offers the requesters of visible states only.
    foreign = world.objects["unpublished"]
    assert isinstance(foreign, Proposal)
    requester = foreign.current_workflow_state.requested_by  # type: ignore[union-attr]
    assert requester is not None and str(requester) not in workflow
    _login(client, world.a_committee)
    assert SECRET in _text(client.get(reverse("wagtailadmin_reports:workflow")))
    assert SECRET in _text(client.get(reverse("wagtailadmin_reports:workflow_tasks")))


def test_page_reports_are_refused_to_community_staff(client, world):
    """Aging and locked pages list pages only, which no Sifang role edits."""
    for user in (world.a_committee, world.b_property):
        _login(client, user)
        for name in ("aging_pages", "locked_pages", "workflow", "workflow_tasks"):
            response = client.get(reverse(f"wagtailadmin_reports:{name}"))
            assert _refused(response), (name, response.status_code)


def test_snippets_index_counts_only_own_community(client, world, settings):
    settings.WAGTAILSNIPPETS_MENU_SHOW_ALL = True
    submitted(world.b, title="乙社区议题")
    _login(client, world.b_committee)
    response = client.get(reverse("wagtailsnippets:index"))
    assert response.status_code == 200
    counts = {row["model"]: row["count"] for row in response.context["object_list"]}
    assert counts[Proposal] == Proposal.objects.filter(community=world.b).count() == 1
    assert Proposal.objects.count() == 3


# --- Wagtail tools no role needs ----------------------------------------------------------------


def _minutes_document(world: World) -> Any:
    document = get_document_model()(title=f"{SECRET}会议纪要")
    document.file.save("minutes.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    MinutesRecord.objects.filter(pk=world.objects["minutes"].pk).update(document=document)
    return document


def test_choosers_and_admin_api_are_refused_to_staff(client, world):
    document = _minutes_document(world)
    home = Page.objects.get(depth=2)
    proposal = world.objects["unpublished"]
    task_state = proposal.current_workflow_task_state  # type: ignore[attr-defined]
    urls = [
        reverse("wagtaildocs_chooser:choose"),
        reverse("wagtaildocs_chooser:choose_results") + f"?q={SECRET}",
        reverse("wagtaildocs_chooser:chosen", args=[document.pk]),
        reverse("wagtailadmin_api:documents:listing"),
        reverse("wagtailadmin_api:documents:detail", args=[document.pk]),
        reverse("wagtailimages_chooser:choose"),
        reverse("wagtailadmin_api:images:listing"),
        reverse("wagtailadmin_api:pages:listing"),
        reverse("wagtailembeds:chooser"),
        reverse("wagtailadmin_workflows:task_chooser"),
        reverse("wagtailadmin_pages:move", args=[home.pk]),
        reverse("wagtailadmin_pages:move_confirm", args=[home.pk, 1]),
        reverse("wagtailadmin_pages:revisions_index", args=[home.pk]),
        reverse("wagtailadmin_pages:workflow_action", args=[home.pk, "approve", task_state.pk]),
    ]
    for user in (world.a_committee, world.b_committee, world.b_property):
        _login(client, user)
        for url in urls:
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                assert _refused(response), (user, method, url, response.status_code)
                assert SECRET not in _text(response), (method, url)
    proposal.refresh_from_db()
    assert not proposal.live


def test_superuser_keeps_the_document_chooser(client, world):
    _minutes_document(world)
    client.force_login(User.objects.create_superuser(username="root", password="x"))
    response = client.get(reverse("wagtaildocs_chooser:choose"))
    assert response.status_code == 200 and SECRET in _text(response)


def test_rich_text_link_chooser_stays_open_to_staff(client, world):
    """The proposal body's link button uses the page and external-link choosers."""
    _login(client, world.a_committee)
    assert client.get(reverse("wagtailadmin_choose_page")).status_code == 200
    chosen = client.post(
        reverse("wagtailadmin_choose_page_external_link"),
        {"external-link-chooser-url": "https://example.org/"},
    )
    assert chosen.status_code == 200 and "external_link_chosen" in chosen.content.decode()


# --- malformed requests: 4xx, never 500 ---------------------------------------------------------


def test_external_link_chooser_without_its_field_is_a_bad_request(client, world):
    _login(client, world.a_committee)
    response = client.post(reverse("wagtailadmin_choose_page_external_link"), {})
    assert response.status_code == 400
    assert "请填写链接地址" in response.content.decode()


def test_editing_session_ping_with_a_malformed_id_is_not_found(client, world):
    _login(client, world.a_committee)
    for args in (
        ["deliberation", "proposal", "abc", 0],
        ["deliberation", "nosuchmodel", "1", 0],
    ):
        response = client.post(reverse("wagtailadmin_editing_sessions:ping", args=args))
        assert response.status_code == 404, args
    proposal = world.objects["unpublished"]
    own = client.post(
        reverse(
            "wagtailadmin_editing_sessions:ping", args=["deliberation", "proposal", proposal.pk, 0]
        )
    )
    assert own.status_code == 200


def test_revert_with_an_empty_form_is_refused_and_changes_nothing(client, world):
    proposal = world.objects["unpublished"]
    assert isinstance(proposal, Proposal)
    before = (proposal.title, proposal.body, proposal.latest_revision_id)
    _login(client, world.a_committee)
    url = reverse(
        "wagtailsnippets_deliberation_proposal:revisions_revert",
        args=[proposal.pk, proposal.latest_revision_id],
    )
    response = client.post(url, {})
    assert 400 <= response.status_code < 500
    proposal.refresh_from_db()
    assert (proposal.title, proposal.body, proposal.latest_revision_id) == before


# --- hand-made admin views ----------------------------------------------------------------------


def test_meetings_admin_is_the_committees(client, world):
    prop = _role_user(world.a, Party.PROPERTY, Role.PROPERTY)
    dept = _role_user(world.a, Party.DEPARTMENT, Role.DEPARTMENT)
    for user in (prop, dept, world.b_property):
        _login(client, user)
        for name in ("meetings_admin_list", "meetings_admin_schedule"):
            assert _refused(client.get(reverse(name))), (user, name)
            assert _refused(client.post(reverse(name), {"title": "越权会议"})), (user, name)
    committee = _role_user(world.b, Party.COMMITTEE, Role.FACILITATOR)
    _login(client, committee)
    listing = client.get(reverse("meetings_admin_list"))
    assert listing.status_code == 200 and SECRET not in _text(listing)
    assert client.get(reverse("meetings_admin_schedule")).status_code == 200


def test_minutes_rerender_by_another_community_is_refused(client, world):
    record = world.objects["minutes"]
    before = MinutesRecord.objects.get(pk=record.pk).render_attempts
    committee = _role_user(world.b, Party.COMMITTEE, Role.FACILITATOR)
    for user in (committee, world.b_committee):
        _login(client, user)
        response = client.post(reverse("meetings_minutes_rerender", args=[record.pk]))
        assert response.status_code in (403, 404), response.status_code
    assert MinutesRecord.objects.get(pk=record.pk).render_attempts == before


# --- votes: a person from another community -----------------------------------------------------


def test_voting_in_another_community_is_forbidden_not_ineligible(client, world):
    poll = resident_poll(world.a, question="甲社区公开表决")
    stranger = resident(world.b)
    member = resident(world.a)  # of the community, yet outside a residents' poll until verified
    member.verified = False
    member.save()
    api = f"/api/polls/{poll.pk}/ballots/"
    body = json.dumps({"choice": option_id(poll)})
    page = reverse("poll-vote", args=[world.a.slug, poll.pk])
    client.force_login(stranger.user)
    response = client.post(api, data=body, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert client.post(page, {"choice": option_id(poll)}).status_code == 403
    client.force_login(member.user)
    response = client.post(api, data=body, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (403, "not_eligible")
    assert not Ballot.objects.filter(poll=poll).exists()
