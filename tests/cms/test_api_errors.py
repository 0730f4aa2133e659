"""The API's one set of error handlers (cms/api/__init__.py) and bodies that forbid unknown keys."""

import json

import pytest

from deliberation.models import Proposal
from tests.factories.base import CommunityFactory
from tests.factories.proposals import resident, staff, submitted
from tests.factories.votes import option_id, resident_poll, residents
from votes.models import Ballot

pytestmark = pytest.mark.django_db

API = "/api/proposals/"


def post_json(client, url, body):  # type: ignore[no-untyped-def]
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_an_unknown_field_is_refused_as_invalid_and_nothing_is_written(client):
    community = CommunityFactory()
    client.force_login(resident(community).user)
    body = {"community": community.slug, "title": "路灯不亮", "body": "3号楼前", "urgent": True}
    response = post_json(client, API, body)
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid" and data["message"]
    assert list(data["fields"]) == ["urgent"]
    assert not Proposal.objects.exists()


def test_an_unknown_field_inside_an_option_names_its_path(client):
    community = CommunityFactory()
    client.force_login(staff(community).user)
    body = {
        "community": community.slug,
        "title": "停车方案",
        "body": "三个方案",
        "options": [{"title": "地面", "colour": "red"}],
    }
    response = post_json(client, API, body)
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert list(response.json()["fields"]) == ["options.0.colour"]


def test_a_triage_body_with_an_unknown_field_is_refused(client):
    proposal = submitted()
    client.force_login(staff(proposal.community).user)
    response = post_json(
        client,
        f"{API}{proposal.pk}/accept",
        {"category": "other", "responsible_party": "property", "status": "decided"},
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert "status" in response.json()["fields"]
    proposal.refresh_from_db()
    assert proposal.status == "submitted"


def test_a_body_that_is_not_json_is_a_bad_request(client):
    community = CommunityFactory()
    client.force_login(resident(community).user)
    response = client.post(API, data="title=x", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"}
    assert response.json()["code"] == "bad_request"


def test_errors_without_field_messages_carry_code_and_message_only(client):
    response = client.get(f"{API}99999999")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message"}
    assert response.json()["code"] == "not_found"


def test_signing_in_is_checked_before_the_body(client):
    response = post_json(client, API, {"nonsense": 1})
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")


def test_a_domain_refusal_maps_to_its_status(client):
    proposal = submitted()
    client.force_login(resident(proposal.community).user)
    response = post_json(
        client, f"{API}{proposal.pk}/accept", {"category": "other", "responsible_party": "property"}
    )
    assert response.status_code in (403, 404)  # not visible to them, or not theirs to triage


@pytest.mark.parametrize(
    "body",
    [
        {"choice": 1, "comment": "x"},  # an unknown key
        {"choice": True},  # a bool is no option id
        {},  # no choice at all
        "",  # no body at all
        "[1",  # not JSON
    ],
)
def test_a_malformed_ballot_is_refused_in_the_votes_vocabulary(client, body):
    community = CommunityFactory()
    voters = residents(community, 1)
    poll = resident_poll(community)
    client.force_login(voters[0])
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(
        f"/api/polls/{poll.pk}/ballots/", data=data, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "bad_request")
    assert not Ballot.objects.filter(poll=poll).exists()


def test_an_option_id_may_come_as_a_digit_string(client):
    community = CommunityFactory()
    voters = residents(community, 1)
    poll = resident_poll(community)
    client.force_login(voters[0])
    response = post_json(client, f"/api/polls/{poll.pk}/ballots/", {"choice": str(option_id(poll))})
    assert response.status_code == 201
