"""Community boundaries in the Wagtail admin (issue 12, point 2).

Every URL of every viewset registered for proposals, polls, minutes records and notices (and of
their choosers) is enumerated from the viewsets themselves, not hand-picked, and tried with GET
and POST by staff of another community holding every global Django permission: each answers
403 or 404, never the object's content, and changes nothing. Committee staff of the object's own
community open the same views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db.models import Model, Q
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from wagtail.admin.viewsets import viewsets
from wagtail.models import WorkflowState

from deliberation.models import Channel, Community, Party, Proposal, User
from meetings.documents import MinutesRecord, Notice, NoticeKind, RenderStatus
from meetings.services import meeting_schedule
from tests.factories.base import CommunityFactory
from tests.factories.proposals import published, resident, staff, submitted
from tests.factories.votes import resident_poll, residents
from votes.models import Poll

pytestmark = pytest.mark.django_db

SCOPED_MODELS = (Proposal, Poll, MinutesRecord, Notice)
SECRET = "甲社区机密"  # in every title of community A; never in an answer to B's staff


@dataclass
class World:
    a: Community
    b: Community
    a_committee: User
    b_committee: User
    b_property: User
    objects: dict[str, Model]  # label -> object of community A


def _full_powers() -> Group:
    """Every permission of the scoped models and admin access: the worst case for a boundary
    that must not rest on Django's global permissions."""
    group, _ = Group.objects.get_or_create(name="测试-全部权限")
    group.permissions.add(
        *Permission.objects.filter(
            Q(content_type__app_label="deliberation", content_type__model="proposal")
            | Q(content_type__app_label="votes", content_type__model="poll")
            | Q(content_type__app_label="meetings", content_type__model="minutesrecord")
            | Q(content_type__app_label="meetings", content_type__model="notice")
            | Q(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    )
    return group


def _staff_user(community: Community, party: str) -> User:
    member = staff(community, party, triage=party == Party.COMMITTEE)
    member.user.groups.add(_full_powers())
    return User.objects.get(pk=member.user_id)


@pytest.fixture
def world(wagtail_site: Any) -> World:
    return build_world()


def build_world() -> World:
    """Communities A and B; A's committee, its matters, poll, minutes and notice (each titled
    with ``SECRET``); B's committee and property staff with every global permission."""
    a = CommunityFactory(name="甲社区")  # community names are public; the objects are not
    b = CommunityFactory(name="乙社区")
    a_committee = _staff_user(a, Party.COMMITTEE)
    residents(a, 2)
    unpublished = submitted(a, title=f"{SECRET}未公开议题")
    live = published(a, title=f"{SECRET}已公开议题")
    poll = resident_poll(a, question=f"{SECRET}表决", open_now=False, actor=a_committee)
    meeting = meeting_schedule(
        community=a,
        title=f"{SECRET}议事会",
        starts_at=timezone.now() + timedelta(days=1),
        place="社区会议室",
        facilitator=a_committee,
        actor=a_committee,
        is_public=False,
        proposals=[],
        polls={},
    )
    minutes = MinutesRecord.objects.create(meeting=meeting, render_status=RenderStatus.FAILED)
    today = date.today()
    notice = Notice.objects.create(
        community=a,
        year=today.year,
        number=1,
        kind=NoticeKind.PRELIMINARY_RESULT,
        poll=poll,
        title=f"{SECRET}公示",
        issuing_body="居委会",
        posted_from=today,
        posted_until=today + timedelta(days=7),
        content={},
        issued_at=timezone.now(),
    )
    return World(
        a=a,
        b=b,
        a_committee=a_committee,
        b_committee=_staff_user(b, Party.COMMITTEE),
        b_property=_staff_user(b, Party.PROPERTY),
        objects={
            "unpublished": unpublished,
            "published": live,
            "poll": poll,
            "minutes": minutes,
            "notice": notice,
        },
    )


# --- enumerate the admin URLs from the registered viewsets ------------------------------------


def _scoped_viewsets() -> list[Any]:
    get_resolver().url_patterns  # noqa: B018 - builds the admin URLconf, registering viewsets
    found = [
        viewset
        for viewset in viewsets.viewsets
        if isinstance(getattr(viewset, "model", None), type)
        and issubclass(viewset.model, SCOPED_MODELS)
    ]
    return found


def _routes() -> list[tuple[Any, URLPattern]]:
    return [
        (viewset, pattern)
        for viewset in _scoped_viewsets()
        for pattern in viewset.get_urlpatterns()
    ]


def test_every_scoped_model_has_its_viewsets_enumerated() -> None:
    models = {viewset.model for viewset in _scoped_viewsets()}
    assert models == set(SCOPED_MODELS)
    names = {f"{viewset.url_namespace}:{pattern.name}" for viewset, pattern in _routes()}
    for expected in (
        "wagtailsnippets_deliberation_proposal:inspect",
        "wagtailsnippets_deliberation_proposal:history",
        "wagtailsnippets_deliberation_proposal:usage",
        "wagtailsnippets_deliberation_proposal:unpublish",
        "wagtailsnippets_deliberation_proposal:revisions_compare",
        "wagtailsnippets_deliberation_proposal:revisions_revert",
        "wagtailsnippets_deliberation_proposal:workflow_history",
        "wagtailsnippets_deliberation_proposal:workflow_history_detail",
        "wagtailsnippets_deliberation_proposal:confirm_workflow_cancellation",
        "wagtailsnippetchoosers_deliberation_proposal:chosen",
        "wagtailsnippets_votes_poll:edit",
        "minutes:inspect",
        "notices:inspect",
    ):
        assert expected in names


def _kwargs(pattern: URLPattern, obj: Model) -> dict[str, Any] | None:
    """URL arguments pointing at ``obj`` (and its revisions, workflow, task states)."""
    wanted = set(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", str(pattern.pattern)))
    names = {a or b for a, b in wanted}
    out: dict[str, Any] = {}
    for name in names:
        if name == "pk":
            out[name] = obj.pk
        elif name == "revision_id":
            revision_id = getattr(obj, "latest_revision_id", None)
            if revision_id is None:
                return None
            out[name] = revision_id
        elif name == "revision_id_a":
            out[name] = "earliest"
        elif name == "revision_id_b":
            out[name] = "latest"
        elif name == "workflow_state_id":
            state = WorkflowState.objects.for_instance(obj).first()  # type: ignore[arg-type]
            if state is None:
                return None
            out[name] = state.pk
        elif name == "task_state_id":
            task_state = getattr(obj, "current_workflow_task_state", None)
            if task_state is None:
                return None
            out[name] = task_state.pk
        elif name == "action_name":
            out[name] = "approve"
        else:
            raise AssertionError(f"no argument for {name} in {pattern.pattern}: add it here")
    return out


def _object_cases(world: World) -> list[tuple[str, str, Model]]:
    """(url name, url, object of A) for every object URL of every scoped viewset."""
    cases = []
    for viewset, pattern in _routes():
        name = f"{viewset.url_namespace}:{pattern.name}"
        for obj in world.objects.values():
            if not isinstance(obj, viewset.model):
                continue
            kwargs = _kwargs(pattern, obj)
            if kwargs is None:
                continue
            if not kwargs:
                kwargs = {}
                url = reverse(name)
                if "chosen_multiple" in name:
                    url += f"?id={obj.pk}"
                elif pattern.name in (
                    "choose",
                    "choose_results",
                    "list",
                    "list_results",
                    "index",
                    "index_results",
                ):
                    url += f"?q={SECRET}" if "choose" in name else ""
            else:
                url = reverse(name, kwargs=kwargs)
            cases.append((name, url, obj))
    return cases


def _state(obj: Model) -> tuple[Any, ...]:
    """What a refused request must leave unchanged."""
    fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
    if fresh is None:
        return ("deleted",)
    return tuple(getattr(fresh, f.attname) for f in fresh._meta.concrete_fields)


def _text(response: Any) -> str:
    """The answer as a reader sees it, JSON ``\\uXXXX`` escapes (chooser answers) decoded."""
    body = response.content.decode(errors="replace")
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), body)


def _refused(response: Any) -> bool:
    """403 or 404; also 405 (a GET-only view refuses a POST before it loads anything) and
    Wagtail's rendering of PermissionDenied in the admin: a redirect to the admin home."""
    if response.status_code == 302:
        return response["Location"] == reverse("wagtailadmin_home")
    return response.status_code in (403, 404, 405)


def _login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["b_committee", "b_property"])
def test_staff_of_another_community_get_nothing_from_any_view(client, world, who):
    _login(client, getattr(world, who))
    cases = _object_cases(world)
    assert len(cases) > 40  # every view kind of four models, published and unpublished
    for name, url, obj in cases:
        before = _state(obj)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert SECRET not in _text(response), (method, name, url)
            if "?" not in url and not name.endswith(
                (
                    "list",
                    "list_results",
                    "index",
                    "index_results",
                    "choose",
                    "choose_results",
                    "chosen_multiple",
                    ":add",
                    ":create",
                )
            ):
                assert _refused(response), (method, name, url, response.status_code)
        assert _state(obj) == before, (name, url)


