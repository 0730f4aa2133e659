"""Polls in the Wagtail admin: created through the service, drafts editable, open polls frozen."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories.base import CommunityFactory, UserFactory
from tests.factories.votes import resident_poll, residents
from votes.models import Poll, PollStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(user)
    return client


def form_data(community, **overrides):
    data = {
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


def test_admin_creates_a_poll_through_the_service(admin_client):
    community = CommunityFactory()
    response = admin_client.post(reverse("wagtailsnippets_votes_poll:add"), form_data(community))
    assert response.status_code == 302, response.content.decode()[:2000]
    poll = Poll.objects.get(question="是否在中心花园增设长椅")
    assert [o.label for o in poll.options.all()] == ["东侧", "西侧"]
    assert poll.events.filter(kind="created").exists()


def test_admin_refuses_mixed_kinds(admin_client):
    community = CommunityFactory()
    response = admin_client.post(
        reverse("wagtailsnippets_votes_poll:add"),
        form_data(community, kind="owners", rule="plurality"),
    )
    assert response.status_code == 200
    assert "业主共同决定须选择民法典第二百七十八条的表决规则" in response.content.decode()
    assert not Poll.objects.exists()


def test_admin_edit_of_an_open_poll_rule_is_refused(admin_client):
    community = CommunityFactory()
    residents(community, 2)
    poll = resident_poll(community)
    url = reverse("wagtailsnippets_votes_poll:edit", args=[poll.pk])
    assert admin_client.get(url).status_code == 200
    data = form_data(community, question=poll.question, option_labels="东侧\n西侧\n南侧")
    data["rule"] = "majority"
    data["change_policy"] = "until_close"
    # The rules are shown read-only (disabled) once open; a crafted POST changes nothing.
    page = admin_client.get(url).content.decode()
    assert 'name="rule"' in page and 'name="change_policy"' in page and "disabled" in page
    admin_client.post(url, data)
    poll.refresh_from_db()
    assert poll.rule == "plurality" and poll.status == PollStatus.OPEN
    assert poll.change_policy == "never"


def test_admin_list_scopes_to_own_communities(client):
    mine, other = CommunityFactory(), CommunityFactory()
    residents(mine, 1)
    residents(other, 1)
    resident_poll(mine, question="本社区表决")
    resident_poll(other, question="别的社区表决")
    from tests.factories.votes import committee_staff

    staff = committee_staff(mine)
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="votes", codename__endswith="_poll")
    )
    client.force_login(staff)
    html = client.get(reverse("wagtailsnippets_votes_poll:list")).content.decode()
    assert "本社区表决" in html and "别的社区表决" not in html
