"""JSON API: read a poll and its result; cast (identity from the session); staff entry."""

import json

import pytest
from django.test import Client

from deliberation.models import Party
from tests.factories.base import CommunityFactory, MemberFactory
from tests.factories.votes import (
    committee_staff,
    option_id,
    owners_estate,
    owners_poll,
    resident_poll,
    residents,
)
from votes import services
from votes.models import Ballot, BallotEntry, Participation

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def setup():
    community = CommunityFactory()
    voters = residents(community, 3)
    poll = resident_poll(community)
    return community, voters, poll


def test_read_poll_shows_denominators_but_hides_running_tally(setup, client):
    _community, voters, poll = setup
    services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": option_id(poll)})
    data = client.get(f"/api/polls/{poll.pk}/").json()
    assert data["status"] == "open"
    assert data["denominators"] == {"headcount": 3, "area": "0.00"}
    assert data["ballots_cast"] == 1
    assert data["result"] is None and data["tally_visible"] is False
    assert data["you"] == {"eligible": False, "voted": False, "receipt": None}


def test_running_tally_shown_when_allowed(setup, client):
    community, voters, _ = setup
    poll = resident_poll(community, question="实时", show_running_tally=True)
    services.ballot_cast(poll=poll, voter=voters[0], choice={"choice": option_id(poll)})
    data = client.get(f"/api/polls/{poll.pk}/").json()
    assert data["result"]["participating"]["ballots"] == 1
    assert data["result"]["options"][0]["ballots"] == 1


def test_draft_is_not_found_for_the_public(setup, client):
    community, _, _ = setup
    draft = resident_poll(community, open_now=False)
    assert client.get(f"/api/polls/{draft.pk}/").status_code == 404
    assert client.get("/api/polls/99999999/").json()["code"] == "not_found"


def test_cast_needs_a_session(setup, client):
    _, _, poll = setup
    response = post(client, f"/api/polls/{poll.pk}/ballots/", {"choice": option_id(poll)})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_cast_with_session_returns_receipt_then_409(setup, client):
    _, voters, poll = setup
    client.force_login(voters[0])
    url = f"/api/polls/{poll.pk}/ballots/"
    response = post(client, url, {"choice": option_id(poll)})
    assert response.status_code == 201
    body = response.json()
    assert body["seq"] == 1 and len(body["receipt"]) == 19
    again = post(client, url, {"choice": option_id(poll, 1)})
    assert again.status_code == 409
    assert again.json() == {"code": "already_voted", "message": "本户(本人)已经投过票"}
    you = client.get(f"/api/polls/{poll.pk}/").json()["you"]
    assert you == {"eligible": True, "voted": True, "receipt": body["receipt"]}