def test_committee_staff_of_the_community_open_the_same_views(client, world):
    _login(client, world.a_committee)
    read_views = (
        "inspect",
        "edit",
        "history",
        "usage",
        "delete",
        "workflow_history",
        "revisions_compare",
        "workflow_history_detail",
        "chosen",
    )
    opened = set()
    for name, url, obj in _object_cases(world):
        response = client.get(url)
        assert response.status_code not in (403, 404), (name, url, response.status_code)
        view = name.rsplit(":", 1)[1]
        # Minutes records and notices are view-only in the admin (the render services write them)
        if view == "inspect" or (view in read_views and isinstance(obj, (Proposal, Poll))):
            assert response.status_code == 200, (name, url, response.status_code)
            opened.add(name)
    assert "wagtailsnippets_deliberation_proposal:inspect" in opened
    assert "minutes:inspect" in opened and "notices:inspect" in opened
    listing = client.get(reverse("wagtailsnippets_deliberation_proposal:list"))
    assert f"{SECRET}未公开议题" in listing.content.decode()


@pytest.mark.parametrize("who", ["b_committee", "b_property"])
def test_listings_and_choosers_of_another_community_show_nothing(client, world, who):
    _login(client, getattr(world, who))
    for name in (
        "wagtailsnippets_deliberation_proposal:list",
        "wagtailsnippets_deliberation_proposal:list_results",
        "wagtailsnippets_votes_poll:list",
        "minutes:index",
        "notices:index",
        "wagtailsnippetchoosers_deliberation_proposal:choose",
        "wagtailsnippetchoosers_deliberation_proposal:choose_results",
        "wagtailsnippetchoosers_votes_poll:choose",
    ):
        response = client.get(reverse(name))
        assert SECRET not in _text(response), name
    ids = "&".join(f"id={o.pk}" for o in world.objects.values() if isinstance(o, Proposal))
    multiple = client.get(
        reverse("wagtailsnippetchoosers_deliberation_proposal:chosen_multiple") + "?" + ids
    )
    assert SECRET not in _text(multiple)


