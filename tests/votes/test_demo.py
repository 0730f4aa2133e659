"""The demo polls: a closed owners' poll on the parking plans and a council poll; idempotent."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from demo import polls as votes_demo
from demo import registry as deliberation_demo
from votes.models import Ballot, Kind, Poll, PollStatus
from votes.selectors import poll_chain_problem

pytestmark = pytest.mark.django_db


def test_demo_polls_are_realistic_explained_and_idempotent(client):
    community = deliberation_demo.seed_community()
    proposals = deliberation_demo.seed_proposals(community)
    parking, council = votes_demo.seed_polls(community, proposals)
    again = votes_demo.seed_polls(community, proposals)
    assert [p.pk for p in again] == [parking.pk, council.pk]
    assert Poll.objects.count() == 2
    assert Ballot.objects.filter(poll=parking).count() == parking.ballot_seq

    assert parking.kind == Kind.OWNERS and parking.status == PollStatus.CLOSED
    assert parking.proposal.category == "parking"
    turnout = parking.result["participating"]["headcount"] / parking.total_headcount
    assert 0.6 < turnout < 0.95
    assert set(parking.result["by_channel"]) == {"online", "paper", "proxy"}
    assert poll_chain_problem(parking) is None

    assert council.kind == Kind.DELIBERATIVE and council.status == PollStatus.FINAL
    assert poll_chain_problem(council) is None

    html = client.get(reverse("poll-detail", args=[community.slug, parking.pk])).content.decode()
    for reason in parking.result["reasons"]:
        assert escape(reason) in html
    assert parking.result["verdict_label"] in html