def test_identity_in_the_body_is_refused(setup, client):
    _, voters, poll = setup
    client.force_login(voters[0])
    response = post(
        client, f"/api/polls/{poll.pk}/ballots/", {"choice": option_id(poll), "voter_id": 1}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert not Ballot.objects.filter(poll=poll).exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("not json", 400, "bad_request"),
        ([1, 2], 400, "bad_request"),
        ({"choice": "x"}, 400, "bad_request"),
        ({"choice": 0}, 400, "wrong_option"),
    ],
)
def test_bad_bodies(setup, client, body, status, code):
    _, voters, poll = setup
    client.force_login(voters[0])
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(
        f"/api/polls/{poll.pk}/ballots/", data=data, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (status, code)


def test_outsider_gets_403(setup, client):
    community, _, poll = setup
    outsider = MemberFactory(community=community, party=Party.PROPERTY).user
    client.force_login(outsider)
    response = post(client, f"/api/polls/{poll.pk}/ballots/", {"choice": option_id(poll)})
    assert (response.status_code, response.json()["code"]) == (403, "not_eligible")


def test_csrf_is_enforced_for_session_posts(setup):
    _, voters, poll = setup
    client = Client(enforce_csrf_checks=True)
    client.force_login(voters[0])
    response = post(client, f"/api/polls/{poll.pk}/ballots/", {"choice": option_id(poll)})
    assert response.status_code == 403
    assert not Ballot.objects.filter(poll=poll).exists()


def test_staff_enter_paper_and_proxy_ballots_for_a_deliberative_poll(client):
    estate = owners_estate()
    poll = resident_poll(estate.community, actor=estate.staff)
    staff = committee_staff(estate.community)
    url = f"/api/polls/{poll.pk}/staff-ballots/"

    def key(user):
        return next(v["key"] for v in poll.frozen_electorate if user.pk in v["user_ids"])

    entered = estate.co_owners[0]
    # A resident is not staff.
    client.force_login(estate.owners[0])
    assert post(
        client, url, {"voter_key": key(entered), "channel": "paper", "choice": 1}
    ).status_code == (403)
    client.force_login(staff)
    paper = post(
        client, url, {"voter_key": key(entered), "channel": "paper", "choice": option_id(poll)}
    )
    assert paper.status_code == 201
    assert Ballot.objects.get(poll=poll, voter_key=key(entered)).entered_by_id == staff.pk
    # The voter whose paper ballot was entered cannot also vote online.
    client.force_login(entered)
    again = post(client, f"/api/polls/{poll.pk}/ballots/", {"choice": option_id(poll, 1)})
    assert again.json()["code"] == "already_voted"
    client.force_login(staff)
    two_key = key(estate.two_unit_owner)
    missing_note = post(
        client, url, {"voter_key": two_key, "channel": "proxy", "choice": option_id(poll)}
    )
    assert missing_note.status_code == 400
    proxy = post(
        client,
        url,
        {
            "voter_key": two_key,
            "channel": "proxy",
            "choice": option_id(poll, 1),
            "proxy_note": "授权委托书(2026-11-20,本人签字)",
            "proxy_name": "李四",
        },
    )
    assert proxy.status_code == 201
    participation = Participation.objects.get(poll=poll, voter_key=two_key)
    assert participation.channel == "proxy" and participation.proxy_note.startswith("授权委托书")
    assert (
        post(client, url, {"voter_key": "nobody", "channel": "paper", "choice": 1}).json()["code"]
        == "not_eligible"
    )
    assert (
        post(client, url, {"voter_key": two_key, "channel": "online", "choice": 1}).json()["code"]
        == "bad_request"
    )


@pytest.mark.parametrize("channel", ["paper", "proxy", "in_person"])
def test_staff_ballots_for_an_owners_decision_are_refused_toward_the_four_eyes_entry(
    client, channel
):
    """No path around evidence and a second person: the API counts no staff ballot of an
    owners' decision, stores nothing, and names the entry screen."""
    estate = owners_estate()
    poll = owners_poll(estate)
    staff = committee_staff(estate.community)
    url = f"/api/polls/{poll.pk}/staff-ballots/"
    co_key = next(
        v["key"] for v in poll.frozen_electorate if estate.co_owners[0].pk in v["user_ids"]
    )
    client.force_login(estate.owners[0])  # not staff: still 403 first
    assert post(client, url, {"voter_key": co_key, "channel": channel}).status_code == 403
    client.force_login(staff)
    body = {
        "voter_key": co_key,
        "channel": channel,
        "choice": option_id(poll),
        "proxy_note": "授权委托书",
        "proxy_name": "李四",
    }
    refused = post(client, url, body)
    assert refused.status_code == 409
    assert refused.json()["code"] == "entry_flow_required"
    assert f"/admin/campaign/{poll.pk}/entry/" in refused.json()["message"]
    assert not Ballot.objects.filter(poll=poll).exists()
    assert not Participation.objects.filter(poll=poll).exists()
    assert not BallotEntry.objects.filter(poll=poll).exists()
    # The owner can still vote online: nothing was counted in their name.
    client.force_login(estate.co_owners[1])
    online = post(client, f"/api/polls/{poll.pk}/ballots/", {"choice": option_id(poll, 1)})
    assert online.status_code == 201


def test_openapi_schema_lists_poll_routes(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/polls/{poll_id}/ballots/" in schema["paths"]
    staff = schema["paths"]["/api/polls/{poll_id}/staff-ballots/"]["post"]
    assert "entry_flow_required" in staff["summary"]
    assert "409" in staff["responses"]