def test_unpublish_by_another_community_is_refused_and_the_matter_stays_live(client, world):
    proposal = world.objects["published"]
    assert isinstance(proposal, Proposal) and proposal.live
    url = reverse("wagtailsnippets_deliberation_proposal:unpublish", args=[proposal.pk])
    for user in (world.b_committee, world.b_property):
        _login(client, user)
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    proposal.refresh_from_db()
    assert proposal.live


def test_bulk_delete_by_another_community_neither_deletes_nor_names(client, world):
    _login(client, world.b_committee)
    targets = [world.objects["unpublished"], world.objects["published"]]
    url = (
        reverse("wagtail_bulk_action", args=["deliberation", "proposal", "delete"])
        + "?"
        + "&".join(f"id={p.pk}" for p in targets)
    )
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert SECRET not in _text(response)
    assert Proposal.objects.filter(pk__in=[p.pk for p in targets]).count() == 2


def test_workflow_action_with_a_task_state_of_another_community_is_refused(client, world):
    """A moderator of B names their own matter in the URL but A's task state."""
    own = submitted(world.b, title="乙社区议题")
    b_moderator = world.b_committee
    foreign = world.objects["unpublished"]
    assert isinstance(foreign, Proposal)
    task_state = foreign.current_workflow_task_state
    assert task_state is not None
    _login(client, b_moderator)
    url = reverse(
        "wagtailsnippets_deliberation_proposal:workflow_action",
        args=[own.pk, "approve", task_state.pk],
    )
    assert client.post(url, {"comment": ""}).status_code == 404
    foreign.refresh_from_db()
    assert not foreign.live


# --- creating ------------------------------------------------------------------------------------


def test_no_one_creates_a_matter_through_the_snippet_form(client, world):
    """Matters enter through proposal_submit only (channel and who entered it recorded)."""
    for user in (world.a_committee, world.b_committee):
        _login(client, user)
        for name in ("add",):
            url = reverse(f"wagtailsnippets_deliberation_proposal:{name}")
            assert client.get(url).status_code in (302, 403, 404)
            response = client.post(url, {"title": "代录", "body": "x", "community": world.a.pk})
            assert response.status_code in (302, 403, 404)
    assert not Proposal.objects.filter(title="代录").exists()


def test_the_list_links_to_entering_a_matter_for_own_communities_only(client, world):
    _login(client, world.a_committee)
    html = client.get(reverse("wagtailsnippets_deliberation_proposal:list")).content.decode()
    assert reverse("proposal-new", args=[world.a.slug]) in html
    assert reverse("proposal-new", args=[world.b.slug]) not in html
    _login(client, world.b_property)
    html = client.get(reverse("wagtailsnippets_deliberation_proposal:list")).content.decode()
    assert "/proposals/new/" not in html  # property staff never enter for residents


def test_entering_on_behalf_records_channel_and_staff_in_own_community_only(client, world):
    person = resident(world.a)
    person.user.phone = "13900000001"
    person.user.save()
    data = {
        "title": "热线反映路灯不亮",
        "body": "3号楼前路灯坏了",
        "category": "other",
        "location": "",
        "behalf-on_behalf": "on",
        "behalf-channel": Channel.HOTLINE,
        "behalf-resident": "13900000001",
    }
    _login(client, world.b_committee)
    refused = client.post(reverse("proposal-new", args=[world.a.slug]), data)
    assert refused.status_code == 403
    assert not Proposal.objects.filter(title="热线反映路灯不亮").exists()
    _login(client, world.a_committee)
    response = client.post(reverse("proposal-new", args=[world.a.slug]), data)
    assert response.status_code == 302, response.content.decode()[:1500]
    proposal = Proposal.objects.get(title="热线反映路灯不亮")
    assert proposal.community == world.a and proposal.author == person
    assert proposal.channel == Channel.HOTLINE and proposal.entered_by == world.a_committee


def test_edit_form_cannot_move_a_matter_or_change_its_author(client, world):
    proposal = world.objects["unpublished"]
    assert isinstance(proposal, Proposal)
    stranger = resident(world.b)
    _login(client, world.a_committee)
    url = reverse("wagtailsnippets_deliberation_proposal:edit", args=[proposal.pk])
    page = client.get(url).content.decode()
    assert stranger.user.display_name not in page and world.b.name not in page
    client.post(
        url,
        {
            "community": world.b.pk,
            "author": stranger.pk,
            "channel": Channel.HOTLINE,
            "party": Party.PROPERTY,
            "title": proposal.title,
            "body": proposal.body,
            "location": "",
            "category": proposal.category,
        },
    )
    proposal.refresh_from_db()
    assert proposal.community == world.a and proposal.author.community == world.a
    assert proposal.channel == Channel.ONLINE


def test_poll_add_form_offers_only_the_users_communities_and_their_matters(client, world):
    _login(client, world.b_committee)
    html = client.get(reverse("wagtailsnippets_votes_poll:add")).content.decode()
    assert world.b.name in html and SECRET not in html
    response = client.post(
        reverse("wagtailsnippets_votes_poll:add"),
        {
            "community": world.a.pk,
            "proposal": world.objects["published"].pk,
            "question": "越权表决",
            "kind": "deliberative",
            "electorate": "residents",
            "method": "single",
            "rule": "plurality",
            "majority_numerator": 1,
            "majority_denominator": 2,
            "secrecy": "named",
            "option_labels": "甲\n乙",
        },
    )
    assert response.status_code in (200, 403, 404)
    assert not Poll.objects.filter(question="越权表决").exists()


def test_property_staff_cannot_open_the_poll_admin(client, world):
    _login(client, world.b_property)
    assert client.get(reverse("wagtailsnippets_votes_poll:add")).status_code in (302, 403)
    listing = client.get(reverse("wagtailsnippets_votes_poll:list"))
    assert listing.status_code in (302, 403)
